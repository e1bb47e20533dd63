//! PROTOVALIDATE: the `buf.validate` rules on fields can be satisfied and fit the field (rule
//! type against field type, bounds, rules another rule makes pointless), and the rules on
//! messages name the message's fields, as buf checks them.
//!
//! Rule values come from a second compile, with prost-reflect, of the files that import
//! validate.proto: the contract's prost-types descriptors drop option extensions. protox
//! records no location inside an option's `{...}` value, where buf points, so `Literal`
//! finds the keys in the source text. Left out: compiling CEL expressions (CEL rules are
//! checked for ids and empty expressions only), example values and predefined rules (they
//! need cel-go's type checker and protovalidate's evaluator).
//!
//! mod.rs walks the contract and places findings; checks.rs judges one element's rules;
//! text_format.rs finds keys inside `{...}` option values; go_quote.rs quotes as Go's `%q`.

mod checks;
mod go_quote;
mod text_format;

use prost_reflect::Cardinality;

use super::sink::Sink;
use crate::contract::reflect::descriptor_pool;
use crate::contract::Span;
use checks::{pretty_type, Check};
use text_format::{best_location, option_locations};

const RULE: &str = "PROTOVALIDATE";
const VALIDATE: &str = "buf/validate/validate.proto";
/// `(buf.validate.field)` and `(buf.validate.message)` are extension 1159 of the options
/// (field 8 of a field, 7 of a message).
const EXTENSION: i32 = 1159;

// FieldRules field numbers buf's checks name.
const MAP: i32 = 19;
const REPEATED: i32 = 18;
const REQUIRED: i32 = 25;
const IGNORE: i32 = 27;
const IGNORE_IF_ZERO_VALUE: i32 = 1;
const IGNORE_ALWAYS: i32 = 3;

pub fn check(sink: &mut Sink) {
    if !sink.on(RULE) {
        return;
    }
    let model = sink.model;
    let files: Vec<usize> = (0..model.files.len())
        .filter(|&f| {
            // With edition 2024's `import option` too.
            let desc = model.files[f].desc;
            model.contract.imports(desc).any(|d| d == VALIDATE)
        })
        .collect();
    if files.is_empty() {
        return;
    }
    let names: Vec<&str> = files.iter().map(|&f| model.files[f].name).collect();
    // The contract compiled already, so a failure here is an import the sources do not hold
    // (a vendored dependency): then there is nothing to check.
    let Some(pool) = descriptor_pool(&model.contract.sources, &names) else {
        return;
    };
    let (Some(field_extension), Some(field_rules), Some(message_extension), Some(message_rules)) = (
        pool.get_extension_by_name("buf.validate.field"),
        pool.get_message_by_name("buf.validate.FieldRules"),
        pool.get_extension_by_name("buf.validate.message"),
        pool.get_message_by_name("buf.validate.MessageRules"),
    ) else {
        return;
    };
    for message in &model.messages {
        if !files.contains(&message.file) || message.is_map_entry() {
            continue;
        }
        let Some(descriptor) = pool.get_message_by_name(&message.full_name) else {
            continue;
        };
        let options = descriptor.options();
        if let Some(rules) = options
            .has_extension(&message_extension)
            .then(|| {
                options
                    .get_extension(&message_extension)
                    .as_message()
                    .cloned()
            })
            .flatten()
        {
            let mut check = Check::new("message", descriptor.name(), String::new(), &message_rules);
            check.oneofs(&rules, &descriptor);
            check.cel(&rules, "cel", false);
            check.cel(&rules, "cel_expression", true);
            report(
                sink,
                message.file,
                &message.path,
                7,
                check,
                &message.full_name,
            );
        }
        for (index, proto) in message.desc.field.iter().enumerate() {
            let Some(field) = descriptor.get_field_by_name(proto.name()) else {
                continue;
            };
            let options = field.options();
            if !options.has_extension(&field_extension) {
                continue;
            }
            let Some(rules) = options
                .get_extension(&field_extension)
                .as_message()
                .cloned()
            else {
                continue;
            };
            let mut check = Check::new("field", field.name(), pretty_type(&field), &field_rules);
            check.rules(&rules, &field, field.cardinality() == Cardinality::Repeated);
            let mut path = message.path.clone();
            path.extend([2, index as i32]);
            report(sink, message.file, &path, 8, check, field.full_name());
        }
    }
}

/// Places what `check` found on the element at `path` (whose options are its field
/// `options`) where buf points, each place once per finding.
fn report(sink: &mut Sink, file: usize, path: &[i32], options: i32, check: Check, element: &str) {
    if check.found.is_empty() {
        return;
    }
    let text = sink.model.text(file).unwrap_or_default();
    let locations = option_locations(sink, file, path, options, text, check.rules);
    for (paths, message) in check.found {
        let mut spans: Vec<Option<Span>> = Vec::new();
        for sub in &paths {
            let span = best_location(&locations, sub);
            if !spans.contains(&span) {
                spans.push(span);
            }
        }
        for span in spans {
            sink.add_at(RULE, file, path, span, element.to_string(), message.clone());
        }
    }
}

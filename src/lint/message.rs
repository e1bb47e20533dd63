//! Message, field and oneof rules: MESSAGE_PASCAL_CASE, FIELD_LOWER_SNAKE_CASE,
//! FIELD_NO_DESCRIPTOR, FIELD_NOT_REQUIRED, ONEOF_LOWER_SNAKE_CASE, COMMENT_MESSAGE,
//! COMMENT_FIELD, COMMENT_ONEOF.

use prost_types::field_descriptor_proto::Type;

use super::names::{to_lower_snake_case, to_pascal_case};
use super::sink::Sink;
use crate::contract::model::{sub, Cardinality, Field};

pub fn check(sink: &mut Sink) {
    let model = sink.model;
    let comments =
        sink.on("COMMENT_MESSAGE") || sink.on("COMMENT_FIELD") || sink.on("COMMENT_ONEOF");
    for (at, m) in model.messages.iter().enumerate() {
        let i = m.file;
        if !m.is_map_entry() {
            let name = m.name();
            let expected = to_pascal_case(name);
            if name != expected {
                sink.add(
                    "MESSAGE_PASCAL_CASE",
                    i,
                    Some(&sub(&m.path, &[1])),
                    &m.full_name,
                    format!(
                        "Message name \"{name}\" should be PascalCase, such as \"{expected}\"."
                    ),
                );
            }
            if comments && sink.lacks_comment(i, &m.path) {
                sink.add(
                    "COMMENT_MESSAGE",
                    i,
                    Some(&m.path),
                    &m.full_name,
                    format!("Message \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it is."),
                );
            }
        }
        for f in model.fields(at) {
            field(sink, &f, comments);
        }
        for o in model.oneofs(at) {
            if o.synthetic {
                continue;
            }
            let name = o.desc.name();
            let expected = to_lower_snake_case(name);
            if name != expected {
                sink.add(
                    "ONEOF_LOWER_SNAKE_CASE",
                    i,
                    Some(&sub(&o.path, &[1])),
                    name,
                    format!(
                        "Oneof name \"{name}\" should be lower_snake_case, such as \"{expected}\"."
                    ),
                );
            }
            if comments && sink.lacks_comment(i, &o.path) {
                sink.add(
                    "COMMENT_ONEOF",
                    i,
                    Some(&o.path),
                    name,
                    format!("Oneof \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what the choice is."),
                );
            }
        }
    }
    for x in 0..model.extensions.len() {
        field(sink, &model.extension_field(x), comments);
    }
}

/// The field rules, for a message's fields (map entries' included) and extensions.
fn field(sink: &mut Sink, f: &Field, comments: bool) {
    let i = f.file;
    let name = f.name();
    let at_name = sub(&f.path, &[1]);
    let in_map_entry = f.in_map_entry();
    if !in_map_entry {
        let expected = to_lower_snake_case(name);
        if name != expected {
            sink.add(
                "FIELD_LOWER_SNAKE_CASE",
                i,
                Some(&at_name),
                name,
                format!(
                    "Field name \"{name}\" should be lower_snake_case, such as \"{expected}\"."
                ),
            );
        }
    }
    if name.trim_matches('_').to_lowercase() == "descriptor" {
        sink.add(
            "FIELD_NO_DESCRIPTOR",
            i,
            Some(&at_name),
            name,
            format!("Field name \"{name}\" cannot be any capitalization of \"descriptor\" with any number of prefix or suffix underscores: rename it."),
        );
    }
    // Required as written (proto2) or resolved (editions' `LEGACY_REQUIRED`).
    if f.cardinality() == Cardinality::Required {
        sink.add(
            "FIELD_NOT_REQUIRED",
            i,
            Some(&at_name),
            name,
            format!("Field named \"{name}\" should not be required: make it optional and validate presence in code."),
        );
    }
    if comments && !in_map_entry && f.desc.r#type() != Type::Group && sink.lacks_comment(i, &f.path)
    {
        sink.add(
            "COMMENT_FIELD",
            i,
            Some(&f.path),
            name,
            format!("Field \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it holds."),
        );
    }
}

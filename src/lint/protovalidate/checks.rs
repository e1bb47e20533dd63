//! One field's or message's `buf.validate` rules judged as buf does: rule type against field
//! type, bounds, rules another rule makes pointless, CEL ids, oneof names.

use std::collections::BTreeMap;

use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value,
};

use super::go_quote::GoQuoted;
use super::{IGNORE, IGNORE_ALWAYS, IGNORE_IF_ZERO_VALUE, MAP, REPEATED, REQUIRED};

/// One field's or message's rules being checked: findings are paths below the extension
/// (`(buf.validate.field)`; one finding may point at several) and buf's message.
pub(super) struct Check<'a> {
    /// `field` or `message`, as buf's messages name the element.
    what: &'static str,
    name: String,
    /// The field's type as buf prints it (`int32`, `acme.v1.User`, `map<string, int32>`).
    pretty: String,
    /// FieldRules or MessageRules.
    pub(super) rules: &'a MessageDescriptor,
    /// Where the rules being checked sit (`map.keys`: [19, 4]); empty for the field's own.
    base: Vec<i32>,
    pub(super) found: Vec<(Vec<Vec<i32>>, String)>,
}

impl<'a> Check<'a> {
    pub(super) fn new(
        what: &'static str,
        name: &str,
        pretty: String,
        rules: &'a MessageDescriptor,
    ) -> Self {
        Check {
            what,
            name: name.to_string(),
            pretty,
            rules,
            base: Vec::new(),
            found: Vec::new(),
        }
    }

    /// `Field "name"` or `Message "Name"`, as buf's messages start.
    fn subject(&self) -> String {
        let mut what = self.what.to_string();
        what[..1].make_ascii_uppercase();
        format!("{what} {:?}", self.name)
    }

    fn add(&mut self, path: &[i32], message: String) {
        self.add_paths(&[path], message);
    }

    fn add_paths(&mut self, paths: &[&[i32]], message: String) {
        let paths = paths
            .iter()
            .map(|p| self.base.iter().chain(p.iter()).copied().collect())
            .collect();
        self.found.push((paths, message));
    }

    /// `(buf.validate.field).string.min_len` for a path below the base.
    fn rule_name(&self, path: &[i32]) -> String {
        let mut name = format!("(buf.validate.{})", self.what);
        let mut message = Some(self.rules.clone());
        for number in self.base.iter().chain(path) {
            let Some(field) = message.as_ref().and_then(|m| m.get_field(*number as u32)) else {
                break;
            };
            name.push('.');
            name.push_str(field.name());
            message = match field.kind() {
                Kind::Message(m) => Some(m),
                _ => None,
            };
        }
        name
    }

    /// buf's checkRulesForField.
    pub(super) fn rules(
        &mut self,
        rules: &DynamicMessage,
        field: &FieldDescriptor,
        expect_repeated: bool,
    ) {
        let required = flag(rules, "required");
        let proto3_optional = field.field_descriptor_proto().proto3_optional();
        if let Some(oneof) = field.containing_oneof() {
            if !proto3_optional && required {
                let rule = self.rule_name(&[REQUIRED]);
                self.add(
                    &[REQUIRED],
                    format!(
                        "Field {:?} has {rule} but is in a oneof ({}). Oneof fields must not have {rule}.",
                        self.name,
                        oneof.name()
                    ),
                );
            }
        }
        self.flags(rules, field, required);
        self.cel(rules, "cel", false);
        self.cel(rules, "cel_expression", true);
        let Some((kind, type_rules)) = rules.fields().find_map(|(fd, value)| {
            let in_type = fd.containing_oneof().is_some_and(|o| o.name() == "type");
            in_type.then(|| (fd.number() as i32, value.as_message().cloned()))
        }) else {
            return;
        };
        let Some(type_rules) = type_rules else {
            return;
        };
        match kind {
            MAP => return self.map(&type_rules, field),
            REPEATED => return self.repeated(&type_rules, field),
            _ => {}
        }
        if !self.type_matches(field, kind, expect_repeated) {
            return;
        }
        match type_rules.descriptor().name() {
            "StringRules" => self.string(kind, &type_rules),
            "BytesRules" => self.bytes(kind, &type_rules),
            "EnumRules" | "AnyRules" | "FieldMaskRules" => self.constant(kind, &type_rules),
            "TimestampRules" => {
                self.numeric(kind, &type_rules);
                self.within(kind, &type_rules);
                if flag(&type_rules, "lt_now") && flag(&type_rules, "gt_now") {
                    let (gt, lt) = (number(&type_rules, "gt_now"), number(&type_rules, "lt_now"));
                    self.add_paths(
                        &[&[kind, gt], &[kind, lt]],
                        format!(
                            "Field {:?} has both {} and {}. A timestamp cannot be both before and after validation time.",
                            self.name,
                            self.rule_name(&[kind, gt]),
                            self.rule_name(&[kind, lt])
                        ),
                    );
                }
            }
            "BoolRules" => {}
            // The numbers, and DurationRules.
            _ => self.numeric(kind, &type_rules),
        }
    }

    /// buf's checkFieldFlags.
    fn flags(&mut self, rules: &DynamicMessage, field: &FieldDescriptor, required: bool) {
        let ignore = match rules.get_field_by_name("ignore").as_deref() {
            Some(Value::EnumNumber(n)) if rules.has_field_by_name("ignore") => *n,
            _ => 0,
        };
        let rule = self.rule_name(&[IGNORE]);
        if ignore == IGNORE_ALWAYS && rules.fields().count() > 1 {
            self.add(
                &[IGNORE],
                format!(
                    "Field {:?} has {rule}=IGNORE_ALWAYS and therefore other rules in {} are not applied and should be removed.",
                    self.name,
                    self.rule_name(&[])
                ),
            );
        }
        if required && ignore == IGNORE_IF_ZERO_VALUE {
            self.add_paths(
                &[&[REQUIRED], &[IGNORE]],
                format!(
                    "Field {:?} has both {} and {rule}=IGNORE_IF_ZERO_VALUE. A field cannot be empty if it is required.",
                    self.name,
                    self.rule_name(&[REQUIRED])
                ),
            );
        }
        if ignore == IGNORE_IF_ZERO_VALUE && field.supports_presence() {
            self.add(
                &[IGNORE],
                format!(
                    "Field {:?} has {rule}=IGNORE_IF_ZERO_VALUE and tracks presence. This is the same as the default and the ignore option can be removed.",
                    self.name
                ),
            );
        }
    }

    /// buf's checkCEL without compiling: ids with characters protovalidate rejects, or used
    /// twice, and empty expressions. (Compiling them needs cel-go's type checker.)
    pub(super) fn cel(&mut self, rules: &DynamicMessage, name: &str, bare: bool) {
        let Some(Value::List(entries)) = rules
            .has_field_by_name(name)
            .then(|| rules.get_field_by_name(name))
            .flatten()
            .map(|v| v.into_owned())
        else {
            return;
        };
        let kind = number(rules, name);
        let cel_name = self.rule_name(&[kind]);
        let expression_field = if bare {
            cel_name.clone()
        } else {
            format!("{cel_name}.expression")
        };
        let mut ids: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let index = index as i32;
            let (id, expression) = match entry {
                Value::String(expression) => (String::new(), expression.clone()),
                Value::Message(rule) => (
                    string_of(rule, "id").unwrap_or_default(),
                    string_of(rule, "expression").unwrap_or_default(),
                ),
                _ => continue,
            };
            if !id.is_empty() {
                let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
                if !id.chars().all(valid) {
                    self.add(
                        &[kind, index],
                        format!(
                            "{} has invalid characters for {cel_name}.id. IDs must contain only characters a-z, A-Z, 0-9, '.', '_', '-'.",
                            self.subject()
                        ),
                    );
                }
                ids.entry(id).or_default().push(index);
            }
            if expression.trim().is_empty() {
                self.add(
                    &[kind, index],
                    format!(
                        "{} has an empty {expression_field}. Expressions should always be specified.",
                        self.subject()
                    ),
                );
            }
        }
        for (id, indexes) in ids.into_iter().filter(|(_, i)| i.len() > 1) {
            for index in indexes {
                self.add(
                    &[kind, index],
                    format!(
                        "{cel_name}.id ({id:?}) is not unique within {} {:?}.",
                        self.what, self.name
                    ),
                );
            }
        }
    }

    /// buf's checkOneofRulesForMessage: `(buf.validate.message).oneof` entries name fields
    /// of the message, each once.
    pub(super) fn oneofs(&mut self, rules: &DynamicMessage, message: &MessageDescriptor) {
        let Some(Value::List(entries)) = rules
            .has_field_by_name("oneof")
            .then(|| rules.get_field_by_name("oneof"))
            .flatten()
            .map(|v| v.into_owned())
        else {
            return;
        };
        let kind = number(rules, "oneof");
        let subject = self.subject();
        let mut entries_of: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for (i, entry) in entries.iter().enumerate() {
            let i = i as i32;
            let Some(entry) = entry.as_message() else {
                continue;
            };
            let fields_number = number(entry, "fields");
            let fields: Vec<String> = match entry.get_field_by_name("fields").as_deref() {
                Some(Value::List(names)) => names
                    .iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect(),
                _ => Vec::new(),
            };
            if fields.is_empty() {
                self.add(&[kind, i], format!("{subject} has a (buf.validate.message).oneof entry with no fields. Each oneof entry must specify at least one field."));
                continue;
            }
            let mut seen = std::collections::BTreeSet::new();
            for (j, name) in fields.iter().enumerate() {
                let at = [kind, i, fields_number, j as i32];
                if !seen.insert(name) {
                    self.add(&at, format!("{subject} has a (buf.validate.message).oneof entry that references field {name:?} more than once. Duplicate field names are not permitted."));
                } else if message.get_field_by_name(name).is_none() {
                    self.add(&at, format!("{subject} has a (buf.validate.message).oneof entry that references field {name:?}, which is not defined in the message."));
                } else {
                    entries_of.entry(name.clone()).or_default().push(i);
                }
            }
        }
        for (name, indexes) in entries_of.into_iter().filter(|(_, i)| i.len() > 1) {
            let paths: Vec<[i32; 2]> = indexes.iter().map(|i| [kind, *i]).collect();
            let paths: Vec<&[i32]> = paths.iter().map(|p| p.as_slice()).collect();
            self.add_paths(&paths, format!("{subject} references field {name:?} in more than one (buf.validate.message).oneof entry. A field may only appear in one oneof entry."));
        }
    }

    /// buf's checkRulesTypeMatchFieldType: whether the rules are for the field's type.
    fn type_matches(&mut self, field: &FieldDescriptor, kind: i32, expect_repeated: bool) -> bool {
        let rule = self.rule_name(&[kind]);
        if expect_repeated {
            self.add(
                &[kind],
                format!(
                    "Field {:?} is of type repeated {} but has {rule} rules.",
                    self.name, self.pretty
                ),
            );
            return false;
        }
        let scalar = match kind {
            1 => Some(Kind::Float),
            2 => Some(Kind::Double),
            3 => Some(Kind::Int32),
            4 => Some(Kind::Int64),
            5 => Some(Kind::Uint32),
            6 => Some(Kind::Uint64),
            7 => Some(Kind::Sint32),
            8 => Some(Kind::Sint64),
            9 => Some(Kind::Fixed32),
            10 => Some(Kind::Fixed64),
            11 => Some(Kind::Sfixed32),
            12 => Some(Kind::Sfixed64),
            13 => Some(Kind::Bool),
            14 => Some(Kind::String),
            15 => Some(Kind::Bytes),
            _ => None,
        };
        let matches = match field.kind() {
            Kind::Enum(_) => kind == 16,
            Kind::Message(m) => {
                let wanted = match kind {
                    1 => "google.protobuf.FloatValue",
                    2 => "google.protobuf.DoubleValue",
                    3 => "google.protobuf.Int32Value",
                    4 => "google.protobuf.Int64Value",
                    5 => "google.protobuf.UInt32Value",
                    6 => "google.protobuf.UInt64Value",
                    13 => "google.protobuf.BoolValue",
                    14 => "google.protobuf.StringValue",
                    15 => "google.protobuf.BytesValue",
                    20 => "google.protobuf.Any",
                    21 => "google.protobuf.Duration",
                    22 => "google.protobuf.Timestamp",
                    28 => "google.protobuf.FieldMask",
                    _ => "",
                };
                m.full_name() == wanted
            }
            other => scalar == Some(other),
        };
        if !matches {
            self.add(
                &[kind],
                format!(
                    "Field {:?} is of type {} but has {rule} rules.",
                    self.name, self.pretty
                ),
            );
        }
        matches
    }

    fn map(&mut self, rules: &DynamicMessage, field: &FieldDescriptor) {
        if !field.is_map() {
            self.add(
                &[MAP],
                format!(
                    "Field {:?} is not a map but has {}.",
                    self.name,
                    self.rule_name(&[MAP])
                ),
            );
            return;
        }
        self.min_max(MAP, rules, "min_pairs", "max_pairs");
        let Kind::Message(entry) = field.kind() else {
            return;
        };
        for (name, what, applied_to, number) in [
            ("keys", "map key rules", "map keys", 4),
            ("values", "map value rules", "map values", 5),
        ] {
            let Some(inner) = message(rules, name) else {
                continue;
            };
            let Some(entry_field) = entry.get_field(number as u32 - 3) else {
                continue;
            };
            self.nested(&[MAP, number], &inner, &entry_field, what, applied_to);
        }
    }

    fn repeated(&mut self, rules: &DynamicMessage, field: &FieldDescriptor) {
        if !field.is_list() {
            self.add(
                &[REPEATED],
                format!(
                    "Field {:?} is not repeated but has {} rules.",
                    self.name,
                    self.rule_name(&[REPEATED])
                ),
            );
            return;
        }
        if flag(rules, "unique") {
            if let Kind::Message(m) = field.kind() {
                let wrapper = m.package_name() == "google.protobuf"
                    && m.name().ends_with("Value")
                    && !matches!(m.name(), "Value" | "ListValue");
                if !wrapper {
                    let unique = number(rules, "unique");
                    self.add(
                        &[REPEATED, unique],
                        format!(
                            "Field {:?} is of type {} but has {} set to true, which is only allowed for scalar types and wrapper types.",
                            self.name,
                            self.pretty,
                            self.rule_name(&[REPEATED, unique])
                        ),
                    );
                }
            }
        }
        self.min_max(REPEATED, rules, "min_items", "max_items");
        if let Some(items) = message(rules, "items") {
            self.nested(
                &[REPEATED, 4],
                &items,
                field,
                "repeated item rules",
                "individual items in a repeated field",
            );
        }
    }

    /// The rules of map keys, map values or repeated items, checked like a field's own.
    fn nested(
        &mut self,
        at: &[i32],
        rules: &DynamicMessage,
        field: &FieldDescriptor,
        what: &str,
        applied_to: &str,
    ) {
        let saved = std::mem::replace(&mut self.base, at.to_vec());
        if flag(rules, "required") {
            let rule = self.rule_name(&[REQUIRED]);
            self.add(
                &[REQUIRED],
                format!(
                    "Field {:?} has {rule} on {what}, which is unenforceable. The {rule} constraint cannot be applied to {applied_to}.",
                    self.name
                ),
            );
        }
        self.rules(rules, field, false);
        self.base = saved;
    }

    /// `min` above `max` (min_items/max_items, min_pairs/max_pairs, min_len/max_len).
    fn min_max(&mut self, kind: i32, rules: &DynamicMessage, min: &str, max: &str) {
        let (Some(low), Some(high)) = (u64_of(rules, min), u64_of(rules, max)) else {
            return;
        };
        if low <= high {
            return;
        }
        let (lo, hi) = (number(rules, min), number(rules, max));
        let (lo_name, hi_name) = (self.rule_name(&[kind, lo]), self.rule_name(&[kind, hi]));
        self.add(
            &[kind, lo],
            format!(
                "Field {:?} has value {low} for {lo_name}, which must be lower than value {high} for {hi_name}.",
                self.name
            ),
        );
        self.add(
            &[kind, hi],
            format!(
                "Field {:?} has value {high} for {hi_name}, which must be higher than value {low} for {lo_name}.",
                self.name
            ),
        );
    }

    /// buf's checkConst: `const` makes every other rule of the type pointless.
    fn constant(&mut self, kind: i32, rules: &DynamicMessage) {
        if rules.has_field_by_name("const") && rules.fields().count() > 1 {
            let constant = number(rules, "const");
            self.add(
                &[kind, constant],
                format!(
                    "Field {:?} has {}, therefore other rules in {} are not applied and should be removed.",
                    self.name,
                    self.rule_name(&[kind, constant]),
                    self.rule_name(&[kind])
                ),
            );
        }
    }

    /// buf's checkNumericRules: `const` with other rules, and equal bounds.
    fn numeric(&mut self, kind: i32, rules: &DynamicMessage) {
        self.constant(kind, rules);
        let bound = |names: [&'static str; 2]| {
            names.into_iter().find_map(|name| {
                if !rules.has_field_by_name(name) {
                    return None;
                }
                Some((name, rules.get_field_by_name(name)?.into_owned()))
            })
        };
        let (Some((lower, low)), Some((upper, high))) =
            (bound(["gt", "gte"]), bound(["lt", "lte"]))
        else {
            return;
        };
        // {gt: 3, lt: 5} and {gt: 5, lt: 3} (outside a range) are both valid; equal are not.
        if low != high {
            return;
        }
        let (lo, hi) = (number(rules, lower), number(rules, upper));
        let (lo_name, hi_name) = (self.rule_name(&[kind, lo]), self.rule_name(&[kind, hi]));
        let message = if lower == "gte" && upper == "lte" {
            format!(
                "Field {:?} has equal {lo_name} and {hi_name}, use {}.const instead.",
                self.name,
                self.rule_name(&[kind])
            )
        } else {
            format!(
                "Field {:?} has equal {lo_name} and {hi_name}. All values are rejected by these checks.",
                self.name
            )
        };
        self.add_paths(&[&[kind, lo], &[kind, hi]], message);
    }

    /// A timestamp's `within` must be a positive duration.
    fn within(&mut self, kind: i32, rules: &DynamicMessage) {
        let Some(within) = message(rules, "within") else {
            return;
        };
        let part = |name| match within.get_field_by_name(name).as_deref() {
            Some(Value::I64(n)) => *n,
            Some(Value::I32(n)) => i64::from(*n),
            _ => 0,
        };
        let (seconds, nanos) = (part("seconds"), part("nanos"));
        // An out-of-range duration is buf's other message, which protogen leaves out.
        let valid =
            nanos.abs() < 1_000_000_000 && !(seconds > 0 && nanos < 0 || seconds < 0 && nanos > 0);
        if valid && seconds <= 0 && nanos <= 0 {
            let n = number(rules, "within");
            let mut shown = Vec::new();
            if seconds != 0 {
                shown.push(format!("seconds:{seconds}"));
            }
            if nanos != 0 {
                shown.push(format!("nanos:{nanos}"));
            }
            self.add(
                &[kind, n],
                format!(
                    "Field {:?} must have a positive {} ({}).",
                    self.name,
                    self.rule_name(&[kind, n]),
                    shown.join(" ")
                ),
            );
        }
    }

    /// buf's checkLenRules: `len` with `min`/`max`, and `min` above or equal to `max`.
    fn lengths(&mut self, kind: i32, rules: &DynamicMessage, len: &str, min: &str, max: &str) {
        for bound in [min, max] {
            if rules.has_field_by_name(len) && rules.has_field_by_name(bound) {
                let n = number(rules, bound);
                self.add(
                    &[kind, n],
                    format!(
                        "Field {:?} has {} and therefore, {} is redundant and should be removed.",
                        self.name,
                        self.rule_name(&[kind, number(rules, len)]),
                        self.rule_name(&[kind, n])
                    ),
                );
            }
        }
        if let (Some(low), Some(high)) = (u64_of(rules, min), u64_of(rules, max)) {
            if low == high {
                let (lo, hi) = (number(rules, min), number(rules, max));
                self.add_paths(
                    &[&[kind, lo], &[kind, hi]],
                    format!(
                        "Field {:?} has equal {} and {max}, use {}.{len} instead.",
                        self.name,
                        self.rule_name(&[kind, lo]),
                        self.rule_name(&[kind])
                    ),
                );
            }
        }
        self.min_max(kind, rules, min, max);
    }

    fn string(&mut self, kind: i32, rules: &DynamicMessage) {
        self.constant(kind, rules);
        self.lengths(kind, rules, "len", "min_len", "max_len");
        self.lengths(kind, rules, "len_bytes", "min_bytes", "max_bytes");
        let n = |name| number(rules, name);
        if let (Some(min_len), Some(max_bytes)) =
            (u64_of(rules, "min_len"), u64_of(rules, "max_bytes"))
        {
            if max_bytes < min_len {
                let (a, b) = (
                    self.rule_name(&[kind, n("min_len")]),
                    self.rule_name(&[kind, n("max_bytes")]),
                );
                let why = format!("A string with {min_len} UTF-8 characters has at least {min_len} bytes, which is higher than {max_bytes} bytes.");
                self.add(&[kind, n("min_len")], format!("Field {:?} has value {min_len} for {a}, which must be lower than value {max_bytes} for {b}. {why}", self.name));
                self.add(&[kind, n("max_bytes")], format!("Field {:?} has value {max_bytes} for {b}, which must be higher than value {min_len} for {a}. {why}", self.name));
            }
        }
        if let (Some(max_len), Some(min_bytes)) =
            (u64_of(rules, "max_len"), u64_of(rules, "min_bytes"))
        {
            if max_len.saturating_mul(4) < min_bytes {
                let (a, b) = (
                    self.rule_name(&[kind, n("min_bytes")]),
                    self.rule_name(&[kind, n("max_len")]),
                );
                let why = format!(
                    "A string with {max_len} UTF-8 characters has at most {} bytes.",
                    max_len * 4
                );
                self.add(
                    &[kind, n("min_bytes")],
                    format!(
                        "Field {:?} has value {min_bytes} for {a} but {max_len} for {b}. {why}",
                        self.name
                    ),
                );
                self.add(
                    &[kind, n("max_len")],
                    format!(
                        "Field {:?} has value {max_len} for {b} but {min_bytes} for {a}. {why}",
                        self.name
                    ),
                );
            }
        }
        let not_contains = string_of(rules, "not_contains");
        for name in ["prefix", "suffix", "contains"] {
            let Some(part) = string_of(rules, name) else {
                continue;
            };
            let rule = self.rule_name(&[kind, n(name)]);
            let chars = part.chars().count() as u64;
            if let Some(max_len) = u64_of(rules, "max_len").filter(|m| chars > *m) {
                self.add(&[kind, n(name)], format!("Field {:?} has a {rule} of length {chars}, exceeding its max_len ({max_len}). It is impossible for a string to contain {part:?} while having less than or equal to {chars} UTF-8 characters.", self.name));
            }
            let bytes = part.len() as u64;
            if let Some(max_bytes) = u64_of(rules, "max_bytes").filter(|m| bytes > *m) {
                self.add(&[kind, n(name)], format!("Field {:?} has a {rule} of {bytes} bytes, exceeding its max_bytes ({max_bytes}). It is impossible for a string to contain {part:?} while having less than or equal to {bytes} bytes.", self.name));
            }
            if let Some(not) = not_contains.as_deref().filter(|not| part.contains(not)) {
                self.add(&[kind, n(name)], format!("Field {:?} has a {rule} ({part:?}) containing its not_contains ({not:?}). It is impossible for a string to contain {part:?} without containing {not:?}.", self.name));
            }
        }
        self.pattern(kind, rules);
        let strict_off = rules.has_field_by_name("strict") && !flag(rules, "strict");
        if strict_off && !rules.has_field_by_name("well_known_regex") {
            let (strict, regex) = (
                self.rule_name(&[kind, n("strict")]),
                self.rule_name(&[kind, n("well_known_regex")]),
            );
            self.add(&[kind, n("strict")], format!("Field {:?} has {strict} without {regex}. {strict} only applies to {regex} and is invalid without it.", self.name));
        }
    }

    fn bytes(&mut self, kind: i32, rules: &DynamicMessage) {
        self.constant(kind, rules);
        self.lengths(kind, rules, "len", "min_len", "max_len");
        for name in ["prefix", "suffix", "contains"] {
            let Some(Value::Bytes(part)) = rules
                .has_field_by_name(name)
                .then(|| rules.get_field_by_name(name))
                .flatten()
                .map(|v| v.into_owned())
            else {
                continue;
            };
            if let Some(max_len) = u64_of(rules, "max_len").filter(|m| part.len() as u64 > *m) {
                let n = number(rules, name);
                self.add(&[kind, n], format!("Field {:?} has a {} of {} bytes, exceeding its max_len ({max_len}). It is impossible to contain {} while having less than or equal to {max_len} bytes.", self.name, self.rule_name(&[kind, n]), part.len(), GoQuoted(&part)));
            }
        }
        self.pattern(kind, rules);
    }

    /// A `pattern` that does not compile (RE2 syntax, which the regex crate shares).
    fn pattern(&mut self, kind: i32, rules: &DynamicMessage) {
        let Some(pattern) = string_of(rules, "pattern") else {
            return;
        };
        if let Err(error) = regex::Regex::new(&pattern) {
            let n = number(rules, "pattern");
            let reason = error.to_string();
            // The regex crate's last line says why (`error: unclosed character class`).
            let reason = reason.lines().last().unwrap_or_default().trim();
            let reason = reason.strip_prefix("error: ").unwrap_or(reason).to_string();
            self.add(
                &[kind, n],
                format!(
                    "Field {:?} has a {} that fails to compile: {reason}.",
                    self.name,
                    self.rule_name(&[kind, n])
                ),
            );
        }
    }
}

fn flag(rules: &DynamicMessage, name: &str) -> bool {
    rules.has_field_by_name(name)
        && matches!(
            rules.get_field_by_name(name).as_deref(),
            Some(Value::Bool(true))
        )
}

fn u64_of(rules: &DynamicMessage, name: &str) -> Option<u64> {
    if !rules.has_field_by_name(name) {
        return None;
    }
    rules.get_field_by_name(name)?.as_u64()
}

fn string_of(rules: &DynamicMessage, name: &str) -> Option<String> {
    if !rules.has_field_by_name(name) {
        return None;
    }
    rules.get_field_by_name(name)?.as_str().map(str::to_string)
}

fn message(rules: &DynamicMessage, name: &str) -> Option<DynamicMessage> {
    if !rules.has_field_by_name(name) {
        return None;
    }
    rules.get_field_by_name(name)?.as_message().cloned()
}

/// The field number of `name` in the rules message (0 when absent: paths then miss).
fn number(rules: &DynamicMessage, name: &str) -> i32 {
    rules
        .descriptor()
        .get_field_by_name(name)
        .map_or(0, |f| f.number() as i32)
}

/// The field's type as buf prints it.
pub(super) fn pretty_type(field: &FieldDescriptor) -> String {
    match field.kind() {
        Kind::Message(m) if field.is_map() => {
            let (Some(k), Some(v)) = (m.get_field(1), m.get_field(2)) else {
                return m.full_name().to_string();
            };
            format!("map<{}, {}>", pretty_type(&k), pretty_type(&v))
        }
        Kind::Message(m) => m.full_name().to_string(),
        Kind::Enum(_) => "enum".to_string(),
        other => format!("{other:?}").to_lowercase(),
    }
}

//! Field rules: type, cardinality, name, JSON name, oneof, default and per-language
//! options. Fields are paired by number within messages paired by full name, and
//! extensions by (extendee, number).

use std::collections::HashMap;
use std::ops::Deref;

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::field_options::{CType, JsType};

use super::sink::{Place, Report, Sink};
use crate::contract::features;
use crate::contract::model::{self, sub, Cardinality, Model};

/// One side of a field pair: the model's field, and where buf points for it.
struct Field<'x, 'a> {
    field: model::Field<'x, 'a>,
    /// For a field of a synthetic map entry: the `map<K, V>` field that declares it, whose
    /// location buf uses (the entry's fields have none of their own).
    map_field: Option<Vec<i32>>,
}

impl<'x, 'a> Deref for Field<'x, 'a> {
    type Target = model::Field<'x, 'a>;

    fn deref(&self) -> &Self::Target {
        &self.field
    }
}

impl Field<'_, '_> {
    /// The type on the wire: in editions, a message field with delimited encoding is a group,
    /// but not a map field nor a map entry's value (protoc and buf keep those length-prefixed).
    fn kind(&self) -> Type {
        let written = self.desc.r#type();
        let delimited = || {
            self.model.features(self.file, &self.path).message_encoding == Some(features::DELIMITED)
        };
        if written == Type::Message
            && self.syntax() == model::Syntax::Editions
            && self.map_entry().is_none()
            && !self
                .message
                .is_some_and(|m| self.model.messages[m].is_map_entry())
            && delimited()
        {
            Type::Group
        } else {
            written
        }
    }

    /// `field 4 "role" of message "User"` or `extension 150 "a.v1.ext" of "a.v1.M"`.
    fn describe(&self) -> String {
        match self.message {
            Some(m) => format!(
                "field {} \"{}\" of message \"{}\"",
                self.desc.number(),
                self.desc.name(),
                self.model.messages[m].name()
            ),
            None => format!(
                "extension {} \"{}\" of \"{}\"",
                self.desc.number(),
                self.full_name,
                self.desc.extendee().trim_start_matches('.')
            ),
        }
    }

    fn at(&self, tails: &[&[i32]]) -> Place {
        let mut candidates: Vec<Vec<i32>> = tails.iter().map(|t| sub(&self.path, t)).collect();
        candidates.push(self.path.clone());
        if let Some(map_field) = &self.map_field {
            candidates.push(sub(map_field, &[6]));
            candidates.push(map_field.clone());
        }
        Place::At {
            file: self.file,
            candidates,
        }
    }

    fn type_place(&self) -> Place {
        match self.kind() {
            Type::Message | Type::Enum | Type::Group => self.at(&[&[6]]),
            _ => self.at(&[&[5]]),
        }
    }

    fn report(&self, rule: &'static str, place: Place, against: &Field, message: String) -> Report {
        Report {
            rule,
            place,
            anchor: Some(self.path.clone()),
            against: Some(against.file),
            element: self.full_name.clone(),
            message,
        }
    }
}

/// How buf words a cardinality, and which ones the wire formats can tell apart.
fn cardinality_text(c: Cardinality) -> &'static str {
    match c {
        Cardinality::Explicit => "optional with explicit presence",
        Cardinality::Implicit => "optional with implicit presence",
        Cardinality::Required => "required",
        Cardinality::Repeated => "repeated",
        Cardinality::Map => "map",
    }
}

fn cardinality_wire(c: Cardinality) -> u8 {
    match c {
        Cardinality::Explicit | Cardinality::Implicit => 1,
        Cardinality::Required => 2,
        Cardinality::Repeated | Cardinality::Map => 3,
    }
}

fn cardinality_wire_json(c: Cardinality) -> u8 {
    match c {
        Cardinality::Map => 4,
        other => cardinality_wire(other),
    }
}

/// Judges the fields of the baseline's messages in `messages` (indexes into its model's
/// messages; the rules split them over two threads) against the current ones.
pub fn check_messages(sink: &mut Sink, messages: std::ops::Range<usize>) {
    let (prev, cur) = (sink.prev, sink.cur);
    let start = messages.start;
    for (pm, previous) in prev.messages[messages].iter().enumerate() {
        let pm = start + pm;
        let Some(&cm) = cur.message_by_name.get(&previous.full_name) else {
            continue;
        };
        let current = &cur.messages[cm];
        let by_number: HashMap<i32, usize> = current
            .desc
            .field
            .iter()
            .enumerate()
            .map(|(i, f)| (f.number(), i))
            .collect();
        for (pi, pf) in previous.desc.field.iter().enumerate() {
            let Some(&ci) = by_number.get(&pf.number()) else {
                continue;
            };
            let before = Field {
                field: prev.field_of(pm, pi),
                map_field: map_field(prev, pm),
            };
            let after = Field {
                field: cur.field_of(cm, ci),
                map_field: map_field(cur, cm),
            };
            compare(sink, &before, &after);
        }
    }
}

/// Judges the baseline's extensions against the current ones.
pub fn check_extensions(sink: &mut Sink) {
    let (prev, cur) = (sink.prev, sink.cur);
    for (key, &p) in &prev.extension_by_key {
        let Some(&c) = cur.extension_by_key.get(key) else {
            continue;
        };
        let before = Field {
            field: prev.extension_field(p),
            map_field: None,
        };
        let after = Field {
            field: cur.extension_field(c),
            map_field: None,
        };
        compare(sink, &before, &after);
    }
}

/// The path of the `map<K, V>` field declaring `message`, if it is a map entry.
fn map_field(side: &Model, message: usize) -> Option<Vec<i32>> {
    let entry = &side.messages[message];
    if !entry.is_map_entry() {
        return None;
    }
    let parent = &side.messages[entry.parent?];
    let type_name = format!(".{}", entry.full_name);
    let i = parent
        .desc
        .field
        .iter()
        .position(|f| f.type_name() == type_name)?;
    Some(sub(&parent.path, &[2, i as i32]))
}

fn compare(sink: &mut Sink, before: &Field, after: &Field) {
    let mut reports = Vec::new();
    cardinality(sink, before, after, &mut reports);
    types(sink, before, after, &mut reports);
    names(sink, before, after, &mut reports);
    options(sink, before, after, &mut reports);
    default(sink, before, after, &mut reports);
    for report in reports {
        sink.add(report);
    }
}

fn cardinality(sink: &Sink, before: &Field, after: &Field, out: &mut Vec<Report>) {
    const RULES: [&str; 3] = [
        "FIELD_SAME_CARDINALITY",
        "FIELD_WIRE_COMPATIBLE_CARDINALITY",
        "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
    ];
    if !sink.any_on(&RULES) || (before.in_map_entry() && after.in_map_entry()) {
        return;
    }
    let (b, a) = (before.cardinality(), after.cardinality());
    if b == a {
        return;
    }
    let consequence = match (b, a) {
        (_, Cardinality::Required) => "clients built before this change may omit it, and their messages are now rejected".to_string(),
        (Cardinality::Required, _) => "clients built before this change reject every message that lacks it".to_string(),
        (Cardinality::Explicit, Cardinality::Implicit) | (Cardinality::Implicit, Cardinality::Explicit) => {
            "generated code changes between a plain value and an Option, so callers stop compiling, and clients built before this change no longer tell \"unset\" from the default".to_string()
        }
        _ => format!(
            "clients built before this change decode field {} as {} and get wrong values or fail",
            after.desc.number(),
            cardinality_text(b)
        ),
    };
    let message = format!(
        "{} changed from {} to {}: {consequence}; restore `{}` or add a new field with a new number",
        after.describe(),
        cardinality_text(b),
        cardinality_text(a),
        cardinality_text(b)
    );
    let checks = [
        ("FIELD_SAME_CARDINALITY", true),
        (
            "FIELD_WIRE_COMPATIBLE_CARDINALITY",
            cardinality_wire(b) != cardinality_wire(a),
        ),
        (
            "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY",
            cardinality_wire_json(b) != cardinality_wire_json(a),
        ),
    ];
    for (rule, breaks) in checks {
        if breaks && sink.on(rule) {
            out.push(after.report(rule, after.at(&[]), before, message.clone()));
        }
    }
}

fn wire_group(kind: Type) -> u8 {
    match kind {
        Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 | Type::Bool => 1,
        Type::Sint32 | Type::Sint64 => 2,
        Type::String => 3,
        Type::Bytes => 4,
        Type::Fixed32 | Type::Sfixed32 => 5,
        Type::Fixed64 | Type::Sfixed64 => 6,
        Type::Double => 7,
        Type::Float => 8,
        Type::Group => 9,
        Type::Message => 10,
        Type::Enum => 11,
    }
}

fn wire_json_group(kind: Type) -> u8 {
    match kind {
        Type::Int32 | Type::Uint32 => 1,
        Type::Int64 | Type::Uint64 => 2,
        Type::Fixed32 | Type::Sfixed32 => 3,
        Type::Fixed64 | Type::Sfixed64 => 4,
        Type::Bool => 5,
        Type::Sint32 => 6,
        Type::Sint64 => 7,
        Type::String => 8,
        Type::Bytes => 9,
        Type::Double => 10,
        Type::Float => 11,
        Type::Group => 12,
        Type::Message => 13,
        Type::Enum => 14,
    }
}

fn type_text(field: &Field) -> String {
    match field.kind() {
        Type::Message | Type::Enum | Type::Group => {
            field.desc.type_name().trim_start_matches('.').to_string()
        }
        other => other
            .as_str_name()
            .trim_start_matches("TYPE_")
            .to_ascii_lowercase(),
    }
}

/// Same short name and every baseline value still present: an enum evolved in place.
fn same_enum(before: &Field, after: &Field) -> bool {
    let (Some(b), Some(a)) = (
        before.model.enum_(before.desc.type_name()),
        after.model.enum_(after.desc.type_name()),
    ) else {
        return false;
    };
    b.desc.name() == a.desc.name()
        && b.desc.value.iter().all(|v| {
            a.desc
                .value
                .iter()
                .any(|w| w.number() == v.number() && w.name() == v.name())
        })
}

fn types(sink: &Sink, before: &Field, after: &Field, out: &mut Vec<Report>) {
    const RULES: [&str; 3] = [
        "FIELD_SAME_TYPE",
        "FIELD_WIRE_COMPATIBLE_TYPE",
        "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
    ];
    if !sink.any_on(&RULES) {
        return;
    }
    let (bk, ak) = (before.kind(), after.kind());
    let named = matches!(ak, Type::Message | Type::Enum | Type::Group);
    let name_changed = before.desc.type_name() != after.desc.type_name();
    if bk == ak && !(named && name_changed) {
        return;
    }
    let message = |extra: &str| {
        format!(
            "{} changed type from {} to {}: clients built before this change will fail to decode field {} as {} (or silently read wrong values){extra}; add a new field with a new number and deprecate this one",
            after.describe(),
            type_text(before),
            type_text(after),
            after.desc.number(),
            type_text(before),
        )
    };
    let type_name_place = || after.at(&[&[6]]);
    if sink.on("FIELD_SAME_TYPE") {
        let place = if bk != ak {
            after.type_place()
        } else {
            type_name_place()
        };
        out.push(after.report("FIELD_SAME_TYPE", place, before, message("")));
    }
    for (rule, group) in [
        ("FIELD_WIRE_COMPATIBLE_TYPE", wire_group as fn(Type) -> u8),
        ("FIELD_WIRE_JSON_COMPATIBLE_TYPE", wire_json_group),
    ] {
        if !sink.on(rule) {
            continue;
        }
        let wire_only = rule == "FIELD_WIRE_COMPATIBLE_TYPE";
        if group(bk) != group(ak) {
            if wire_only && bk == Type::String && ak == Type::Bytes {
                continue;
            }
            let extra = if wire_only && bk == Type::Bytes && ak == Type::String {
                " unless every value ever sent was valid UTF-8"
            } else {
                ""
            };
            out.push(after.report(rule, after.type_place(), before, message(extra)));
            continue;
        }
        let breaks = match ak {
            Type::Enum => name_changed && !same_enum(before, after),
            Type::Message | Type::Group => name_changed,
            _ => false,
        };
        if breaks {
            out.push(after.report(rule, type_name_place(), before, message("")));
        }
    }
}

fn names(sink: &Sink, before: &Field, after: &Field, out: &mut Vec<Report>) {
    if sink.on("FIELD_SAME_NAME") {
        let (b, a) = if before.is_extension() {
            (before.full_name.as_str(), after.full_name.as_str())
        } else {
            (before.desc.name(), after.desc.name())
        };
        if b != a {
            out.push(after.report(
                "FIELD_SAME_NAME",
                after.at(&[&[1]]),
                before,
                format!(
                    "field {} changed name from \"{b}\" to \"{a}\": generated code that uses the old name no longer builds, and JSON and text-format clients built before this change no longer recognise it; rename it back",
                    after.desc.number()
                ),
            ));
        }
    }
    if sink.on("FIELD_SAME_JSON_NAME") && !before.is_extension() {
        let (b, a) = (before.json_name(), after.json_name());
        if b != a {
            out.push(after.report(
                "FIELD_SAME_JSON_NAME",
                Place::Option {
                    file: after.file,
                    path: sub(&after.path, &[10]),
                    keyword: "json_name",
                    fallback: after.path.clone(),
                },
                before,
                format!(
                    "{} changed its JSON name from \"{b}\" to \"{a}\": JSON clients built before this change send and expect \"{b}\", which is now ignored; set `json_name = \"{b}\"`",
                    after.describe()
                ),
            ));
        }
    }
    if sink.on("FIELD_SAME_ONEOF") && !before.is_extension() {
        let (b, a) = (
            before.oneof().map(|o| o.name()),
            after.oneof().map(|o| o.name()),
        );
        let change = match (b, a) {
            (None, None) => None,
            (Some(b), Some(a)) if b == a => None,
            (Some(b), Some(a)) => Some(format!("moved from oneof \"{b}\" to oneof \"{a}\"")),
            (Some(b), None) => Some(format!("moved out of oneof \"{b}\"")),
            (None, Some(a)) => Some(format!("moved into oneof \"{a}\"")),
        };
        if let Some(change) = change {
            out.push(after.report(
                "FIELD_SAME_ONEOF",
                after.at(&[]),
                before,
                format!(
                    "{} {change}: clients built before this change may set it together with fields it now excludes, and the generated accessors change shape; move it back",
                    after.describe()
                ),
            ));
        }
    }
}

fn is_64_bit(kind: Type) -> bool {
    matches!(
        kind,
        Type::Int64 | Type::Sint64 | Type::Uint64 | Type::Fixed64 | Type::Sfixed64
    )
}

/// The C++ string type, as buf reads it: `ctype` where set before edition 2024, else the
/// resolved `(pb.cpp).string_type` (STRING for proto2 and proto3): (type, is STRING_PIECE).
fn cpp_string_type(field: &Field) -> (&'static str, bool) {
    let edition = field.model.edition(field.file);
    let ctype = field.desc.options.as_ref().and_then(|o| o.ctype);
    match ctype.filter(|_| edition.is_none_or(|e| e < features::EDITION_2024)) {
        Some(c) if c == CType::Cord as i32 => ("CORD", false),
        Some(c) if c == CType::StringPiece as i32 => ("STRING", true),
        Some(c) if c == CType::String as i32 || edition.is_none() => ("STRING", false),
        _ => {
            let resolved = field.model.features(field.file, &field.path);
            let name = features::CPP_STRING_TYPES.get(resolved.cpp_string_type() as usize);
            (name.copied().unwrap_or("STRING_TYPE_UNKNOWN"), false)
        }
    }
}

fn utf8_default(field: &Field) -> &'static str {
    let features = field.model.features(field.file, &field.path);
    if features.utf8_validation == Some(features::VERIFY) {
        "VERIFY"
    } else {
        "NONE"
    }
}

/// Java's UTF-8 validation, as buf reads it: VERIFY when the file's java_string_check_utf8
/// says so (proto2, proto3, or where set) or, in editions, `(pb.java).utf8_validation =
/// VERIFY`; else the field's own UTF-8 validation.
fn java_utf8(field: &Field) -> &'static str {
    let check = field.model.files[field.file]
        .desc
        .options
        .as_ref()
        .and_then(|o| o.java_string_check_utf8);
    let verifies = match (check, field.syntax()) {
        (None, model::Syntax::Editions) => field
            .model
            .features(field.file, &field.path)
            .java_verifies_utf8(),
        (check, _) => check == Some(true),
    };
    if verifies {
        "VERIFY"
    } else {
        utf8_default(field)
    }
}

fn options(sink: &Sink, before: &Field, after: &Field, out: &mut Vec<Report>) {
    let (bk, ak) = (before.kind(), after.kind());
    let is_text = |k: Type| matches!(k, Type::String | Type::Bytes);
    if sink.on("FIELD_SAME_CPP_STRING_TYPE")
        && !(before.in_map_entry() && after.in_map_entry())
        && is_text(bk)
        && is_text(ak)
    {
        let (b, b_piece) = cpp_string_type(before);
        let (a, a_piece) = cpp_string_type(after);
        let show = |t: &str, piece: bool| {
            if piece {
                "STRING_PIECE".to_string()
            } else {
                t.to_string()
            }
        };
        if (b != a || b_piece != a_piece) && !(b_piece && a == "STRING" && !a_piece) {
            out.push(after.report(
                "FIELD_SAME_CPP_STRING_TYPE",
                after.at(&[&[8, 1], &[8, 21, 1000, 2]]),
                before,
                format!(
                    "{} changed its C++ string type from {} to {}: C++ code using the generated accessors no longer builds; restore {}",
                    after.describe(),
                    show(b, b_piece),
                    show(a, a_piece),
                    if after.syntax() == model::Syntax::Editions {
                        format!("`features.(pb.cpp).string_type = {b}`")
                    } else {
                        format!("`ctype = {}`", show(b, b_piece))
                    }
                ),
            ));
        }
    }
    if bk == Type::String && ak == Type::String {
        if sink.on("FIELD_SAME_JAVA_UTF8_VALIDATION") {
            let (b, a) = (java_utf8(before), java_utf8(after));
            if b != a {
                out.push(after.report(
                    "FIELD_SAME_JAVA_UTF8_VALIDATION",
                    Place::At {
                        file: after.file,
                        candidates: vec![
                            vec![8, 27],
                            sub(&after.path, &[8, 21, 1001, 2]),
                            after.path.clone(),
                        ],
                    },
                    before,
                    format!(
                        "{} changed Java UTF-8 validation from {b} to {a}: Java clients built before this change accept or reject different strings than the new ones; restore {}",
                        after.describe(),
                        if after.syntax() == model::Syntax::Editions {
                            "`features.(pb.java).utf8_validation` (or `features.utf8_validation`)"
                        } else {
                            "the file's java_string_check_utf8"
                        }
                    ),
                ));
            }
        }
        if sink.on("FIELD_SAME_UTF8_VALIDATION") {
            let (b, a) = (utf8_default(before), utf8_default(after));
            if b != a {
                out.push(after.report(
                    "FIELD_SAME_UTF8_VALIDATION",
                    after.at(&[&[8, 21, 4]]),
                    before,
                    format!(
                        "{} changed UTF-8 validation from {b} to {a}: peers now reject (or pass on) strings that clients built before this change accept; keep the file's syntax",
                        after.describe()
                    ),
                ));
            }
        }
    }
    if sink.on("FIELD_SAME_JSTYPE") && is_64_bit(bk) && is_64_bit(ak) {
        let jstype = |f: &Field| {
            f.desc
                .options
                .as_ref()
                .map_or(JsType::JsNormal, |o| o.jstype())
                .as_str_name()
        };
        let (b, a) = (jstype(before), jstype(after));
        if b != a {
            out.push(after.report(
                "FIELD_SAME_JSTYPE",
                after.at(&[&[8, 6]]),
                before,
                format!(
                    "{} changed option jstype from {b} to {a}: JavaScript code generated before this change reads it as a different type (string or number); restore `jstype = {b}`",
                    after.describe()
                ),
            ));
        }
    }
}

/// A field's default, comparable across types the way buf compares them.
#[derive(Debug, Clone, PartialEq)]
enum Default {
    Text(String),
    Int(i128),
    Float(f64, bool),
}

impl Default {
    fn is_zero(&self) -> bool {
        match self {
            Default::Text(s) => s.is_empty(),
            Default::Int(i) => *i == 0,
            Default::Float(f, _) => *f == 0.0 && f.is_sign_positive(),
        }
    }

    fn same(&self, other: &Default) -> bool {
        match (self, other) {
            (Default::Text(a), Default::Text(b)) => a == b,
            (Default::Text(_), _) | (_, Default::Text(_)) => false,
            (Default::Float(a, a32), Default::Float(b, b32)) if a32 != b32 => {
                (a.is_nan() && b.is_nan()) || (*a as f32) == (*b as f32)
            }
            (Default::Float(a, _), Default::Float(b, _)) => (a.is_nan() && b.is_nan()) || a == b,
            (Default::Int(a), Default::Int(b)) => a == b,
            (Default::Int(i), Default::Float(f, _)) | (Default::Float(f, _), Default::Int(i)) => {
                !f.is_nan() && *i as f64 == *f && f.fract() == 0.0
            }
        }
    }

    fn show(&self) -> String {
        match self {
            Default::Text(s) => format!("\"{s}\""),
            Default::Int(i) => i.to_string(),
            Default::Float(f, _) => f.to_string(),
        }
    }
}

fn parse_float(text: &str) -> f64 {
    match text {
        "inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        "nan" | "-nan" => f64::NAN,
        other => other.parse().unwrap_or(0.0),
    }
}

/// `None` when the field cannot have a default (repeated or message-typed).
fn default_of(field: &Field) -> Option<Default> {
    let d = field.desc;
    if d.label() == Label::Repeated || matches!(d.r#type(), Type::Message | Type::Group) {
        return None;
    }
    let explicit = d.default_value.as_deref();
    Some(match d.r#type() {
        Type::String | Type::Bytes => Default::Text(explicit.unwrap_or("").to_string()),
        Type::Bool => Default::Int(i128::from(explicit == Some("true"))),
        Type::Float => {
            let value = explicit.map_or(0.0, |t| f64::from(parse_float(t) as f32));
            Default::Float(value, true)
        }
        Type::Double => Default::Float(explicit.map_or(0.0, parse_float), false),
        Type::Enum => {
            let enum_ = field.model.enum_(d.type_name());
            let number = enum_.and_then(|e| {
                let value = match explicit {
                    Some(name) => e.desc.value.iter().find(|v| v.name() == name),
                    None => e.desc.value.first(),
                };
                value.map(|v| v.number())
            });
            Default::Int(i128::from(number.unwrap_or(0)))
        }
        _ => Default::Int(explicit.and_then(|t| t.parse().ok()).unwrap_or(0)),
    })
}

fn default(sink: &Sink, before: &Field, after: &Field, out: &mut Vec<Report>) {
    if !sink.on("FIELD_SAME_DEFAULT") {
        return;
    }
    let (Some(b), Some(a)) = (default_of(before), default_of(after)) else {
        return;
    };
    if (b.is_zero() && a.is_zero()) || b.same(&a) {
        return;
    }
    out.push(after.report(
        "FIELD_SAME_DEFAULT",
        Place::Option {
            file: after.file,
            path: sub(&after.path, &[7]),
            keyword: "default",
            fallback: after.path.clone(),
        },
        before,
        format!(
            "{} changed its default from {} to {}: clients built before this change read an unset field as {} while new code reads {}; restore the default",
            after.describe(),
            b.show(),
            a.show(),
            b.show(),
            a.show()
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_compare_across_numeric_types() {
        assert!(Default::Int(5).same(&Default::Float(5.0, false)));
        assert!(!Default::Int(5).same(&Default::Int(6)));
        assert!(Default::Float(0.1f32 as f64, true).same(&Default::Float(0.1, false)));
        assert!(!Default::Text("5".into()).same(&Default::Int(5)));
    }
}

//! Message rules: deleted fields and oneofs, reserved and extension ranges, required
//! fields, message options. Messages are paired by full name, wherever they live.

use std::collections::HashMap;

use prost_types::field_descriptor_proto::Label;
use prost_types::DescriptorProto;

use super::sink::{Place, Report, Sink};
use crate::contract::model::{is_synthetic_oneof, qualify, sub, Message};

/// Largest field number of a message, and of a message with message_set_wire_format.
pub const MESSAGE_MAX: i32 = 536_870_911;
const MESSAGE_SET_MAX: i32 = 2_147_483_646;

pub fn check(sink: &mut Sink) {
    let (prev, cur) = (sink.prev, sink.cur);
    for previous in &prev.messages {
        let Some(&c) = cur.message_by_name.get(&previous.full_name) else {
            continue;
        };
        let current = &cur.messages[c];
        deleted_fields(sink, previous, current);
        deleted_oneofs(sink, previous, current);
        ranges(sink, previous, current);
        required_fields(sink, previous, current);
        options(sink, previous, current);
    }
}

fn at(message: &Message) -> Place {
    Place::At {
        file: message.file,
        candidates: vec![message.path.clone()],
    }
}

fn deleted_fields(sink: &mut Sink, previous: &Message, current: &Message) {
    const RULES: [&str; 3] = [
        "FIELD_NO_DELETE",
        "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
    ];
    if !sink.any_on(&RULES) {
        return;
    }
    let numbers: HashMap<i32, ()> = current
        .desc
        .field
        .iter()
        .map(|f| (f.number(), ()))
        .collect();
    let against = Some(previous.file);
    let name = current.name();
    for field in &previous.desc.field {
        let number = field.number();
        if numbers.contains_key(&number) {
            continue;
        }
        let field_name = field.name();
        let element = qualify(&current.full_name, field_name);
        let number_reserved = in_reserved_ranges(current.desc, number);
        let name_reserved = current.desc.reserved_name.iter().any(|n| n == field_name);
        let base = format!("field {number} \"{field_name}\" was deleted from message \"{name}\"");
        let mut report = |rule, message: String| {
            sink.add(Report {
                rule,
                place: at(current),
                anchor: Some(current.path.clone()),
                against,
                element: element.clone(),
                message,
            })
        };
        report(
            "FIELD_NO_DELETE",
            format!("{base}: clients built before this change still send it and it is silently dropped, and a later field reusing number {number} would be misread by them; reserve {number} and \"{field_name}\" instead of deleting (`reserved {number}; reserved \"{field_name}\";`)"),
        );
        if !number_reserved {
            report(
                "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
                format!("{base} without reserving number {number}: a later field reusing {number} would be misread by clients built before this change; add `reserved {number};`"),
            );
        }
        if !name_reserved {
            report(
                "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
                format!("{base} without reserving its name: a later field named \"{field_name}\" would be misread by JSON clients built before this change; add `reserved \"{field_name}\";`"),
            );
        }
    }
}

fn in_reserved_ranges(message: &DescriptorProto, number: i32) -> bool {
    message
        .reserved_range
        .iter()
        .any(|r| r.start() <= number && number < r.end())
}

fn deleted_oneofs(sink: &mut Sink, previous: &Message, current: &Message) {
    if !sink.on("ONEOF_NO_DELETE") {
        return;
    }
    for (i, oneof) in previous.desc.oneof_decl.iter().enumerate() {
        if is_synthetic_oneof(previous.desc, i)
            || current
                .desc
                .oneof_decl
                .iter()
                .any(|o| o.name() == oneof.name())
        {
            continue;
        }
        sink.add(Report {
            rule: "ONEOF_NO_DELETE",
            place: at(current),
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: qualify(&current.full_name, oneof.name()),
            message: format!(
                "oneof \"{}\" was deleted from message \"{}\": generated code that reads or sets it no longer builds, and clients built before this change may set several of its former fields at once; keep the oneof",
                oneof.name(),
                current.name()
            ),
        });
    }
}

/// Inclusive ranges.
pub type Ranges = Vec<(i32, i32)>;

fn collapse(mut ranges: Ranges) -> Ranges {
    ranges.sort_unstable();
    let mut out: Ranges = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match out.last_mut() {
            Some(last) if i64::from(start) <= i64::from(last.1) + 1 => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// The parts of `[start, end]` that `collapsed` does not cover.
fn missing(start: i32, end: i32, collapsed: &Ranges) -> Ranges {
    let mut out = Vec::new();
    let mut next = i64::from(start);
    for &(s, e) in collapsed {
        if i64::from(e) < next {
            continue;
        }
        if i64::from(s) > i64::from(end) {
            break;
        }
        if i64::from(s) > next {
            out.push((next as i32, s - 1));
        }
        next = i64::from(e) + 1;
        if next > i64::from(end) {
            return out;
        }
    }
    if next <= i64::from(end) {
        out.push((next as i32, end));
    }
    out
}

pub fn range_text(start: i32, end: i32, max: i32) -> String {
    if start == end {
        format!("[{start}]")
    } else if end == max {
        format!("[{start},max]")
    } else {
        format!("[{start},{end}]")
    }
}

/// Reports each baseline range that lost values: `what` is `reserved` or `extension`.
#[allow(clippy::too_many_arguments)]
pub fn check_ranges(
    sink: &mut Sink,
    rule: &'static str,
    what: &str,
    kind: &str,
    name: &str,
    full_name: &str,
    place: impl Fn() -> Place,
    anchor: &[i32],
    against: usize,
    max: i32,
    previous: Ranges,
    current: Ranges,
    consequence: &str,
) {
    if previous.is_empty() || !sink.on(rule) {
        return;
    }
    let collapsed = collapse(current);
    for (start, end) in previous {
        let gone = missing(start, end, &collapsed);
        if gone.is_empty() {
            continue;
        }
        let gone: Vec<String> = gone.iter().map(|&(s, e)| range_text(s, e, max)).collect();
        sink.add(Report {
            rule,
            place: place(),
            anchor: Some(anchor.to_vec()),
            against: Some(against),
            element: full_name.to_string(),
            message: format!(
                "{what} range {} of {kind} \"{name}\" lost {}: {consequence}",
                range_text(start, end, max),
                gone.join(", ")
            ),
        });
    }
}

fn ranges(sink: &mut Sink, previous: &Message, current: &Message) {
    let max = if current
        .desc
        .options
        .as_ref()
        .is_some_and(|o| o.message_set_wire_format())
    {
        MESSAGE_SET_MAX
    } else {
        MESSAGE_MAX
    };
    let reserved = |m: &DescriptorProto| -> Ranges {
        m.reserved_range
            .iter()
            .map(|r| (r.start(), r.end().saturating_sub(1)))
            .collect()
    };
    let extension = |m: &DescriptorProto| -> Ranges {
        m.extension_range
            .iter()
            .map(|r| (r.start(), r.end().saturating_sub(1)))
            .collect()
    };
    check_ranges(
        sink,
        "RESERVED_MESSAGE_NO_DELETE",
        "reserved",
        "message",
        current.name(),
        &current.full_name,
        || at(current),
        &current.path,
        previous.file,
        max,
        reserved(previous.desc),
        reserved(current.desc),
        "a new field may now reuse a number that clients built before this change read as something else; keep the reservation",
    );
    check_ranges(
        sink,
        "EXTENSION_MESSAGE_NO_DELETE",
        "extension",
        "message",
        current.name(),
        &current.full_name,
        || at(current),
        &current.path,
        previous.file,
        max,
        extension(previous.desc),
        extension(current.desc),
        "extensions declared in those numbers no longer compile; keep the extension range",
    );
    if sink.on("RESERVED_MESSAGE_NO_DELETE") {
        for name in &previous.desc.reserved_name {
            if current.desc.reserved_name.contains(name) {
                continue;
            }
            sink.add(Report {
                rule: "RESERVED_MESSAGE_NO_DELETE",
                place: at(current),
                anchor: Some(current.path.clone()),
                against: Some(previous.file),
                element: current.full_name.clone(),
                message: format!(
                    "reserved name \"{name}\" of message \"{}\" was deleted: a new field may now take that name, which JSON clients built before this change read as the old field; keep `reserved \"{name}\";`",
                    current.name()
                ),
            });
        }
    }
}

fn is_required(field: &prost_types::FieldDescriptorProto) -> bool {
    field.label() == Label::Required
}

fn required_fields(sink: &mut Sink, previous: &Message, current: &Message) {
    if !sink.on("MESSAGE_SAME_REQUIRED_FIELDS") {
        return;
    }
    let before: HashMap<i32, &str> = previous
        .desc
        .field
        .iter()
        .filter(|f| is_required(f))
        .map(|f| (f.number(), f.name()))
        .collect();
    let after: HashMap<i32, usize> = current
        .desc
        .field
        .iter()
        .enumerate()
        .filter(|(_, f)| is_required(f))
        .map(|(i, f)| (f.number(), i))
        .collect();
    for (&number, &name) in &before {
        if after.contains_key(&number) {
            continue;
        }
        sink.add(Report {
            rule: "MESSAGE_SAME_REQUIRED_FIELDS",
            place: at(current),
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: qualify(&current.full_name, name),
            message: format!(
                "required field {number} \"{name}\" of message \"{}\" is no longer required: clients built before this change reject every message that lacks it; keep it required",
                current.name()
            ),
        });
    }
    for (&number, &i) in &after {
        if before.contains_key(&number) {
            continue;
        }
        let field = &current.desc.field[i];
        let path = sub(&current.path, &[2, i as i32]);
        sink.add(Report {
            rule: "MESSAGE_SAME_REQUIRED_FIELDS",
            place: Place::At {
                file: current.file,
                candidates: vec![path.clone()],
            },
            anchor: Some(path),
            against: Some(previous.file),
            element: qualify(&current.full_name, field.name()),
            message: format!(
                "required field {number} \"{}\" was added to message \"{}\": clients built before this change never send it, so every message they send is rejected; make it optional",
                field.name(),
                current.name()
            ),
        });
    }
}

fn options(sink: &mut Sink, previous: &Message, current: &Message) {
    let accessor = |m: &Message| {
        m.desc
            .options
            .as_ref()
            .is_some_and(|o| o.no_standard_descriptor_accessor())
    };
    if !accessor(previous) && accessor(current) {
        sink.add(Report {
            rule: "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR",
            place: Place::At {
                file: current.file,
                candidates: vec![sub(&current.path, &[7, 2]), current.path.clone()],
            },
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: current.full_name.clone(),
            message: format!(
                "message \"{}\" turned on no_standard_descriptor_accessor: generated code that calls descriptor() on it no longer builds; remove the option",
                current.name()
            ),
        });
    }
    // JSON support follows the syntax (proto3 allows it, proto2 is "legacy best effort") or
    // an editions file's features.
    let allow = |m: &Message, side: &crate::contract::Model| {
        side.features(m.file, &m.path).json_format == Some(crate::contract::features::ALLOW)
    };
    if allow(previous, sink.prev) && !allow(current, sink.cur) {
        sink.add(Report {
            rule: "MESSAGE_SAME_JSON_FORMAT",
            place: Place::At {
                file: current.file,
                candidates: vec![sub(&current.path, &[7, 12, 6]), current.path.clone()],
            },
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: current.full_name.clone(),
            message: format!(
                "message \"{}\" changed JSON support from ALLOW to LEGACY_BEST_EFFORT: JSON clients built before this change may fail to parse it; keep syntax = \"proto3\" (in editions, features.json_format = ALLOW)",
                current.name()
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ranges_are_exact() {
        let current = collapse(vec![(10, 15), (18, 18)]);
        assert_eq!(missing(10, 20, &current), vec![(16, 17), (19, 20)]);
        assert_eq!(missing(10, 15, &current), vec![]);
        assert_eq!(missing(1, 5, &current), vec![(1, 5)]);
        assert_eq!(collapse(vec![(5, 6), (1, 4)]), vec![(1, 6)]);
        assert_eq!(range_text(5, MESSAGE_MAX, MESSAGE_MAX), "[5,max]");
    }
}

//! Enum rules: deleted and renamed values, reserved ranges and names, open/closed and
//! JSON support. Enums are paired by full name, wherever they live.

use std::collections::{BTreeMap, BTreeSet};

use super::message::check_ranges;
use super::sink::{Place, Report, Sink};
use crate::contract::features;
use crate::contract::model::{qualify, sub, Enum, Syntax};

const ENUM_MAX: i32 = i32::MAX;

pub fn check(sink: &mut Sink) {
    let (prev, cur) = (sink.prev, sink.cur);
    for previous in &prev.enums {
        let Some(&c) = cur.enum_by_name.get(&previous.full_name) else {
            continue;
        };
        let current = &cur.enums[c];
        values(sink, previous, current);
        reserved(sink, previous, current);
        kind(sink, previous, current);
    }
}

fn at(enum_: &Enum, tails: &[&[i32]]) -> Place {
    let mut candidates: Vec<Vec<i32>> = tails.iter().map(|t| sub(&enum_.path, t)).collect();
    candidates.push(enum_.path.clone());
    Place::At {
        file: enum_.file,
        candidates,
    }
}

/// Number → names (aliases share a number), sorted.
fn by_number<'e>(enum_: &'e Enum) -> BTreeMap<i32, BTreeSet<&'e str>> {
    let mut map: BTreeMap<i32, BTreeSet<&str>> = BTreeMap::new();
    for value in &enum_.desc.value {
        map.entry(value.number()).or_default().insert(value.name());
    }
    map
}

fn quoted(names: &BTreeSet<&str>) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn values(sink: &mut Sink, previous: &Enum, current: &Enum) {
    let before = by_number(previous);
    let after = by_number(current);
    let name = current.desc.name();
    let against = Some(previous.file);
    for (&number, names) in &before {
        let Some(now) = after.get(&number) else {
            let number_reserved = current
                .desc
                .reserved_range
                .iter()
                .any(|r| r.start() <= number && number <= r.end());
            let names_reserved = names
                .iter()
                .all(|n| current.desc.reserved_name.iter().any(|r| r == n));
            let element = format!(
                "{}.{}",
                current.full_name,
                names.iter().next().copied().unwrap_or_default()
            );
            let base = format!(
                "enum value {number} ({}) was deleted from enum \"{name}\"",
                quoted(names)
            );
            let mut report = |rule, message: String| {
                sink.add(Report {
                    rule,
                    place: at(current, &[]),
                    anchor: Some(current.path.clone()),
                    against,
                    element: element.clone(),
                    message,
                })
            };
            report(
                "ENUM_VALUE_NO_DELETE",
                format!("{base}: clients built before this change may still send it and code that names it no longer builds; reserve {number} and its name instead of deleting (`reserved {number}; reserved {};`)", quoted(names)),
            );
            if !number_reserved {
                report(
                    "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED",
                    format!("{base} without reserving number {number}: a later value reusing {number} would be misread by clients built before this change; add `reserved {number};`"),
                );
            }
            if !names_reserved {
                report(
                    "ENUM_VALUE_NO_DELETE_UNLESS_NAME_RESERVED",
                    format!("{base} without reserving its name: a later value reusing the name would be misread by JSON clients built before this change; add `reserved {};`", quoted(names)),
                );
            }
            continue;
        };
        // Adding an alias is fine; a name that disappears from a number is not.
        if !sink.on("ENUM_VALUE_SAME_NAME") || names.iter().all(|n| now.contains(n)) {
            continue;
        }
        for (i, value) in current.desc.value.iter().enumerate() {
            if value.number() != number {
                continue;
            }
            let path = sub(&current.path, &[2, i as i32]);
            sink.add(Report {
                rule: "ENUM_VALUE_SAME_NAME",
                place: Place::At {
                    file: current.file,
                    candidates: vec![sub(&path, &[2]), path.clone()],
                },
                anchor: Some(path),
                against,
                element: qualify(&current.full_name, value.name()),
                message: format!(
                    "enum value {number} of enum \"{name}\" changed name from {} to {}: JSON clients built before this change send {} and fail to parse the new name, and code using the old name no longer builds; keep the old name (add the new one as an alias with `option allow_alias = true;`)",
                    quoted(names),
                    quoted(now),
                    quoted(names)
                ),
            });
        }
    }
}

fn reserved(sink: &mut Sink, previous: &Enum, current: &Enum) {
    let ranges = |e: &Enum| -> Vec<(i32, i32)> {
        e.desc
            .reserved_range
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect()
    };
    check_ranges(
        sink,
        "RESERVED_ENUM_NO_DELETE",
        "reserved",
        "enum",
        current.desc.name(),
        &current.full_name,
        || at(current, &[]),
        &current.path,
        previous.file,
        ENUM_MAX,
        ranges(previous),
        ranges(current),
        "a new value may now reuse a number that clients built before this change read as something else; keep the reservation",
    );
    if !sink.on("RESERVED_ENUM_NO_DELETE") {
        return;
    }
    for name in &previous.desc.reserved_name {
        if current.desc.reserved_name.contains(name) {
            continue;
        }
        sink.add(Report {
            rule: "RESERVED_ENUM_NO_DELETE",
            place: at(current, &[]),
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: current.full_name.clone(),
            message: format!(
                "reserved name \"{name}\" of enum \"{}\" was deleted: a new value may now take that name, which JSON clients built before this change read as the old value; keep `reserved \"{name}\";`",
                current.desc.name()
            ),
        });
    }
}

fn kind(sink: &mut Sink, previous: &Enum, current: &Enum) {
    // Open or closed, and the JSON format: from the syntax, or an editions file's features.
    let before = sink.prev.features(previous.file, &previous.path);
    let after = sink.cur.features(current.file, &current.path);
    let name = current.desc.name();
    let open = |f: &features::FeatureSet| {
        if f.enum_type == Some(features::OPEN) {
            "open"
        } else {
            "closed"
        }
    };
    let help = if sink.cur.files[current.file].syntax == Syntax::Editions {
        "keep the enum's features"
    } else {
        "keep the file's syntax"
    };
    if open(&before) != open(&after) {
        sink.add(Report {
            rule: "ENUM_SAME_TYPE",
            place: at(current, &[&[3, 7, 2]]),
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: current.full_name.clone(),
            message: format!(
                "enum \"{name}\" changed from {} to {}: clients built before this change treat unknown values differently (kept as numbers vs. moved to unknown fields); {help}",
                open(&before),
                open(&after)
            ),
        });
    }
    let allow = |f: &features::FeatureSet| f.json_format == Some(features::ALLOW);
    if allow(&before) && !allow(&after) {
        sink.add(Report {
            rule: "ENUM_SAME_JSON_FORMAT",
            place: at(current, &[&[3, 7, 6]]),
            anchor: Some(current.path.clone()),
            against: Some(previous.file),
            element: current.full_name.clone(),
            message: format!(
                "enum \"{name}\" changed JSON support from ALLOW to LEGACY_BEST_EFFORT: JSON clients built before this change may fail to parse it; {help}"
            ),
        });
    }
}

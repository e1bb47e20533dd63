//! Enum and enum value rules: ENUM_PASCAL_CASE, ENUM_NO_ALLOW_ALIAS, ENUM_FIRST_VALUE_ZERO,
//! ENUM_VALUE_UPPER_SNAKE_CASE, ENUM_VALUE_PREFIX, ENUM_ZERO_VALUE_SUFFIX, COMMENT_ENUM,
//! COMMENT_ENUM_VALUE.

use super::names::{to_pascal_case, to_upper_snake_case};
use super::sink::Sink;
use crate::contract::model::sub;

pub fn check(sink: &mut Sink) {
    let model = sink.model;
    let comments = sink.on("COMMENT_ENUM") || sink.on("COMMENT_ENUM_VALUE");
    let suffix = sink.settings().enum_zero_value_suffix.clone();
    for (at, e) in model.enums.iter().enumerate() {
        let i = e.file;
        {
            let name = e.desc.name();
            let expected = to_pascal_case(name);
            if name != expected {
                sink.add(
                    "ENUM_PASCAL_CASE",
                    i,
                    Some(&sub(&e.path, &[1])),
                    name,
                    format!("Enum name \"{name}\" should be PascalCase, such as \"{expected}\"."),
                );
            }
            if e.desc.options.as_ref().is_some_and(|o| o.allow_alias()) {
                sink.add(
                    "ENUM_NO_ALLOW_ALIAS",
                    i,
                    Some(&sub(&e.path, &[3, 2])),
                    name,
                    format!("Enum option \"allow_alias\" on enum \"{name}\" must be false: give each value its own number."),
                );
            }
            if let Some(first) = e.desc.value.first() {
                if first.number() != 0 {
                    sink.add(
                        "ENUM_FIRST_VALUE_ZERO",
                        i,
                        Some(&sub(&e.path, &[2, 0, 2])),
                        name,
                        format!("First enum value \"{}\" should have a numeric value of 0: add a zero value such as {}{suffix} = 0 first.", first.name(), to_upper_snake_case(name) + "_"),
                    );
                }
            }
            if comments && sink.lacks_comment(i, &e.path) {
                sink.add(
                    "COMMENT_ENUM",
                    i,
                    Some(&e.path),
                    name,
                    format!("Enum \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it is."),
                );
            }
        }
        for v in model.values(at) {
            let name = v.desc.name();
            let at_name = sub(&v.path, &[1]);
            let expected = to_upper_snake_case(name);
            if name != expected {
                sink.add(
                    "ENUM_VALUE_UPPER_SNAKE_CASE",
                    i,
                    Some(&at_name),
                    name,
                    format!("Enum value name \"{name}\" should be UPPER_SNAKE_CASE, such as \"{expected}\"."),
                );
            }
            let prefix = to_upper_snake_case(e.desc.name()) + "_";
            if !name.starts_with(&prefix) {
                sink.add(
                    "ENUM_VALUE_PREFIX",
                    i,
                    Some(&at_name),
                    name,
                    format!("Enum value name \"{name}\" should be prefixed with \"{prefix}\"."),
                );
            }
            if v.desc.number() == 0 && !name.ends_with(suffix.as_str()) {
                sink.add(
                    "ENUM_ZERO_VALUE_SUFFIX",
                    i,
                    Some(&at_name),
                    name,
                    format!(
                        "Enum zero value name \"{name}\" should be suffixed with \"{suffix}\"."
                    ),
                );
            }
            if comments && sink.lacks_comment(i, &v.path) {
                sink.add(
                    "COMMENT_ENUM_VALUE",
                    i,
                    Some(&v.path),
                    name,
                    format!("Enum value \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it means."),
                );
            }
        }
    }
}

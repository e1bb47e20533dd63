//! Message, field and oneof rules: MESSAGE_PASCAL_CASE, FIELD_LOWER_SNAKE_CASE,
//! FIELD_NO_DESCRIPTOR, FIELD_NOT_REQUIRED, ONEOF_LOWER_SNAKE_CASE, COMMENT_MESSAGE,
//! COMMENT_FIELD, COMMENT_ONEOF.

use prost_types::field_descriptor_proto::{Label, Type};

use super::model::{lacks_comment, locations};
use super::names::{to_lower_snake_case, to_pascal_case};
use super::sink::Sink;

pub fn check(sink: &mut Sink) {
    let model = sink.model;
    let comments =
        sink.on("COMMENT_MESSAGE") || sink.on("COMMENT_FIELD") || sink.on("COMMENT_ONEOF");
    for (i, file) in model.files.iter().enumerate() {
        let locs = if comments {
            locations(file.desc)
        } else {
            Default::default()
        };
        for m in &file.messages {
            if m.is_map_entry {
                continue;
            }
            let name = m.desc.name();
            let expected = to_pascal_case(name);
            if name != expected {
                sink.add(
                    "MESSAGE_PASCAL_CASE",
                    i,
                    Some(&[&m.path[..], &[1]].concat()),
                    &m.full_name,
                    format!(
                        "Message name \"{name}\" should be PascalCase, such as \"{expected}\"."
                    ),
                );
            }
            if comments && lacks_comment(&locs, &m.path) {
                sink.add(
                    "COMMENT_MESSAGE",
                    i,
                    Some(&m.path),
                    &m.full_name,
                    format!("Message \"{name}\" should have a non-empty comment for documentation: add a leading `//` comment that says what it is."),
                );
            }
        }
        for f in &file.fields {
            let name = f.desc.name();
            let at_name = [&f.path[..], &[1]].concat();
            if !f.in_map_entry {
                let expected = to_lower_snake_case(name);
                if name != expected {
                    sink.add(
                        "FIELD_LOWER_SNAKE_CASE",
                        i,
                        Some(&at_name),
                        name,
                        format!("Field name \"{name}\" should be lower_snake_case, such as \"{expected}\"."),
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
            if f.desc.label() == Label::Required {
                sink.add(
                    "FIELD_NOT_REQUIRED",
                    i,
                    Some(&at_name),
                    name,
                    format!("Field named \"{name}\" should not be required: make it optional and validate presence in code."),
                );
            }
            if comments
                && !f.in_map_entry
                && f.desc.r#type() != Type::Group
                && lacks_comment(&locs, &f.path)
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
        for o in &file.oneofs {
            let name = o.desc.name();
            let expected = to_lower_snake_case(name);
            if name != expected && !o.synthetic {
                sink.add(
                    "ONEOF_LOWER_SNAKE_CASE",
                    i,
                    Some(&[&o.path[..], &[1]].concat()),
                    name,
                    format!(
                        "Oneof name \"{name}\" should be lower_snake_case, such as \"{expected}\"."
                    ),
                );
            }
            if comments && !o.synthetic && lacks_comment(&locs, &o.path) {
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
}

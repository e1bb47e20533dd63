//! Events declared in a contract: a message whose leading comment has a line
//! `protogen:event SUBJECT`. The one place that finds them; scaffold, consumers and diff ask here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::bail;
use prost_types::{DescriptorProto, FileDescriptorProto};

use super::Contract;

/// The directive, as written at the start of a comment line.
pub const DIRECTIVE: &str = "protogen:event";

/// One declared event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The NATS subject: `orders.shipped`.
    pub subject: String,
    /// The message's full name: `orders.v1.OrderShipped`.
    pub message: String,
    /// The file that declares it, and the 1-based line of the directive.
    pub file: String,
    pub line: u32,
}

/// Every event of `contract`, sorted by subject. Collects every mistake (a subject declared
/// twice, a directive on something other than a message, a subject NATS would not accept)
/// into one error, each with its file and line.
pub fn events(contract: &Contract) -> anyhow::Result<Vec<Event>> {
    let mut found: Vec<Event> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for file in &contract.files {
        scan_file(file, &mut found, &mut problems);
    }
    let mut by_subject: BTreeMap<&str, Vec<&Event>> = BTreeMap::new();
    for event in &found {
        by_subject.entry(&event.subject).or_default().push(event);
    }
    for (subject, declared) in &by_subject {
        if let [first, rest @ ..] = declared.as_slice() {
            for again in rest {
                problems.push(format!(
                    "{}:{}: subject `{subject}` is declared twice: by {} here and by {} at {}:{}; one subject carries one message type",
                    again.file, again.line, again.message, first.message, first.file, first.line
                ));
            }
        }
    }
    if !problems.is_empty() {
        problems.sort();
        let mut text =
            format!("the contract's event declarations (`// {DIRECTIVE} SUBJECT`) are invalid:");
        for problem in &problems {
            let _ = write!(text, "\n  {problem}");
        }
        bail!(text);
    }
    found.sort_by(|a, b| a.subject.cmp(&b.subject));
    Ok(found)
}

/// The event on `subject`, if the contract declares one.
pub fn find<'a>(events: &'a [Event], subject: &str) -> Option<&'a Event> {
    events.iter().find(|e| e.subject == subject)
}

fn scan_file(file: &FileDescriptorProto, found: &mut Vec<Event>, problems: &mut Vec<String>) {
    let Some(info) = &file.source_code_info else {
        return;
    };
    let mut messages: BTreeMap<Vec<i32>, String> = BTreeMap::new();
    for (index, message) in file.message_type.iter().enumerate() {
        collect_messages(
            message,
            vec![4, index as i32],
            &super::model::qualify(file.package(), message.name()),
            &mut messages,
        );
    }
    for location in &info.location {
        let Some((offset, subject)) = directive(location.leading_comments()) else {
            continue;
        };
        // The comment starts on the line before the element, `offset` lines above it when
        // it spans several; count back from the element's own line.
        let element_line = location.span.first().copied().unwrap_or(0) as u32 + 1;
        let line = comment_line(location, offset, element_line);
        let here = format!("{}:{line}", file.name());
        match messages.get(&location.path) {
            Some(message) => match check_subject(&subject) {
                Ok(()) => found.push(Event {
                    subject,
                    message: message.clone(),
                    file: file.name().to_string(),
                    line,
                }),
                Err(why) => problems.push(format!("{here}: `{DIRECTIVE} {subject}`: {why}")),
            },
            None => problems.push(format!(
                "{here}: `{DIRECTIVE}` is on {}, not on a message; only a message can be an event",
                describe(&location.path)
            )),
        }
    }
}

/// The first `protogen:event` line of a comment: its index among the comment's lines and
/// the subject (empty when missing).
fn directive(comment: &str) -> Option<(usize, String)> {
    comment.lines().enumerate().find_map(|(index, line)| {
        let rest = line.trim().strip_prefix(DIRECTIVE)?;
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return None; // `protogen:events`, some other directive
        }
        Some((index, rest.trim().to_string()))
    })
}

/// The 1-based line of the comment's `offset`-th line: leading comments end on the line
/// right above the element (or with blank lines between, which protoc then drops).
fn comment_line(
    location: &prost_types::source_code_info::Location,
    offset: usize,
    element_line: u32,
) -> u32 {
    let lines = location.leading_comments().lines().count() as u32;
    // `// a\n// b\n` has two lines and ends right above the element.
    element_line.saturating_sub(lines) + offset as u32
}

/// What NATS accepts as a subject to publish on: dot-separated tokens, no wildcards, no
/// spaces; and protogen names streams and consumers after it.
fn check_subject(subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        return Err("the subject is missing; write e.g. `protogen:event orders.shipped`".into());
    }
    if subject.split_whitespace().count() > 1 {
        return Err("a subject is one word; write e.g. `orders.shipped`".into());
    }
    for token in subject.split('.') {
        if token.is_empty() {
            return Err("empty token between dots".into());
        }
        if token == "*" || token == ">" || token.contains(['*', '>']) {
            return Err(
                "wildcards (`*`, `>`) subscribe to many subjects; an event has exactly one".into(),
            );
        }
        if let Some(bad) = token
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "`{bad}` is not allowed; use letters, digits, `-` and `_` between the dots"
            ));
        }
    }
    Ok(())
}

fn collect_messages(
    message: &DescriptorProto,
    path: Vec<i32>,
    full_name: &str,
    out: &mut BTreeMap<Vec<i32>, String>,
) {
    for (index, nested) in message.nested_type.iter().enumerate() {
        if nested.options.as_ref().is_some_and(|o| o.map_entry()) {
            continue;
        }
        let mut nested_path = path.clone();
        nested_path.extend([3, index as i32]);
        collect_messages(
            nested,
            nested_path,
            &super::model::qualify(full_name, nested.name()),
            out,
        );
    }
    out.insert(path, full_name.to_string());
}

/// What a SourceCodeInfo path points at, in words, for the error.
fn describe(path: &[i32]) -> &'static str {
    match path {
        [5, _] | [4, .., 4, _] => "an enum",
        [5, _, 2, _] | [4, .., 4, _, 2, _] => "an enum value",
        [6, _] => "a service",
        [6, _, 2, _] => "an RPC",
        [4, .., 2, _] => "a field",
        [4, .., 8, _] => "a oneof",
        [2] => "the package declaration",
        [12] => "the syntax declaration",
        [3, _] => "an import",
        [8] | [8, ..] => "a file option",
        [7, _] | [4, .., 6, _] => "an extension",
        _ => "something else",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(files: &[(&str, &str)]) -> Contract {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        super::super::load(
            &super::super::Source::Dir(dir.path().to_path_buf()),
            super::super::Side::Current,
            &Default::default(),
        )
        .unwrap()
    }

    #[test]
    fn finds_events_on_messages_and_nested_messages() {
        let c = contract(&[(
            "orders.proto",
            "syntax = \"proto3\";\npackage orders.v1;\n\n// Sent once an order has left the warehouse.\n// protogen:event orders.shipped\nmessage OrderShipped { string order_id = 1; }\n\nmessage Outer {\n  // protogen:event orders.inner-thing\n  message Inner {}\n}\n// Not an event: protogen:event in the middle of a line.\nmessage Plain {}\n",
        )]);
        let events = events(&c).unwrap();
        assert_eq!(
            events,
            vec![
                Event {
                    subject: "orders.inner-thing".into(),
                    message: "orders.v1.Outer.Inner".into(),
                    file: "orders.proto".into(),
                    line: 9,
                },
                Event {
                    subject: "orders.shipped".into(),
                    message: "orders.v1.OrderShipped".into(),
                    file: "orders.proto".into(),
                    line: 5,
                },
            ]
        );
    }

    #[test]
    fn every_mistake_is_reported_with_file_and_line() {
        let c = contract(&[
            (
                "a.proto",
                "syntax = \"proto3\";\npackage a;\n// protogen:event orders.shipped\nmessage A {}\n// protogen:event orders.*\nmessage W {}\n// protogen:event orders.enum\nenum E { E_UNSPECIFIED = 0; }\nservice S {\n  // protogen:event rpc.subject\n  rpc Do(A) returns (A);\n}\n",
            ),
            (
                "b.proto",
                "syntax = \"proto3\";\npackage b;\nmessage M {\n  // protogen:event\n  string f = 1;\n}\n// protogen:event orders.shipped\nmessage B {}\n",
            ),
        ]);
        let error = format!("{:#}", events(&c).unwrap_err());
        for expected in [
            "a.proto:5: `protogen:event orders.*`: wildcards",
            "a.proto:7: `protogen:event` is on an enum, not on a message",
            "a.proto:10: `protogen:event` is on an RPC",
            "b.proto:4: `protogen:event` is on a field",
            "b.proto:7: subject `orders.shipped` is declared twice: by b.B here and by a.A at a.proto:3",
        ] {
            assert!(error.contains(expected), "missing {expected:?} in:\n{error}");
        }
    }

    #[test]
    fn subjects_are_checked() {
        assert!(check_subject("orders.shipped").is_ok());
        assert!(check_subject("a_b.c-d.e1").is_ok());
        assert!(check_subject("").is_err());
        assert!(check_subject("orders..shipped").is_err());
        assert!(check_subject("orders.>").is_err());
        assert!(check_subject("orders shipped").is_err());
        assert!(check_subject("orders.$ship").is_err());
    }
}

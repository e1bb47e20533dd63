//! The changelog as one JSON object, for tools: summary counts, every change with its
//! findings, and the findings that match no change.

use serde::Serialize;

use crate::diff::{Changelog, Section};

#[derive(Serialize)]
struct Summary {
    breaking: usize,
    added: usize,
    deprecated: usize,
    other: usize,
    docs: usize,
}

#[derive(Serialize)]
struct Document<'a> {
    summary: Summary,
    #[serde(flatten)]
    changelog: &'a Changelog,
}

pub fn render(changelog: &Changelog) -> String {
    let document = Document {
        summary: Summary {
            breaking: changelog.count(Section::Breaking),
            added: changelog.count(Section::Added),
            deprecated: changelog.count(Section::Deprecated),
            other: changelog.count(Section::Other),
            docs: changelog.count(Section::Docs),
        },
        changelog,
    };
    let mut out = serde_json::to_string_pretty(&document).expect("plain data serializes");
    out.push('\n');
    out
}

//! Renders what the commands found: check reports (text, json, github, markdown, sarif,
//! junit) and diff changelogs. Pure functions from data to text; nothing here prints.

pub mod changelog;
pub mod changelog_json;
pub mod changelog_markdown;
pub mod changelog_text;
pub mod consumers;
mod github;
mod json;
mod junit;
mod markdown;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use github::github;
pub use json::json;
pub use junit::junit;
pub use markdown::markdown;
pub use sarif::sarif;
pub use text::text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }
}

/// One finding as reporters see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub rule: String,
    /// Relative to the module root; empty when the finding has no file (a deleted file).
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    pub severity: Level,
    pub element: String,
}

/// A break that was found and acknowledged as intended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AcknowledgedItem {
    #[serde(flatten)]
    pub item: Item,
    pub acknowledged_by: String,
    pub reason: String,
}

/// A rule that ran, for formats that list rules (sarif, junit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub meaning: String,
}

/// What a report is about: breaking changes (`check`) or lint findings (`lint`); the
/// findings render the same way, only the words around them differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kind {
    #[default]
    Breaking,
    Lint,
}

/// Everything a reporter needs.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub kind: Kind,
    /// Sorted as they should be shown.
    pub items: Vec<Item>,
    pub acknowledged: Vec<AcknowledgedItem>,
    pub rules: Vec<RuleInfo>,
    /// Source text of the current contract by file name, for carets.
    pub sources: BTreeMap<String, Arc<str>>,
    /// How to show the module root in front of paths (`proto/`), empty for `.`.
    pub root_prefix: String,
    /// What was compared against, for summaries (`git ref main`).
    pub baseline: String,
    /// Deployed consumers judged against their locks; `None` when there are no locks.
    pub consumers: Option<crate::consumers::ConsumerSection>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.severity == Level::Error)
            .count()
    }

    pub fn warnings(&self) -> usize {
        self.items
            .iter()
            .filter(|i| i.severity == Level::Warning)
            .count()
    }

    /// `protogen check` or `protogen lint`.
    pub fn command(&self) -> &'static str {
        match self.kind {
            Kind::Breaking => "protogen check",
            Kind::Lint => "protogen lint",
        }
    }

    /// What one finding is called: `breaking change` or `lint finding`.
    pub fn noun(&self) -> &'static str {
        match self.kind {
            Kind::Breaking => "breaking change",
            Kind::Lint => "lint finding",
        }
    }

    /// What the findings were judged against: ` against git ref main`, or ` in proto/`.
    pub fn scope(&self) -> String {
        match self.kind {
            Kind::Breaking => format!(" against {}", self.baseline),
            Kind::Lint if self.root_prefix.is_empty() => " in .".to_string(),
            Kind::Lint => format!(" in {}", self.root_prefix),
        }
    }

    /// The path as a user (or GitHub) finds the file: the module root joined with it.
    pub fn display_path(&self, path: &str) -> String {
        format!("{}{path}", self.root_prefix)
    }

    fn source_line(&self, path: &str, line: u32) -> Option<&str> {
        let text = self.sources.get(path)?;
        text.lines()
            .nth(usize::try_from(line).ok()?.checked_sub(1)?)
    }
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
pub(crate) mod sample {
    use super::*;

    pub fn report() -> CheckReport {
        let item = |rule: &str, path: &str, line, column, severity, message: &str| Item {
            rule: rule.into(),
            path: path.into(),
            line,
            column,
            message: message.into(),
            severity,
            element: "users.v1.User".into(),
        };
        CheckReport {
            kind: Kind::Breaking,
            items: vec![
                item("FILE_NO_DELETE", "", 1, 1, Level::Error, "file \"old.proto\" was deleted"),
                item("FIELD_NO_DELETE", "users.proto", 3, 1, Level::Error, "field 2 \"role\" was deleted"),
                item("FIELD_SAME_JSON_NAME", "users.proto", 4, 3, Level::Warning, "json name <changed> & \"quoted\", 100%"),
            ],
            acknowledged: vec![AcknowledgedItem {
                item: item("FIELD_SAME_TYPE", "users.proto", 5, 3, Level::Error, "type changed"),
                acknowledged_by: "proto comment".into(),
                reason: "no client reads it yet".into(),
            }],
            rules: vec![
                RuleInfo { id: "FIELD_NO_DELETE".into(), meaning: "a field is deleted".into() },
                RuleInfo { id: "FIELD_SAME_JSON_NAME".into(), meaning: "a field changes its JSON name".into() },
                RuleInfo { id: "FILE_NO_DELETE".into(), meaning: "a file is deleted".into() },
            ],
            sources: [(
                "users.proto".to_string(),
                Arc::from("syntax = \"proto3\";\npackage users.v1;\nmessage User {\n  string full_name = 1;\n  int64 id = 5;\n}\n"),
            )]
            .into_iter()
            .collect(),
            root_prefix: "proto/".into(),
            baseline: "git ref main".into(),
            consumers: None,
        }
    }
}

//! Structural diff of two contracts: elements matched by identity (so a rename is a rename),
//! every difference a `Change`, then `judge` marks the ones the compat rules call breaking.

mod compare;
pub mod events;
mod judge;

use serde::Serialize;

use crate::compat::{Acknowledged, Finding, Severity};

pub use compare::compare;
pub use judge::judge;

#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Also report changes to comments.
    pub include_docs: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ElementKind {
    Package,
    File,
    Message,
    Field,
    Oneof,
    Enum,
    EnumValue,
    Service,
    Rpc,
    /// An event (`// protogen:event SUBJECT`), named by its subject.
    Event,
}

impl ElementKind {
    pub fn label(self) -> &'static str {
        match self {
            ElementKind::Package => "package",
            ElementKind::File => "file",
            ElementKind::Message => "message",
            ElementKind::Field => "field",
            ElementKind::Oneof => "oneof",
            ElementKind::Enum => "enum",
            ElementKind::EnumValue => "enum value",
            ElementKind::Service => "service",
            ElementKind::Rpc => "rpc",
            ElementKind::Event => "event",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Renamed,
    Moved,
    Changed,
    Deprecated,
    Undeprecated,
    /// Only the comments changed.
    Docs,
}

/// Which contract a location points into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Old,
    New,
}

/// Where an element is declared; `line` and `column` are 1-based, 0 without source info.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    pub path: String,
    pub line: u32,
    pub column: u32,
    pub side: Side,
}

/// The aspect name of a change to the element as a whole (added, removed, moved).
pub const WHOLE: &str = "element";

/// One difference between the two contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub element_kind: ElementKind,
    /// Full name (`users.v1.User.role`), or the file name for files; the new name after a
    /// rename, the old one after a removal.
    pub element: String,
    /// The full name before a rename, when the element was renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_element: Option<String>,
    /// What changed: `element` for the element as a whole, else `type`, `label`,
    /// `presence`, `json_name`, `default`, `oneof`, `streaming`, `request_type`,
    /// `response_type`, `idempotency`, `package`, `syntax`, `reserved_range`,
    /// `reserved_name`, `extension_range`, `name`, `file`, `deprecated`, `docs`, or the name of
    /// an option (`go_package`, `packed`, ...).
    pub aspect: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
    /// New side when the element still exists, old side when it was removed.
    pub location: Option<Location>,
    /// Other full names a compat finding may use for this change: the names of everything a
    /// removed element took with it, and protobuf's sibling-scoped name of an enum value.
    #[serde(skip)]
    pub also: Vec<String>,
    /// The subject of the event whose payload this changes (the element is an event's message
    /// or inside one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

impl Change {
    /// One sentence saying what changed; `code` formats names and values (backticks in
    /// Markdown, nothing in plain text).
    pub fn describe(&self, code: &dyn Fn(&str) -> String) -> String {
        let sentence = self.describe_element(code);
        match &self.event {
            Some(subject) => format!("{sentence} (payload of event {})", code(subject)),
            None => sentence,
        }
    }

    fn describe_element(&self, code: &dyn Fn(&str) -> String) -> String {
        let what = format!("{} {}", self.element_kind.label(), code(&self.element));
        let old = self.old.as_deref().map(code);
        let new = self.new.as_deref().map(code);
        match (self.kind, self.aspect) {
            (ChangeKind::Added, WHOLE) if self.element_kind == ElementKind::Package => {
                format!("{what} added ({})", self.new.as_deref().unwrap_or_default())
            }
            (ChangeKind::Removed, WHOLE) if self.element_kind == ElementKind::Package => {
                format!(
                    "{what} removed ({})",
                    self.old.as_deref().unwrap_or_default()
                )
            }
            (ChangeKind::Added, WHOLE) => match new {
                Some(new) => format!("{what} added: {new}"),
                None => format!("{what} added"),
            },
            (ChangeKind::Removed, WHOLE) => match old {
                Some(old) => format!("{what} removed (was {old})"),
                None => format!("{what} removed"),
            },
            (ChangeKind::Added, "reserved_range" | "reserved_name") => {
                format!("{what} now reserves {}", new.unwrap_or_default())
            }
            (ChangeKind::Removed, "reserved_range" | "reserved_name") => {
                format!("{what} no longer reserves {}", old.unwrap_or_default())
            }
            (ChangeKind::Added, "extension_range") => {
                format!("{what} accepts extensions {}", new.unwrap_or_default())
            }
            (ChangeKind::Removed, "extension_range") => {
                format!(
                    "{what} no longer accepts extensions {}",
                    old.unwrap_or_default()
                )
            }
            (ChangeKind::Renamed, _) => {
                let before = self.old_element.as_deref().unwrap_or(&self.element);
                format!(
                    "{} {} renamed to {}",
                    self.element_kind.label(),
                    code(before),
                    new.unwrap_or_default()
                )
            }
            (ChangeKind::Moved, _) => format!(
                "{what} moved from {} to {}",
                old.unwrap_or_default(),
                new.unwrap_or_default()
            ),
            (ChangeKind::Deprecated, _) => format!("{what} deprecated"),
            (ChangeKind::Undeprecated, _) => format!("{what} no longer deprecated"),
            (ChangeKind::Docs, _) => match (&self.old, &self.new) {
                (None, _) => format!("{what}: comment added"),
                (_, None) => format!("{what}: comment removed"),
                _ => format!("{what}: comment changed"),
            },
            (_, "oneof") => match (old, new) {
                (None, Some(new)) => format!("{what} moved into oneof {new}"),
                (Some(old), None) => format!("{what} moved out of oneof {old}"),
                (old, new) => format!(
                    "{what} moved from oneof {} to oneof {}",
                    old.unwrap_or_default(),
                    new.unwrap_or_default()
                ),
            },
            (_, aspect) => {
                let label = aspect_label(aspect, code);
                match (old, new) {
                    (None, Some(new)) => format!("{what}: {label} set to {new}"),
                    (Some(old), None) => format!("{what}: {label} unset (was {old})"),
                    (old, new) => format!(
                        "{what}: {label} changed from {} to {}",
                        old.unwrap_or_default(),
                        new.unwrap_or_default()
                    ),
                }
            }
        }
    }
}

fn aspect_label(aspect: &str, code: &dyn Fn(&str) -> String) -> String {
    let plain = match aspect {
        "type" | "label" | "presence" | "default" | "streaming" | "package" | "syntax" => aspect,
        "json_name" => "JSON name",
        "request_type" => "request type",
        "response_type" => "response type",
        "idempotency" => "idempotency level",
        "message" => "message",
        option => return format!("option {}", code(option)),
    };
    plain.to_string()
}

/// Where a judged change is listed, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Breaking,
    Added,
    Deprecated,
    Other,
    Docs,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::Breaking,
        Section::Added,
        Section::Deprecated,
        Section::Other,
        Section::Docs,
    ];
}

/// A change with the compat findings that judge it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JudgedChange {
    pub section: Section,
    #[serde(flatten)]
    pub change: Change,
    pub findings: Vec<Finding>,
    /// Breaks of this change acknowledged in the proto or the configuration; they do not
    /// make it breaking, as `check` passes them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acknowledged: Vec<Acknowledged>,
}

/// Everything `protogen diff` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changelog {
    /// The two contracts as the user named them.
    pub old: String,
    pub new: String,
    /// Sorted by section, then by location.
    pub changes: Vec<JudgedChange>,
    /// Breaking findings that match no structural change; listed with the breaking ones.
    pub unmatched_findings: Vec<Finding>,
    /// Acknowledged breaks that match no structural change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unmatched_acknowledged: Vec<Acknowledged>,
}

impl Changelog {
    /// Changes in `section`; for breaking, the number of errors among all findings, which
    /// is the number `protogen check` reports (one change may break several rules).
    pub fn count(&self, section: Section) -> usize {
        if section == Section::Breaking {
            let attached = self.changes.iter().flat_map(|c| &c.findings);
            attached
                .chain(&self.unmatched_findings)
                .filter(|f| f.severity == Severity::Error)
                .count()
        } else {
            self.changes.iter().filter(|c| c.section == section).count()
        }
    }

    pub fn in_section(&self, section: Section) -> impl Iterator<Item = &JudgedChange> {
        self.changes.iter().filter(move |c| c.section == section)
    }
}

//! Attaches compat findings to the changes they judge: by element name, preferring the
//! change whose aspect the rule is about; a finding that fits no change stays unmatched.

use std::collections::HashMap;

use crate::compat::{Acknowledged, Finding, Severity};

use super::{Change, ChangeKind, Changelog, JudgedChange, Section, WHOLE};

/// Sorts changes into sections, breaking ones being those with a finding attached.
pub fn judge(
    old: String,
    new: String,
    changes: Vec<Change>,
    mut findings: Vec<Finding>,
    acknowledged: Vec<Acknowledged>,
) -> Changelog {
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule, &a.element, &a.message)
            .cmp(&(&b.path, b.line, b.column, b.rule, &b.element, &b.message))
    });
    findings.dedup();

    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_covered_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, change) in changes.iter().enumerate() {
        by_name.entry(&change.element).or_default().push(i);
        if let Some(old) = &change.old_element {
            by_name.entry(old).or_default().push(i);
        }
        for name in &change.also {
            by_covered_name.entry(name).or_default().push(i);
        }
    }

    let mut attached: Vec<Vec<Finding>> = vec![Vec::new(); changes.len()];
    let mut unmatched = Vec::new();
    let mut unmatched_acknowledged = Vec::new();
    for finding in findings {
        match home(&finding, &changes, &by_name, &by_covered_name) {
            Some(i) => attached[i].push(finding),
            None => unmatched.push(finding),
        }
    }

    // Acknowledged breaks are shown with their change, but do not make it breaking.
    let mut acknowledgements: Vec<Vec<Acknowledged>> = vec![Vec::new(); changes.len()];
    for ack in acknowledged {
        match home(&ack.finding, &changes, &by_name, &by_covered_name) {
            Some(i) => acknowledgements[i].push(ack),
            None => unmatched_acknowledged.push(ack),
        }
    }

    let mut judged: Vec<JudgedChange> = changes
        .into_iter()
        .zip(attached)
        .zip(acknowledgements)
        .map(|((change, findings), acknowledged)| JudgedChange {
            section: section(&change, &findings),
            change,
            findings,
            acknowledged,
        })
        .collect();
    // Stable: within a section the changes keep their location order.
    judged.sort_by_key(|c| c.section);
    Changelog {
        old,
        new,
        changes: judged,
        unmatched_findings: unmatched,
        unmatched_acknowledged,
    }
}

fn section(change: &Change, findings: &[Finding]) -> Section {
    match change.kind {
        // Warnings stay where the change belongs, as `check` passes them too.
        _ if findings.iter().any(|f| f.severity == Severity::Error) => Section::Breaking,
        ChangeKind::Docs => Section::Docs,
        ChangeKind::Added if change.aspect == WHOLE => Section::Added,
        ChangeKind::Deprecated => Section::Deprecated,
        _ => Section::Other,
    }
}

/// The change a finding is about: one of its element (the aspect its rule checks if
/// there is one), else a removed container that took the element with it.
fn home(
    finding: &Finding,
    changes: &[Change],
    by_name: &HashMap<&str, Vec<usize>>,
    by_covered_name: &HashMap<&str, Vec<usize>>,
) -> Option<usize> {
    let aspects = rule_aspects(finding.rule);
    if let Some(candidates) = by_name.get(finding.element.as_str()) {
        let fits = |&&i: &&usize| aspects.contains(&changes[i].aspect);
        return candidates
            .iter()
            .find(fits)
            .or_else(|| candidates.first())
            .copied();
    }
    // A finding about something inside a removed element (or file, or package), or about a
    // map's entry message.
    let removed =
        |i: &&usize| changes[**i].kind == ChangeKind::Removed && changes[**i].aspect == WHOLE;
    let candidates = by_covered_name.get(finding.element.as_str())?;
    candidates
        .iter()
        .find(removed)
        .or_else(|| candidates.first())
        .copied()
}

/// The change aspects a buf rule judges (see `diff::Change::aspect`).
fn rule_aspects(rule: &str) -> &'static [&'static str] {
    match rule {
        "RESERVED_ENUM_NO_DELETE" | "RESERVED_MESSAGE_NO_DELETE" => {
            &["reserved_range", "reserved_name"]
        }
        "EXTENSION_MESSAGE_NO_DELETE" => &["extension_range"],
        "FILE_SAME_PACKAGE" => &["package"],
        "FILE_SAME_SYNTAX" => &["syntax"],
        "FIELD_SAME_TYPE" | "FIELD_WIRE_COMPATIBLE_TYPE" | "FIELD_WIRE_JSON_COMPATIBLE_TYPE" => {
            &["type", "features.message_encoding"]
        }
        "FIELD_SAME_UTF8_VALIDATION" => &["features.utf8_validation"],
        "ENUM_SAME_TYPE" => &["features.enum_type"],
        "ENUM_SAME_JSON_FORMAT" | "MESSAGE_SAME_JSON_FORMAT" => &["features.json_format"],
        "FIELD_SAME_CARDINALITY"
        | "FIELD_SAME_LABEL"
        | "FIELD_WIRE_COMPATIBLE_CARDINALITY"
        | "FIELD_WIRE_JSON_COMPATIBLE_CARDINALITY" => &["label", "presence"],
        "FIELD_SAME_NAME" | "ENUM_VALUE_SAME_NAME" => &["name"],
        "FIELD_SAME_JSON_NAME" => &["json_name"],
        "FIELD_SAME_ONEOF" => &["oneof"],
        "FIELD_SAME_DEFAULT" => &["default"],
        "FIELD_SAME_CTYPE" | "FIELD_SAME_CPP_STRING_TYPE" => {
            &["ctype", "features.(pb.cpp).string_type"]
        }
        "FIELD_SAME_JAVA_UTF8_VALIDATION" => &[
            "features.(pb.java).utf8_validation",
            "features.utf8_validation",
            "java_string_check_utf8",
        ],
        "FIELD_SAME_JSTYPE" => &["jstype"],
        "RPC_SAME_CLIENT_STREAMING" | "RPC_SAME_SERVER_STREAMING" => &["streaming"],
        "RPC_SAME_REQUEST_TYPE" => &["request_type"],
        "RPC_SAME_RESPONSE_TYPE" => &["response_type"],
        "RPC_SAME_IDEMPOTENCY_LEVEL" => &["idempotency"],
        "MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT" => &["message_set_wire_format"],
        "MESSAGE_NO_REMOVE_STANDARD_DESCRIPTOR_ACCESSOR" => &["no_standard_descriptor_accessor"],
        "ENUM_SAME_ALLOW_ALIAS" => &["allow_alias"],
        rule if rule.contains("_NO_DELETE") => &[super::WHOLE],
        rule => file_option_aspect(rule),
    }
}

/// `FILE_SAME_GO_PACKAGE` judges the `go_package` option, and so on for every file option.
fn file_option_aspect(rule: &str) -> &'static [&'static str] {
    const FILE_OPTIONS: &[&str] = &[
        "java_package",
        "java_outer_classname",
        "java_multiple_files",
        "java_string_check_utf8",
        "go_package",
        "cc_generic_services",
        "java_generic_services",
        "py_generic_services",
        "php_generic_services",
        "cc_enable_arenas",
        "objc_class_prefix",
        "csharp_namespace",
        "swift_prefix",
        "php_class_prefix",
        "php_namespace",
        "php_metadata_namespace",
        "ruby_package",
        "optimize_for",
    ];
    let Some(option) = rule.strip_prefix("FILE_SAME_") else {
        return &[];
    };
    FILE_OPTIONS
        .iter()
        .position(|o| o.eq_ignore_ascii_case(option))
        .map_or(&[], |i| std::slice::from_ref(&FILE_OPTIONS[i]))
}

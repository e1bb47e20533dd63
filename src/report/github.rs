//! `--format github`: GitHub Actions workflow commands, one annotation per finding.

use super::{CheckReport, Level};

/// Escapes per GitHub's workflow-command rules (data and property values differ).
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn github(report: &CheckReport) -> String {
    let mut out = String::new();
    for item in &report.items {
        let command = match item.severity {
            Level::Error => "error",
            Level::Warning => "warning",
        };
        let mut props = Vec::new();
        if !item.path.is_empty() {
            props.push(format!(
                "file={}",
                property(&report.display_path(&item.path))
            ));
            props.push(format!("line={}", item.line));
            props.push(format!("col={}", item.column));
        }
        props.push(format!("title={}", property(&item.rule)));
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            data(&format!("{} [{}]", item.message, item.rule))
        ));
    }
    for ack in &report.acknowledged {
        let item = &ack.item;
        out.push_str(&format!(
            "::notice file={},line={},col={},title={}::{}\n",
            property(&report.display_path(&item.path)),
            item.line,
            item.column,
            property(&format!("{} (acknowledged)", item.rule)),
            data(&format!(
                "{} (acknowledged in {}: {})",
                item.message, ack.acknowledged_by, ack.reason
            ))
        ));
    }
    out.push_str(&super::consumers::github(report, property, data));
    out
}

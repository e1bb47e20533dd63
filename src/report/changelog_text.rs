//! The changelog for a terminal: one line per change, its findings indented below, colour
//! only when the caller says the output is a terminal that wants it.

use std::fmt::Write;

use crate::compat::{Acknowledged, Severity};
use crate::diff::{ChangeKind, Changelog, JudgedChange, Location, Section, Side};

use super::changelog::{finding_location, summary, title};

const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

pub struct Options {
    pub color: bool,
}

struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }
}

pub fn render(changelog: &Changelog, options: &Options) -> String {
    let paint = Paint {
        color: options.color,
    };
    let mut out = format!(
        "{} {}\n",
        paint.paint(BOLD, "Contract changes:"),
        summary(changelog)
    );
    for section in Section::ALL {
        let changes: Vec<&JudgedChange> = changelog.in_section(section).collect();
        let unmatched = match section {
            Section::Breaking => changelog.unmatched_findings.as_slice(),
            _ => &[],
        };
        if changes.is_empty() && unmatched.is_empty() {
            continue;
        }
        let heading = format!("{} ({})", title(section), changelog.count(section));
        let style = if section == Section::Breaking {
            RED
        } else {
            BOLD
        };
        let _ = write!(out, "\n{}\n", paint.paint(style, &heading));
        for judged in changes {
            change_line(&mut out, judged, &paint);
        }
        for finding in unmatched {
            let _ = writeln!(out, "  {}", finding_line(finding, &paint));
        }
    }
    if !changelog.unmatched_acknowledged.is_empty() {
        let heading = format!(
            "Acknowledged breaks ({})",
            changelog.unmatched_acknowledged.len()
        );
        let _ = write!(out, "\n{}\n", paint.paint(BOLD, &heading));
        for ack in &changelog.unmatched_acknowledged {
            let _ = writeln!(out, "  {}", acknowledged_line(ack, &paint));
        }
    }
    out
}

fn change_line(out: &mut String, judged: &JudgedChange, paint: &Paint) {
    let change = &judged.change;
    let (marker, style) = match (judged.section, change.kind) {
        (Section::Breaking, _) => ("!", RED),
        (_, ChangeKind::Added) => ("+", GREEN),
        (_, ChangeKind::Removed) => ("-", RED),
        (_, ChangeKind::Deprecated) => ("~", YELLOW),
        _ => ("~", ""),
    };
    let marker = if style.is_empty() {
        marker.to_string()
    } else {
        paint.paint(style, marker)
    };
    let _ = write!(out, "  {marker} {}", change.describe(&|s| s.to_string()));
    if let Some(location) = &change.location {
        let _ = write!(out, "  {}", paint.paint(DIM, &location_text(location)));
    }
    out.push('\n');
    for finding in &judged.findings {
        let _ = writeln!(out, "      {}", finding_line(finding, paint));
    }
    for ack in &judged.acknowledged {
        let _ = writeln!(out, "      {}", acknowledged_line(ack, paint));
    }
}

fn finding_line(finding: &crate::compat::Finding, paint: &Paint) -> String {
    let mut line = match finding.severity {
        Severity::Error => paint.paint(RED, finding.rule),
        Severity::Warning => format!("{} (warning)", paint.paint(YELLOW, finding.rule)),
    };
    if let Some(location) = finding_location(finding) {
        let _ = write!(line, " {}", paint.paint(DIM, &location));
    }
    let _ = write!(line, ": {}", finding.message);
    line
}

fn acknowledged_line(ack: &Acknowledged, paint: &Paint) -> String {
    let finding = &ack.finding;
    let mut line = format!("acknowledged {}", finding.rule);
    if let Some(location) = finding_location(finding) {
        let _ = write!(line, " {}", paint.paint(DIM, &location));
    }
    let _ = write!(line, " ({})", ack.by);
    if !ack.reason.is_empty() {
        let _ = write!(line, ": {}", ack.reason);
    }
    line
}

fn location_text(location: &Location) -> String {
    let place = if location.line == 0 {
        location.path.clone()
    } else {
        format!("{}:{}:{}", location.path, location.line, location.column)
    };
    match location.side {
        Side::New => place,
        Side::Old => format!("{place} (old)"),
    }
}

//! What the three changelog formats share: the one-line summary, section titles, and how
//! a finding's location reads.

use crate::compat::Finding;
use crate::diff::{Changelog, Section};

/// `2 breaking · 5 added · 1 deprecated · 3 other`; breaking is always there, the rest when
/// non-zero.
pub fn summary(changelog: &Changelog) -> String {
    if changelog.changes.is_empty() && changelog.unmatched_findings.is_empty() {
        return "no changes".to_string();
    }
    let mut parts = vec![format!("{} breaking", changelog.count(Section::Breaking))];
    for section in &Section::ALL[1..] {
        let count = changelog.count(*section);
        if count > 0 {
            parts.push(format!("{count} {}", short_name(*section)));
        }
    }
    parts.join(" · ")
}

fn short_name(section: Section) -> &'static str {
    match section {
        Section::Breaking => "breaking",
        Section::Added => "added",
        Section::Deprecated => "deprecated",
        Section::Other => "other",
        Section::Docs => "docs",
    }
}

pub fn title(section: Section) -> &'static str {
    match section {
        Section::Breaking => "Breaking changes",
        Section::Added => "Added",
        Section::Deprecated => "Deprecated",
        Section::Other => "Other changes",
        Section::Docs => "Documentation",
    }
}

/// `path:line:column`, `path` without source info, `None` when the rule names no file.
pub fn finding_location(finding: &Finding) -> Option<String> {
    match (finding.path.as_str(), finding.line) {
        ("", _) => None,
        (path, 0) => Some(path.to_string()),
        (path, line) => Some(format!("{path}:{line}:{}", finding.column)),
    }
}

/// Findings of one rule, in order, so that forty deleted files read as one line.
pub fn by_rule(findings: &[Finding]) -> Vec<(&'static str, Vec<&Finding>)> {
    let mut groups: Vec<(&'static str, Vec<&Finding>)> = Vec::new();
    for finding in findings {
        match groups.iter_mut().find(|(rule, _)| *rule == finding.rule) {
            Some((_, group)) => group.push(finding),
            None => groups.push((finding.rule, vec![finding])),
        }
    }
    groups
}

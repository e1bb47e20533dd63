//! The changelog as Markdown for a pull-request comment on GitHub or GitLab: a summary line,
//! breaking changes first, long sections folded, and the whole kept under a comment's size limit.

use std::fmt::Write;

use crate::compat::{Acknowledged, Finding, Severity};
use crate::diff::{Changelog, JudgedChange, Location, Section, Side};

use super::changelog::{by_rule, finding_location, summary, title};

/// GitHub refuses comments over 65,536 characters; leave room for a header the CI adds.
const BUDGET: usize = 60_000;
/// Sections longer than this are folded into `<details>`.
const FOLD_OVER: usize = 10;
/// The breaking section is what a reviewer came for: it folds only when very long.
const FOLD_BREAKING_OVER: usize = 25;

pub struct Options<'a> {
    /// Base URL of the new tree (`https://github.com/org/repo/blob/SHA/proto`); locations
    /// on the new side link to `BASE/path#Lline`.
    pub link_base: Option<&'a str>,
}

pub fn render(changelog: &Changelog, options: &Options) -> String {
    let mut out = format!("**Contract changes:** {}\n", summary(changelog));
    let sections: Vec<(Section, usize)> = Section::ALL
        .into_iter()
        .map(|s| (s, section_len(changelog, s)))
        .filter(|(_, len)| *len > 0)
        .collect();
    let mut left_out = 0;
    for (i, &(section, len)) in sections.iter().enumerate() {
        let fold = len
            > match section {
                Section::Breaking => FOLD_BREAKING_OVER,
                _ => FOLD_OVER,
            };
        // A folded list is skimmed: rule IDs and locations, without each rule's explanation.
        let explain = !fold;
        let mut items: Vec<String> = changelog
            .in_section(section)
            .map(|c| change_item(c, options, explain))
            .collect();
        if section == Section::Breaking {
            items.extend(
                changelog
                    .unmatched_findings
                    .iter()
                    .map(|f| format!("- {}\n", finding_line(f, options, explain))),
            );
        }
        // Share what is left of the budget among this and the later sections, breaking
        // changes weighing four times as much, so that every section shows its first items.
        let weight = |s: Section| if s == Section::Breaking { 4 } else { 1 };
        let weights: usize = sections[i..].iter().map(|(s, _)| weight(*s)).sum();
        let share = BUDGET.saturating_sub(out.len()) * weight(section) / weights;
        let limit = out.len() + share;

        let count = changelog.count(section);
        let _ = write!(out, "\n### {} ({count})\n\n", title(section));
        if fold {
            let noun = match section {
                Section::Breaking => "breaking changes",
                _ => "changes",
            };
            let _ = write!(out, "<details><summary>{count} {noun}</summary>\n\n");
        }
        let total = items.len();
        let mut shown = 0;
        for item in items {
            if out.len() + item.len() > limit {
                break;
            }
            out.push_str(&item);
            shown += 1;
        }
        if shown < total {
            let _ = writeln!(out, "- …and {} more", total - shown);
            left_out += total - shown;
        }
        if fold {
            out.push_str("\n</details>\n");
        }
    }
    if !changelog.unmatched_acknowledged.is_empty() {
        let _ = write!(
            out,
            "\n### Acknowledged breaks ({})\n\n",
            changelog.unmatched_acknowledged.len()
        );
        for ack in &changelog.unmatched_acknowledged {
            let _ = writeln!(out, "- {}", acknowledged_line(ack, options));
        }
    }
    if left_out > 0 {
        let _ = write!(
            out,
            "\n{left_out} changes are left out to fit a comment; `protogen diff --format json` lists them all.\n"
        );
    }
    out
}

/// How many items a section lists: its changes, plus unmatched findings for breaking.
fn section_len(changelog: &Changelog, section: Section) -> usize {
    let changes = changelog.in_section(section).count();
    match section {
        Section::Breaking => changes + changelog.unmatched_findings.len(),
        _ => changes,
    }
}

fn change_item(judged: &JudgedChange, options: &Options, explain: bool) -> String {
    let change = &judged.change;
    let mut item = format!("- {}", change.describe(&code));
    if let Some(location) = &change.location {
        let _ = write!(item, " — {}", location_link(location, options));
    }
    item.push('\n');
    for (rule, findings) in by_rule(&judged.findings) {
        let first = findings[0];
        let line = finding_line(first, options, explain);
        match findings.len() {
            1 => {
                let _ = writeln!(item, "  - {line}");
            }
            n if explain => {
                let _ = writeln!(item, "  - {line} (and {} more {})", n - 1, code(rule));
            }
            n => {
                let _ = writeln!(item, "  - {} ×{n}", code(rule));
            }
        }
    }
    for ack in &judged.acknowledged {
        let _ = writeln!(item, "  - {}", acknowledged_line(ack, options));
    }
    item
}

fn finding_line(finding: &Finding, options: &Options, explain: bool) -> String {
    let mut line = code(finding.rule);
    if finding.severity == Severity::Warning {
        line.push_str(" (warning)");
    }
    if let Some(location) = finding_location(finding) {
        let _ = write!(
            line,
            " {}",
            link(&location, &finding.path, finding.line, options)
        );
    }
    if explain {
        let _ = write!(line, ": {}", escape(&finding.message));
    }
    line
}

/// `acknowledged FIELD_NO_DELETE at path:line (proto comment): reason`.
fn acknowledged_line(ack: &Acknowledged, options: &Options) -> String {
    let finding = &ack.finding;
    let mut line = format!("acknowledged {}", code(finding.rule));
    if let Some(location) = finding_location(finding) {
        let _ = write!(
            line,
            " {}",
            link(&location, &finding.path, finding.line, options)
        );
    }
    let _ = write!(line, " ({})", ack.by);
    if !ack.reason.is_empty() {
        let _ = write!(line, ": {}", escape(&ack.reason));
    }
    line
}

fn location_link(location: &Location, options: &Options) -> String {
    let text = if location.line == 0 {
        location.path.clone()
    } else {
        format!("{}:{}:{}", location.path, location.line, location.column)
    };
    match location.side {
        Side::New => link(&text, &location.path, location.line, options),
        // The link base points into the new tree, where this line is not.
        Side::Old => format!("{} (old)", code(&text)),
    }
}

fn link(text: &str, path: &str, line: u32, options: &Options) -> String {
    match options.link_base {
        Some(base) => {
            let anchor = if line > 0 {
                format!("#L{line}")
            } else {
                String::new()
            };
            format!(
                "[{}]({}/{path}{anchor})",
                code(text),
                base.trim_end_matches('/')
            )
        }
        None => code(text),
    }
}

/// An inline code span that survives backticks in the text.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// Escapes the characters that would turn a rule's message into markup or HTML. Paired
/// backticks are kept as code spans (rule messages quote proto snippets), left as written.
fn escape(text: &str) -> String {
    let escape_plain = |part: &str, out: &mut String| {
        for c in part.chars() {
            if matches!(
                c,
                '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '|' | '#'
            ) {
                out.push('\\');
            }
            out.push(c);
        }
    };
    let mut out = String::with_capacity(text.len());
    if text.matches('`').count() % 2 == 1 {
        escape_plain(text, &mut out);
        return out;
    }
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out.push('`');
            out.push_str(part);
            out.push('`');
        } else {
            escape_plain(part, &mut out);
        }
    }
    out
}

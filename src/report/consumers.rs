//! The consumer section of a check report rendered for every output format: per deployed
//! consumer (lock), what breaks for it and through which RPC, or why it is safe (the verdicts
//! are `consumers::verdict`'s).

use serde_json::json;

use super::{plural, CheckReport};
use crate::consumers::Break;

fn location(report: &CheckReport, b: &Break) -> Option<String> {
    (!b.path.is_empty() && b.line > 0)
        .then(|| format!("{}:{}:{}", report.display_path(&b.path), b.line, b.column))
}

pub fn text(report: &CheckReport) -> String {
    let Some(section) = &report.consumers else {
        return String::new();
    };
    let mut out = format!(
        "consumers: {} of {} broken (judged by {} against their locks)\n",
        section.broken(),
        plural(section.verdicts.len(), "consumer"),
        section.rules
    );
    for verdict in &section.verdicts {
        if verdict.breaks.is_empty() {
            out.push_str(&format!("  {} safe: {}\n", verdict.title(), verdict.reason));
            continue;
        }
        for b in &verdict.breaks {
            out.push_str(&format!(
                "  {} breaks: {} [{}]\n",
                verdict.title(),
                b.sentence(),
                b.rules.join(", ")
            ));
            if let Some(at) = location(report, b) {
                out.push_str(&format!("      --> {at}\n"));
            }
        }
    }
    out
}

pub fn markdown(report: &CheckReport) -> String {
    let Some(section) = &report.consumers else {
        return String::new();
    };
    let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
    let icon = if section.broken() > 0 { "❌" } else { "✅" };
    let mut out = format!(
        "\n### {icon} Consumers: {} of {} broken\n\nJudged by `{}` against each consumer's `protogen.lock`, limited to what it calls.\n\n| Consumer | Lock | Verdict |\n|---|---|---|\n",
        section.broken(),
        plural(section.verdicts.len(), "consumer"),
        section.rules
    );
    for verdict in &section.verdicts {
        let head = format!("| `{}` | `{}` |", verdict.crate_name, verdict.hash);
        if verdict.breaks.is_empty() {
            out.push_str(&format!("{head} safe: {} |\n", cell(&verdict.reason)));
        }
        for b in &verdict.breaks {
            let at = location(report, b).map_or(String::new(), |at| format!(" at `{at}`"));
            // `UsersService/FindOne response` → `UsersService/FindOne` response
            let route = match b.reached_through.rsplit_once(' ') {
                Some((via, subject)) if b.is_event() => format!("{via} `{subject}`"),
                Some((rpc, direction)) => format!("reached through `{rpc}` {direction}"),
                None => format!("reached through `{}`", b.reached_through),
            };
            out.push_str(&format!(
                "{head} **breaks**: `{}` {}, {route}{at} ({}) |\n",
                b.element,
                cell(
                    b.summary
                        .strip_prefix(&b.element)
                        .unwrap_or(&b.summary)
                        .trim()
                ),
                b.rules
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    out
}

pub fn json(report: &CheckReport) -> Option<serde_json::Value> {
    let section = report.consumers.as_ref()?;
    Some(json!(section.verdicts))
}

/// GitHub workflow commands: an error per break, a notice per safe consumer.
pub fn github(
    report: &CheckReport,
    property: fn(&str) -> String,
    data: fn(&str) -> String,
) -> String {
    let Some(section) = &report.consumers else {
        return String::new();
    };
    let mut out = String::new();
    for verdict in &section.verdicts {
        if verdict.breaks.is_empty() {
            out.push_str(&format!(
                "::notice title={}::{}\n",
                property(&format!("{} safe", verdict.crate_name)),
                data(&format!("{} safe: {}", verdict.title(), verdict.reason))
            ));
        }
        for b in &verdict.breaks {
            let mut props = Vec::new();
            if !b.path.is_empty() && b.line > 0 {
                props.push(format!("file={}", property(&report.display_path(&b.path))));
                props.push(format!("line={}", b.line));
                props.push(format!("col={}", b.column));
            }
            props.push(format!(
                "title={}",
                property(&format!("{} breaks", verdict.crate_name))
            ));
            out.push_str(&format!(
                "::error {}::{}\n",
                props.join(","),
                data(&format!(
                    "{} breaks: {} [{}]",
                    verdict.title(),
                    b.sentence(),
                    b.rules.join(", ")
                ))
            ));
        }
    }
    out
}

/// SARIF results, one per break (rule ID: the first rule that reports it).
pub(super) fn sarif_results(report: &CheckReport) -> Vec<super::sarif::SarifResult> {
    let Some(section) = &report.consumers else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for verdict in &section.verdicts {
        for b in &verdict.breaks {
            out.push(super::sarif::SarifResult {
                level: "error",
                locations: if b.path.is_empty() {
                    Vec::new()
                } else {
                    vec![super::sarif::Location::at(
                        report.display_path(&b.path),
                        b.line,
                        b.column,
                    )]
                },
                message: super::sarif::Message {
                    text: format!("{} breaks: {}", verdict.title(), b.sentence()),
                },
                rule_id: b.rules.first().cloned().unwrap_or_default(),
                rule_index: None,
            });
        }
    }
    out
}

/// A JUnit test suite with one test case per consumer: a broken one fails, a safe one says why.
pub(super) fn junit_suite(report: &CheckReport) -> Option<quick_junit::TestSuite> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let section = report.consumers.as_ref()?;
    let mut suite = TestSuite::new("consumers");
    for verdict in &section.verdicts {
        let mut case = if verdict.breaks.is_empty() {
            let mut case = TestCase::new(verdict.title(), TestCaseStatus::success());
            case.set_system_out(format!("safe: {}", verdict.reason));
            case
        } else {
            let lines: Vec<String> = verdict.breaks.iter().map(|b| b.sentence()).collect();
            let mut failure = TestCaseStatus::non_success(NonSuccessKind::Failure);
            failure
                .set_message(format!("{} breaks", verdict.crate_name))
                .set_description(lines.join("\n"));
            TestCase::new(verdict.title(), failure)
        };
        case.set_classname("consumers");
        suite.add_test_case(case);
    }
    Some(suite)
}

//! Collects what the rules report, then turns it into findings: resolves locations the
//! way buf does, drops ignored ones, applies acknowledgements and severities, sorts.

use std::collections::HashMap;

use super::{ack, Acknowledged, Finding, Judgement, RuleSet, Severity};
use crate::config::path_within;
use crate::contract::model::Model;
use crate::contract::version::{package_version, Stability};
use crate::contract::Span;

/// Where buf points for a finding.
pub enum Place {
    /// No file at all (a deleted file or package).
    Nowhere,
    /// 1:1 of a current file.
    File(usize),
    /// The first of `candidates` (SourceCodeInfo paths) that the current file has a
    /// location for; 1:1 of the file when it has none.
    At {
        file: usize,
        candidates: Vec<Vec<i32>>,
    },
    /// Like `At` with `[path, fallback]`, but moved back to `keyword` on the same line:
    /// protox locates `[default = 5]` at the value, buf at the option name.
    Option {
        file: usize,
        path: Vec<i32>,
        keyword: &'static str,
        fallback: Vec<i32>,
    },
}

/// One finding before locations and filters are applied.
pub struct Report {
    pub rule: &'static str,
    pub place: Place,
    /// The element in the current file whose comments may acknowledge this break: the
    /// changed element, or the surviving parent of a deleted one. `None` for the file.
    pub anchor: Option<Vec<i32>>,
    /// The baseline file the finding concerns (for `ignore` and unstable packages).
    pub against: Option<usize>,
    pub element: String,
    pub message: String,
}

pub struct Sink<'r, 'a> {
    rules: &'r RuleSet,
    pub prev: &'r Model<'a>,
    pub cur: &'r Model<'a>,
    reports: Vec<Report>,
}

impl<'r, 'a> Sink<'r, 'a> {
    pub fn new(rules: &'r RuleSet, prev: &'r Model<'a>, cur: &'r Model<'a>) -> Self {
        Sink {
            rules,
            prev,
            cur,
            reports: Vec::new(),
        }
    }

    /// Whether `rule` runs; rules check this first so disabled ones cost nothing.
    pub fn on(&self, rule: &str) -> bool {
        self.rules.is_enabled(rule)
    }

    pub fn any_on(&self, rules: &[&str]) -> bool {
        rules.iter().any(|r| self.on(r))
    }

    pub fn add(&mut self, report: Report) {
        if self.on(report.rule) {
            self.reports.push(report);
        }
    }

    /// Takes what `other` collected (over the same two models).
    pub fn absorb(&mut self, other: Sink) {
        self.reports.extend(other.reports);
    }

    pub fn finish(mut self) -> Judgement {
        let reports = std::mem::take(&mut self.reports);
        let mut marked: HashMap<usize, bool> = HashMap::new();
        let mut judgement = Judgement::default();
        for report in reports {
            let (file, span) = match &report.place {
                Place::Nowhere => (None, None),
                Place::File(file) => (Some(*file), None),
                Place::At { file, candidates } => (
                    Some(*file),
                    candidates
                        .iter()
                        .find_map(|path| self.cur.span(*file, path)),
                ),
                Place::Option {
                    file,
                    path,
                    keyword,
                    fallback,
                } => {
                    let span = self
                        .cur
                        .span(*file, path)
                        .map(|span| back_to_keyword(self.cur, *file, span, keyword))
                        .or_else(|| self.cur.span(*file, fallback));
                    (Some(*file), span)
                }
            };
            if self.is_ignored(report.rule, file, report.against) {
                continue;
            }
            if !self.rules.only_elements.is_empty()
                && !self
                    .rules
                    .only_elements
                    .iter()
                    .any(|e| is_within(&report.element, e))
            {
                continue;
            }
            let span = span.unwrap_or(Span { line: 1, column: 1 });
            let severity = if self
                .rules
                .warn
                .iter()
                .any(|w| self.rules.covers(w, report.rule))
            {
                Severity::Warning
            } else {
                Severity::Error
            };
            let finding = Finding {
                rule: report.rule,
                path: file
                    .map(|f| {
                        self.cur
                            .contract
                            .path_of(self.cur.files[f].name)
                            .to_string()
                    })
                    .unwrap_or_default(),
                line: span.line,
                column: span.column,
                message: report.message,
                element: report.element,
                severity,
                packages: self.packages(file, report.against),
            };
            // Only files whose text holds the marker can acknowledge anything.
            let mut may_acknowledge = |f: usize| {
                *marked.entry(f).or_insert_with(|| {
                    self.cur
                        .text(f)
                        .is_none_or(|text| text.contains(ack::MARKER))
                })
            };
            let in_proto = file
                .filter(|&f| may_acknowledge(f))
                .and_then(|f| ack::in_comments(self.cur, f, report.anchor.as_deref(), report.rule));
            if let Some(reason) = in_proto {
                judgement.acknowledged.push(Acknowledged {
                    finding,
                    by: "proto comment",
                    reason,
                });
                continue;
            }
            if let Some(allow) =
                self.rules.allow.iter().find(|a| {
                    self.rules.covers(&a.rule, finding.rule) && a.element == finding.element
                })
            {
                let reason = allow.reason.clone();
                judgement.acknowledged.push(Acknowledged {
                    finding,
                    by: "protogen.toml",
                    reason,
                });
                continue;
            }
            judgement.findings.push(finding);
        }
        sort(&mut judgement.findings);
        judgement
            .acknowledged
            .sort_by(|a, b| order(&a.finding, &b.finding));
        judgement
    }

    /// The packages of the current file and the baseline file a report is about, sorted.
    fn packages(&self, file: Option<usize>, against: Option<usize>) -> Vec<String> {
        let mut packages: Vec<String> = file
            .map(|f| self.cur.files[f].package)
            .into_iter()
            .chain(against.map(|f| self.prev.files[f].package))
            .map(str::to_string)
            .collect();
        packages.sort();
        packages.dedup();
        packages
    }

    fn is_ignored(&self, rule: &str, file: Option<usize>, against: Option<usize>) -> bool {
        let current = file.map(|f| &self.cur.files[f]);
        let previous = against.map(|f| &self.prev.files[f]);
        // Import names, and paths from the module root where they differ (build roots).
        let names: Vec<&str> = current
            .iter()
            .flat_map(|f| [f.name, self.cur.contract.path_of(f.name)])
            .chain(
                previous
                    .iter()
                    .flat_map(|f| [f.name, self.prev.contract.path_of(f.name)]),
            )
            .collect();
        let matches = |paths: &[String]| {
            paths
                .iter()
                .any(|p| names.iter().any(|name| path_within(name, p)))
        };
        if matches(&self.rules.ignore) {
            return true;
        }
        if self
            .rules
            .ignore_only
            .iter()
            .any(|(key, paths)| self.rules.covers(key, rule) && matches(paths))
        {
            return true;
        }
        self.rules.ignore_unstable_packages
            && current
                .iter()
                .map(|f| f.package)
                .chain(previous.iter().map(|f| f.package))
                .any(is_unstable_package)
    }
}

/// Moves `span` back to where `keyword` starts, if it occurs earlier on the same line.
fn back_to_keyword(model: &Model, file: usize, span: Span, keyword: &str) -> Span {
    let line = model
        .text(file)
        .and_then(|text| text.lines().nth(span.line as usize - 1));
    let Some(line) = line else {
        return span;
    };
    let end = line
        .char_indices()
        .nth(span.column as usize - 1)
        .map_or(line.len(), |(i, _)| i);
    match line[..end].rfind(keyword) {
        Some(at) => Span {
            line: span.line,
            column: line[..at].chars().count() as u32 + 1,
        },
        None => span,
    }
}

pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(order);
}

pub fn order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    (&a.path, a.line, a.column, a.rule, &a.message, &a.element)
        .cmp(&(&b.path, b.line, b.column, b.rule, &b.message, &b.element))
}

/// `users.v1.User.role` is within `users.v1.User` and within itself.
fn is_within(element: &str, scope: &str) -> bool {
    element == scope
        || (element.starts_with(scope) && element.as_bytes().get(scope.len()) == Some(&b'.'))
}

/// buf's unstable packages: a version suffix with an alpha, beta or test level (the one
/// reading of package versions, `contract::version`; `foo.v0beta1` has none).
pub fn is_unstable_package(package: &str) -> bool {
    package_version(package) == Some(Stability::Unstable)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_packages_are_recognised() {
        for p in ["foo.v1alpha1", "foo.v1beta", "a.b.v2test", "foo.v1p1beta1"] {
            assert!(is_unstable_package(p), "{p}");
        }
        // As buf: one component has no version, and majors start at 1.
        for p in [
            "foo.v1",
            "foo",
            "foo.alpha",
            "foo.v1alphax",
            "foo.va1",
            "",
            "v1alpha",
            "foo.v0beta1",
        ] {
            assert!(!is_unstable_package(p), "{p}");
        }
    }

    #[test]
    fn elements_match_whole_components() {
        assert!(is_within("a.B.c", "a.B"));
        assert!(!is_within("a.Bc", "a.B"));
    }
}

//! Collects what the lint rules report, then places each finding where buf does (the
//! recorded location of a SourceCodeInfo path, else 1:1 of the file) and drops ignored ones.
//! Locations come from `contract::Model`, one file's index at a time.

use std::collections::{BTreeSet, HashMap};

use prost_types::source_code_info::Location;

use super::stored::Uses;
use super::RuleSet;
use crate::compat::{Finding, Severity};
use crate::config::path_within;
use crate::contract::location::span_of;
use crate::contract::Model;

const IGNORE_PREFIX: &str = "buf:lint:ignore";

/// One finding before its location and the ignores are applied.
struct Report {
    rule: &'static str,
    file: usize,
    /// The SourceCodeInfo path buf points at; `None` for the file as a whole (1:1).
    path: Option<Vec<i32>>,
    element: String,
    message: String,
    /// Where to point when the rule knows better than `path`'s recorded location (inside
    /// an option's value, where protox records none); `path` still decides comment ignores.
    at: Option<crate::contract::Span>,
}

/// The locations of one file by path, as the model gives them.
type Sources<'a> = HashMap<&'a [i32], &'a Location>;

pub struct Sink<'r, 'a> {
    rules: &'r RuleSet,
    pub model: &'r Model<'a>,
    /// The files whose findings are kept; `None` keeps every file's.
    report: Option<&'r BTreeSet<String>>,
    /// How RPCs outside the contract use types (RPC_REQUEST_RESPONSE_UNIQUE).
    pub outside: &'r Uses,
    reports: Vec<Report>,
    /// The location index of the file last asked about; rules walk the model file by file,
    /// so only one file's index is alive at a time.
    sources: Option<(usize, Sources<'a>)>,
}

impl<'r, 'a> Sink<'r, 'a> {
    pub fn new(
        rules: &'r RuleSet,
        model: &'r Model<'a>,
        report: Option<&'r BTreeSet<String>>,
        outside: &'r Uses,
    ) -> Self {
        Sink {
            rules,
            model,
            report,
            outside,
            reports: Vec::new(),
            sources: None,
        }
    }

    fn sources(&mut self, file: usize) -> &Sources<'a> {
        if self.sources.as_ref().is_none_or(|(f, _)| *f != file) {
            self.sources = Some((file, self.model.sources(file)));
        }
        &self.sources.as_ref().expect("set above").1
    }

    /// COMMENT_*: a declaration needs a leading comment with a line that is not empty and not
    /// a `buf:lint:ignore` line. Declarations without a location (synthetic ones) are skipped.
    pub fn lacks_comment(&mut self, file: usize, path: &[i32]) -> bool {
        self.sources(file).get(path).is_some_and(|l| {
            !l.leading_comments().lines().any(|line| {
                let line = line.trim();
                !line.is_empty() && !line.starts_with(IGNORE_PREFIX)
            })
        })
    }

    /// Whether `rule` runs; rules check this first so that disabled ones cost nothing.
    pub fn on(&self, rule: &str) -> bool {
        self.rules.is_enabled(rule)
    }

    pub fn settings(&self) -> &super::LintConfig {
        &self.rules.config
    }

    pub fn add(
        &mut self,
        rule: &'static str,
        file: usize,
        path: Option<&[i32]>,
        element: impl Into<String>,
        message: String,
    ) {
        if self.on(rule) {
            self.reports.push(Report {
                rule,
                file,
                path: path.map(<[i32]>::to_vec),
                element: element.into(),
                message,
                at: None,
            });
        }
    }

    /// Like [`Sink::add`], pointing at `at` when given, else at `path`'s location.
    pub fn add_at(
        &mut self,
        rule: &'static str,
        file: usize,
        path: &[i32],
        at: Option<crate::contract::Span>,
        element: impl Into<String>,
        message: String,
    ) {
        self.add(rule, file, Some(path), element, message);
        if let Some(report) = self.reports.last_mut().filter(|r| r.rule == rule) {
            report.at = at;
        }
    }

    pub fn finish(mut self) -> Vec<Finding> {
        let mut reports = std::mem::take(&mut self.reports);
        // One file at a time, so that only one file's location index is alive.
        reports.sort_by_key(|r| r.file);
        let mut findings = Vec::new();
        let model = self.model;
        for report in reports {
            let file = &model.files[report.file];
            if self.is_ignored(report.rule, file.name)
                || self.report.is_some_and(|r| !r.contains(file.name))
            {
                continue;
            }
            let comment_ignores = self.rules.config.comment_ignores;
            let by_path = self.sources(report.file);
            let location = report.path.as_deref().and_then(|p| by_path.get(p).copied());
            // Only a finding with a location can be ignored in a comment, as in buf.
            if comment_ignores && location.is_some() {
                if let Some(path) = report.path.as_deref() {
                    if ignored_in_comments(by_path, path, report.rule) {
                        continue;
                    }
                }
            }
            let span = report
                .at
                .or_else(|| location.and_then(span_of))
                .unwrap_or(crate::contract::Span { line: 1, column: 1 });
            let (line, column) = (span.line, span.column);
            findings.push(Finding {
                rule: report.rule,
                // From the module root (buf.yaml's folder), build roots and workspace
                // module folders included, as buf prints it.
                path: model.contract.path_of(file.name).to_string(),
                line,
                column,
                message: report.message,
                element: report.element,
                severity: Severity::Error,
                packages: Vec::new(),
            });
        }
        findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, a.rule, &a.message)
                .cmp(&(&b.path, b.line, b.column, b.rule, &b.message))
        });
        findings.dedup();
        findings
    }

    /// Ignore paths are relative to the import root (buf's v1beta1 roots, a workspace's
    /// module folder), so they match the import name.
    fn is_ignored(&self, rule: &str, name: &str) -> bool {
        let within = |paths: &[String]| paths.iter().any(|p| path_within(name, p));
        within(&self.rules.config.rules.ignore)
            || self
                .rules
                .ignore_only()
                .iter()
                .any(|(key, paths)| self.rules.covers(key, rule) && within(paths))
    }
}

/// buf's comment ignores: a leading comment line `buf:lint:ignore RULE_ID` on the element the
/// finding points at or on any declaration that encloses it (the field's message, the RPC's
/// service, ...), which makes an ignore on a message cascade to its fields.
fn ignored_in_comments(by_path: &Sources, path: &[i32], rule: &str) -> bool {
    let wanted = format!("{IGNORE_PREFIX} {rule}");
    let mut candidates: Vec<&[i32]> = (1..=path.len() / 2).map(|n| &path[..n * 2]).collect();
    if path.len() == 1 {
        // `package` and `syntax` statements.
        candidates.push(path);
    }
    candidates.into_iter().any(|p| {
        by_path.get(p).is_some_and(|l| {
            l.leading_comments()
                .lines()
                .any(|line| line.trim().starts_with(&wanted))
        })
    })
}

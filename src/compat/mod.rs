//! Breaking-change rules, with buf's IDs, categories and meaning: compares a baseline
//! contract with the current one and judges every difference.
//!
//! Entry points: [`check`] (findings only) and [`judge`] (findings plus the breaks that were
//! acknowledged in the proto or in the configuration). Rules live one file per element kind;
//! [`rules::RULES`] is the registry (ID, categories, meaning).

mod ack;
mod enums;
mod field;
mod file;
mod message;
mod modules;
mod package;
pub mod rules;
mod service;
mod sink;
mod stored;

use std::collections::{BTreeMap, BTreeSet};

use crate::contract::{Contract, Model};

pub use modules::{judge_loaded, root_rules, Decode, Judged};
pub use rules::{Rule, RULES};
pub use sink::{order, sort};

/// How a finding counts: an `error` fails the check, a `warning` is reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Error,
    Warning,
}

/// One breaking change (or warning) found by a rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// buf's rule ID, e.g. `FIELD_NO_DELETE`.
    pub rule: &'static str,
    /// File relative to the module root, where buf points; empty when buf gives no path.
    pub path: String,
    /// 1-based. 1:1 of the file where buf has no better place (a deleted top-level element,
    /// an option that is no longer set, a current file without source info).
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// Full name of the element the finding is about (`users.v1.User.role`,
    /// `users.v1.UsersService.FindOne`, or the file name for file-level rules), so that
    /// `diff` can attach findings to the changes they judge.
    pub element: String,
    /// `error` unless the configuration lowers this rule to `warn`.
    pub severity: Severity,
    /// The packages of the files it is about (current and baseline side), so that stored
    /// judgments can be kept per package ([`stored`]); empty where no file is known.
    #[serde(skip)]
    pub packages: Vec<String>,
}

/// A break that was found and then acknowledged as intended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Acknowledged {
    pub finding: Finding,
    /// Where the acknowledgement was written: `proto comment` or `protogen.toml`.
    pub by: &'static str,
    pub reason: String,
}

/// The outcome of judging a pair of contracts.
#[derive(Debug, Clone, Default)]
pub struct Judgement {
    /// Sorted by path, line, column, rule, message, element.
    pub findings: Vec<Finding>,
    pub acknowledged: Vec<Acknowledged>,
}

impl Judgement {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

/// One acknowledged break from the configuration: `rule` on the element `element`
/// (a full name such as `users.v1.User.role`, or a file name for file-level rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allow {
    pub rule: String,
    pub element: String,
    pub reason: String,
}

/// Which rules run, and which of their findings are dropped, lowered or acknowledged.
/// Build one with [`RuleSet::category`], [`RuleSet::from_ids`] or from configuration
/// (`config::Config::rule_set`).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    enabled: BTreeSet<&'static str>,
    /// Paths (files or directories, relative to the module root) whose findings are dropped.
    pub ignore: Vec<String>,
    /// Rule ID or category → paths whose findings for those rules are dropped.
    pub ignore_only: BTreeMap<String, Vec<String>>,
    /// Drop findings in packages such as `foo.v1alpha1`, `foo.v1beta1`, `foo.v1test`.
    pub ignore_unstable_packages: bool,
    /// Rule IDs or categories reported as warnings.
    pub warn: BTreeSet<String>,
    pub allow: Vec<Allow>,
    /// Keep only findings whose element is one of these full names or lies below one
    /// (`users.v1.User` keeps `users.v1.User.role`). Empty keeps everything.
    pub only_elements: BTreeSet<String>,
    /// The buf.yaml version whose categories and deprecated IDs the names above use.
    pub version: rules::BufVersion,
}

impl RuleSet {
    /// Every rule of a category (`FILE`, `PACKAGE`, `WIRE_JSON`, `WIRE`, `CSR`) or one rule ID.
    pub fn category(name: &str) -> anyhow::Result<RuleSet> {
        RuleSet::from_ids(&[name], &[])
    }

    /// buf's `use` and `except`: IDs and categories; unknown names are an error.
    pub fn from_ids<S: AsRef<str>>(use_: &[S], except: &[S]) -> anyhow::Result<RuleSet> {
        RuleSet::from_ids_in(use_, except, rules::BufVersion::V2)
    }

    /// `use` and `except` as buf resolves them for a buf.yaml of `version`.
    pub fn from_ids_in<S: AsRef<str>>(
        use_: &[S],
        except: &[S],
        version: rules::BufVersion,
    ) -> anyhow::Result<RuleSet> {
        let mut enabled = BTreeSet::new();
        for name in use_ {
            enabled.extend(rules::expand_in(name.as_ref(), version)?);
        }
        for name in except {
            for id in rules::expand_in(name.as_ref(), version)? {
                enabled.remove(id);
            }
        }
        Ok(RuleSet {
            enabled,
            version,
            ..RuleSet::default()
        })
    }

    /// The rules and filters of a resolved configuration (`protogen.toml` or `buf.yaml`).
    pub fn from_config(breaking: &crate::config::Breaking) -> anyhow::Result<RuleSet> {
        let rules = &breaking.rules;
        let mut set = RuleSet::from_ids_in(&breaking.use_(), &rules.except, breaking.version)?;
        for name in rules
            .ignore_only
            .keys()
            .chain(&breaking.warn)
            .chain(breaking.allow.iter().map(|a| &a.rule))
        {
            rules::expand_in(name, breaking.version)?;
        }
        set.ignore = rules.ignore.clone();
        set.ignore_only = rules.ignore_only.clone();
        set.ignore_unstable_packages = breaking.ignore_unstable_packages;
        set.warn = breaking.warn.iter().cloned().collect();
        set.allow = breaking
            .allow
            .iter()
            .map(|a| Allow {
                rule: a.rule.clone(),
                element: a.element.clone(),
                reason: a.reason.clone(),
            })
            .collect();
        Ok(set)
    }

    /// Keeps only findings about these elements (full names) or what lies below them.
    pub fn only_elements<I: IntoIterator<Item = String>>(mut self, elements: I) -> RuleSet {
        self.only_elements = elements.into_iter().collect();
        self
    }

    /// Whether `name` (a rule ID, deprecated ID or category of this set's buf.yaml version)
    /// covers `rule`.
    pub fn covers(&self, name: &str, rule: &str) -> bool {
        rules::covers_in(name, rule, self.version)
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.enabled.contains(id)
    }

    pub fn enabled(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.enabled.iter().copied()
    }
}

/// Runs the enabled rules and returns what fails or warns, sorted deterministically
/// (path, line, column, rule, message). Acknowledged breaks are left out; see [`judge`].
pub fn check(baseline: &Contract, current: &Contract, rules: &RuleSet) -> Vec<Finding> {
    judge(baseline, current, rules).findings
}

/// Like [`check`], and also returns the breaks acknowledged in the proto files
/// (`// protogen:allow-breaking RULE_ID reason`) or in the configuration.
pub fn judge(baseline: &Contract, current: &Contract, rules: &RuleSet) -> Judgement {
    // A descriptor set (`buf build -o`, `protoc --include_imports`) may carry the
    // well-known types it imports; the current module never does, as they are built in.
    let well_known_import =
        |name: &str| name.starts_with("google/protobuf/") && current.file(name).is_none();
    // The two models build on two cores.
    let (previous, now) = std::thread::scope(|scope| {
        let previous = scope.spawn(|| Model::build(baseline, well_known_import));
        let now = Model::build(current, |_| false);
        (
            previous.join().expect("building a model does not panic"),
            now,
        )
    });
    // The rules run on two cores too: the findings are sorted at the end, whatever the order
    // they were reported in. The fields' rules cost most (on Google's protos 210 ms, against
    // 75 ms for the files', packages' and messages' and 27 ms for the enums' and services'):
    // each thread judges part of the messages' fields.
    let _t = crate::timing::span("rules");
    let messages = previous.messages.len();
    let split = messages * 3 / 5;
    let (mut sink, other) = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let mut sink = sink::Sink::new(rules, &previous, &now);
            field::check_messages(&mut sink, 0..split);
            enums::check(&mut sink);
            service::check(&mut sink);
            sink
        });
        let mut sink = sink::Sink::new(rules, &previous, &now);
        file::check(&mut sink);
        package::check(&mut sink);
        message::check(&mut sink);
        field::check_messages(&mut sink, split..messages);
        field::check_extensions(&mut sink);
        (sink, other.join().expect("judging does not panic"))
    });
    sink.absorb(other);
    sink.finish()
}

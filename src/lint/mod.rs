//! Lint rules with buf's IDs, categories, meaning and locations: judges one compiled contract
//! against style and layout rules, honouring buf.yaml / protogen.toml settings and comment ignores.
//!
//! Entry point: [`lint`]. [`rules::RULES`] is the registry; rules live one file per element kind
//! (file and imports, package, message and fields, enums, service); `sink` places findings
//! where buf does and drops ignored ones. Rules read the contract through `contract::Model`,
//! the model compat, diff and consumers read too.

mod enums;
mod file;
mod message;
mod modules;
pub mod names;
mod package;
mod protovalidate;
pub mod rules;
mod service;
mod sink;
pub mod stored;

use std::collections::{BTreeMap, BTreeSet};

use crate::compat::Finding;
use crate::contract::Contract;

pub use crate::config::LintConfig;
pub use modules::{lint_loaded, Linted};
pub use rules::{Rule, RULES};

/// Which lint rules run, with the settings they read and the ignores applied to findings.
#[derive(Debug, Clone)]
pub struct RuleSet {
    enabled: BTreeSet<&'static str>,
    pub config: LintConfig,
}

impl RuleSet {
    /// Resolves `use` and `except` in the configuration's version; unknown names are an error.
    pub fn from_config(config: &LintConfig) -> anyhow::Result<RuleSet> {
        let version = config.version;
        let mut enabled: BTreeSet<&'static str> = match &config.rules.use_ {
            None => rules::defaults(version).into_iter().collect(),
            Some(names) => {
                let mut set = BTreeSet::new();
                for name in names {
                    set.extend(rules::expand(name, version)?);
                }
                set
            }
        };
        for name in &config.rules.except {
            for id in rules::expand(name, version)? {
                enabled.remove(id);
            }
        }
        // buf swaps a deprecated ID for its replacements; these have none.
        enabled.retain(|id| !rules::DEPRECATED.contains(id));
        for name in config.rules.ignore_only.keys() {
            rules::expand(name, version)?;
        }
        Ok(RuleSet {
            enabled,
            config: config.clone(),
        })
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        self.enabled.contains(id)
    }

    pub fn enabled(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.enabled.iter().copied()
    }

    /// Whether an `ignore_only` key (a rule ID or a category of this version) covers `rule`.
    fn covers(&self, key: &str, rule: &str) -> bool {
        key == rule
            || rules::find(rule)
                .and_then(|r| r.in_version(self.config.version))
                .is_some_and(|r| r.categories.contains(&key))
    }

    fn ignore_only(&self) -> &BTreeMap<String, Vec<String>> {
        &self.config.rules.ignore_only
    }
}

/// Runs the enabled rules on every file of `contract`; findings are sorted by path, line,
/// column, rule and message, all with severity error.
pub fn lint(contract: &Contract, rules: &RuleSet) -> Vec<Finding> {
    lint_files(contract, rules, |_| true)
}

/// Runs the enabled rules on the files of `contract` for which `target` holds (by import
/// name): one module of a workspace. The other files only resolve imports, as in buf, so
/// package-wide rules see the module's files alone.
pub fn lint_files(
    contract: &Contract,
    rules: &RuleSet,
    target: impl Fn(&str) -> bool,
) -> Vec<Finding> {
    lint_part(contract, rules, target, None, &stored::Uses::new())
}

/// [`lint_files`] reporting only the findings in the files `report` (every target file when
/// `None`), as if the RPCs of files outside `contract` used the types as `outside` says:
/// one group of a unit ([`stored`]), judged as the whole unit would be.
pub fn lint_part(
    contract: &Contract,
    rules: &RuleSet,
    target: impl Fn(&str) -> bool,
    report: Option<&BTreeSet<String>>,
    outside: &stored::Uses,
) -> Vec<Finding> {
    let model = crate::contract::Model::build(contract, |name| !target(name));
    let mut sink = sink::Sink::new(rules, &model, report, outside);
    file::check(&mut sink);
    package::check(&mut sink);
    message::check(&mut sink);
    enums::check(&mut sink);
    service::check(&mut sink);
    protovalidate::check(&mut sink);
    sink.finish()
}

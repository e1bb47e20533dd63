//! `protogen lint`: loads the module's contract and its lint settings, runs buf's lint rules,
//! prints the findings in the chosen format, returns 0 (none), 1 (findings) or 2 (bad input).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{Format, LintArgs};
use crate::compat;
use crate::compat::Finding;
use crate::config::BufVersion;
use crate::config::Config;
use crate::contract::{self, cache, Contract, Loaded, Side, Source};
use crate::lint::{self, stored, RuleSet};
use crate::report::{self, CheckReport, RuleInfo};

use super::check::{item, root_prefix};

pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    if args.list_rules {
        print!("{}", list_rules());
        return Ok(ExitCode::SUCCESS);
    }
    let root = &args.path;
    if !root.is_dir() {
        anyhow::bail!(
            "the module root {} is not a directory\nhelp: pass the folder that holds your .proto files (their import root)",
            root.display()
        );
    }
    let config = Config::load(root, args.config.as_deref())?;
    let invalid = |module: Option<&Path>| {
        let mut text = match &config.source {
            Some(path) => format!("invalid lint rules in {}", path.display()),
            None => "invalid lint rules".to_string(),
        };
        if let Some(module) = module {
            text.push_str(&format!(" (module {})", module.display()));
        }
        text
    };
    // One rule set per module of a workspace (buf.work.yaml, buf.yaml v2 `modules:`), each
    // with its folder; the module root alone otherwise.
    let modules: Vec<(RuleSet, Option<String>)> = if config.modules.is_empty() {
        vec![(
            RuleSet::from_config(&config.lint).with_context(|| invalid(None))?,
            None,
        )]
    } else {
        config
            .modules
            .iter()
            .map(|m| {
                let rules =
                    RuleSet::from_config(&m.lint).with_context(|| invalid(Some(&m.path)))?;
                Ok((rules, Some(format!("{}/", m.path.display()))))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let loaded = contract::prepare(
        &Source::Dir(root.clone()),
        Side::Current,
        &config.load_options(),
    )?;
    // With a cache, only the groups of files an edit touched are decoded and linted.
    let stored = match cache::current() {
        Some(store) => lint_stored(store, &loaded, &modules)?,
        None => None,
    };
    let (mut findings, contract) = match stored {
        Some(Stored {
            findings,
            mut contract,
            reused,
        }) => {
            // Only text reports quote source lines.
            if matches!(args.format, Format::Text) {
                loaded.add_sources(&mut contract, &reused);
            }
            (findings, contract)
        }
        None => {
            let contract = loaded.contract(None)?;
            (lint_whole(&contract, &modules), contract)
        }
    };
    compat::sort(&mut findings);
    let report = CheckReport {
        kind: report::Kind::Lint,
        items: findings.iter().map(item).collect(),
        acknowledged: Vec::new(),
        rules: lint::RULES
            .iter()
            .filter(|r| modules.iter().any(|(rules, _)| rules.is_enabled(r.id)))
            .map(|r| RuleInfo {
                id: r.id.to_string(),
                meaning: r.purpose.to_string(),
            })
            .collect(),
        // Keyed like the findings' paths: from the module root.
        sources: contract
            .sources
            .iter()
            .map(|(name, text)| (contract.path_of(name).to_string(), text.clone()))
            .collect(),
        root_prefix: root_prefix(root),
        baseline: String::new(),
        consumers: None,
    };
    let out = match args.format {
        Format::Text => report::text(&report),
        Format::Json => report::json(&report),
        Format::Github => report::github(&report),
        Format::Markdown => report::markdown(&report),
        Format::Sarif => report::sarif(&report),
        Format::Junit => report::junit(&report),
    };
    print!("{out}");
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Every module's findings, each module linting its own files with its own rules (the
/// workspace compiles once).
fn lint_whole(contract: &Contract, modules: &[(RuleSet, Option<String>)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (rules, folder) in modules {
        findings.extend(match folder {
            None => lint::lint(contract, rules),
            Some(folder) => lint::lint_files(contract, rules, |name| {
                contract.path_of(name).starts_with(folder.as_str())
            }),
        });
    }
    findings
}

/// A lint that reused stored findings: all findings (unsorted), the files decoded, and the
/// files whose reused findings a text report quotes.
struct Stored {
    findings: Vec<Finding>,
    contract: Contract,
    reused: BTreeSet<String>,
}

/// One module's groups of files ([`stored::groups`]) and their stored entries, if any.
struct Unit<'a> {
    rules: &'a RuleSet,
    files: BTreeSet<String>,
    groups: Vec<stored::Group>,
    entries: Vec<Option<stored::Entry>>,
}

impl Unit<'_> {
    fn missed(&self) -> impl Iterator<Item = &String> {
        self.groups
            .iter()
            .zip(&self.entries)
            .filter(|(_, e)| e.is_none())
            .flat_map(|(g, _)| &g.files)
    }
}

/// Lints with the findings stored per group of files: the groups whose entry still holds are
/// reused, the others decoded and linted together, and stored. `None` when a file has no
/// fingerprint (an import cycle), which leaves nothing to key by.
fn lint_stored(
    store: &cache::Cache,
    loaded: &Loaded,
    modules: &[(RuleSet, Option<String>)],
) -> anyhow::Result<Option<Stored>> {
    let outline = loaded.outline();
    let mut units = Vec::new();
    for (rules, folder) in modules {
        let files: BTreeSet<String> = outline
            .files
            .keys()
            .filter(|n| {
                folder
                    .as_ref()
                    .is_none_or(|f| outline.path_of(n).starts_with(f.as_str()))
            })
            .cloned()
            .collect();
        let Some(groups) = stored::groups(&outline, &files, &format!("{rules:?}")) else {
            return Ok(None);
        };
        let entries = groups
            .iter()
            .map(|g| store.get(&g.key).and_then(|b| stored::decode(&b)))
            .collect();
        units.push(Unit {
            rules,
            files,
            groups,
            entries,
        });
    }
    // Decode what is linted again; a reused group whose RPCs' types are now used otherwise by
    // the other groups (RPC_REQUEST_RESPONSE_UNIQUE) is linted again too, which needs one
    // more decoding.
    let (contract, uses) = loop {
        let wanted: BTreeSet<String> = units.iter().flat_map(Unit::missed).cloned().collect();
        let contract = loaded.contract(Some(&stored::with_imports(wanted, &outline)))?;
        let mut stale = false;
        let mut uses = Vec::new();
        for unit in &mut units {
            let all: Vec<stored::Uses> = unit
                .groups
                .iter()
                .zip(&unit.entries)
                .map(|(g, e)| match e {
                    Some(entry) => entry.uses.clone(),
                    None => stored::uses(&contract, &g.files),
                })
                .collect();
            let counts = stored::counts(&all);
            for (entry, own) in unit.entries.iter_mut().zip(&all) {
                if entry
                    .as_ref()
                    .is_some_and(|e| e.outside != stored::outside(own, &counts))
                {
                    *entry = None;
                    stale = true;
                }
            }
            drop(counts);
            uses.push(all);
        }
        if !stale {
            break (contract, uses);
        }
    };
    let mut findings = Vec::new();
    let mut reused = BTreeSet::new();
    let mut entries_out = Vec::new();
    for (unit, uses) in units.iter().zip(&uses) {
        let counts = stored::counts(uses);
        let missed: BTreeSet<String> = unit.missed().cloned().collect();
        // RPCs of the reused groups, as seen by the groups linted now.
        let mut outside = stored::Uses::new();
        for (own, _) in uses.iter().zip(&unit.entries).filter(|(_, e)| e.is_some()) {
            for (name, &(request, response)) in own {
                let seen = outside.entry(name.clone()).or_default();
                seen.0 |= request;
                seen.1 |= response;
            }
        }
        let found = if missed.is_empty() {
            Vec::new()
        } else {
            lint::lint_part(
                &contract,
                unit.rules,
                |name| unit.files.contains(name),
                Some(&missed),
                &outside,
            )
        };
        // Each finding back to its group, by its file's path.
        let group_of: HashMap<&str, usize> = unit
            .groups
            .iter()
            .enumerate()
            .flat_map(|(i, g)| g.files.iter().map(move |n| (n, i)))
            .map(|(n, i)| (outline.path_of(n), i))
            .collect();
        let mut own: Vec<Vec<Finding>> = unit.groups.iter().map(|_| Vec::new()).collect();
        let mut storable = true;
        for finding in &found {
            match group_of.get(finding.path.as_str()) {
                Some(&i) => own[i].push(finding.clone()),
                None => storable = false,
            }
        }
        for (i, group) in unit.groups.iter().enumerate() {
            match &unit.entries[i] {
                Some(entry) => {
                    if !entry.findings.is_empty() {
                        reused.extend(group.files.iter().cloned());
                    }
                    findings.extend(entry.findings.iter().cloned());
                }
                None if storable => {
                    let entry = stored::Entry {
                        findings: std::mem::take(&mut own[i]),
                        outside: stored::outside(&uses[i], &counts),
                        uses: uses[i].clone(),
                    };
                    entries_out.push((group.key, stored::encode(&entry).into()));
                }
                None => {}
            }
        }
        findings.extend(found);
    }
    store.put_all_in_background(entries_out);
    Ok(Some(Stored {
        findings,
        contract,
        reused,
    }))
}

fn list_rules() -> String {
    let rows: Vec<(&str, String, &str)> = lint::RULES
        .iter()
        .map(|r| {
            let categories = match r.in_version(BufVersion::V2) {
                Some(v2) => v2.categories.join(","),
                None => format!(
                    "(v1beta1 only: {})",
                    r.v1beta1
                        .map(|v| v.categories.join(","))
                        .unwrap_or_default()
                ),
            };
            (r.id, categories, r.purpose)
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let cat_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut out = format!(
        "{:width$}  {:cat_width$}  PURPOSE\n",
        "RULE", "CATEGORIES (v2)"
    );
    for (id, categories, purpose) in &rows {
        out.push_str(&format!(
            "{id:width$}  {categories:cat_width$}  {purpose}\n"
        ));
    }
    out.push_str(&format!(
        "\n{} rules. Default: STANDARD (v1beta1, v1: DEFAULT). Choose with `use`/`except` in protogen.toml [lint] or buf.yaml `lint:`;\nv1 and v1beta1 names (DEFAULT, FILE_LAYOUT, PACKAGE_AFFINITY, SENSIBLE, STYLE_BASIC, STYLE_DEFAULT, OTHER) work in those versions.\n",
        rows.len()
    ));
    out
}

//! A loaded contract linted as buf does: each module of a workspace with its own rules, the
//! module root alone otherwise; with a cache, only the groups of files an edit touched are
//! decoded and linted, the others' findings reused ([`stored`]).

use std::collections::{BTreeSet, HashMap};

use crate::compat::Finding;
use crate::contract::{cache, Contract, Loaded};

use super::{lint, lint_files, lint_part, stored, RuleSet};

/// Lints every module of `loaded`, each `(rules, folder)` linting the files under its folder
/// (every file when `None`); through the cache when there is one.
pub fn lint_loaded(
    loaded: &Loaded,
    modules: &[(RuleSet, Option<String>)],
) -> anyhow::Result<Linted> {
    if let Some(store) = cache::current() {
        if let Some(linted) = lint_stored(store, loaded, modules)? {
            return Ok(linted);
        }
    }
    // The only decoding: the compiled files are freed as they are read.
    let contract = loaded.contract_releasing(None)?;
    Ok(Linted {
        findings: lint_whole(&contract, modules),
        contract,
        reused: BTreeSet::new(),
    })
}

/// Every module's findings, each module linting its own files with its own rules (the
/// workspace compiles once).
fn lint_whole(contract: &Contract, modules: &[(RuleSet, Option<String>)]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (rules, folder) in modules {
        findings.extend(match folder {
            None => lint(contract, rules),
            Some(folder) => lint_files(contract, rules, |name| {
                contract.path_of(name).starts_with(folder.as_str())
            }),
        });
    }
    findings
}

/// A lint's outcome: all findings (unsorted), the contract of the files decoded, and the
/// files whose findings were reused (a text report quotes their lines: see
/// `Loaded::add_sources`).
pub struct Linted {
    pub findings: Vec<Finding>,
    pub contract: Contract,
    pub reused: BTreeSet<String>,
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
) -> anyhow::Result<Option<Linted>> {
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
        let contract = loaded.contract(Some(&outline.with_imports(wanted)))?;
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
            lint_part(
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
    Ok(Some(Linted {
        findings,
        contract,
        reused,
    }))
}

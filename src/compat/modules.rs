//! The one judge of a loaded pair (`check` and `diff` both call it): as buf does, module by
//! module for a workspace with each module's own rules, decoding only what can differ.
//!
//! Each judged unit (the module root, or each workspace module with the files it imports) is
//! narrowed on its own, so a unit is judged on exactly the files that judging it whole could
//! report, and the findings are the same with or without narrowing. With a cache, the findings
//! of each group of changed packages are stored, and reused while its files and the unit's
//! rules stay the same ([`stored`](super::stored)): only the groups an edit touched are
//! decoded and judged again.

use std::borrow::Cow;
use std::collections::BTreeSet;

use anyhow::Context;

use super::stored::{self, Group};
use super::{judge, Judgement, RuleSet};
use crate::config::Config;
use crate::contract::{self, cache, Contract, Loaded, Outline};

/// The outcome, and the two contracts as decoded (see [`Decode`]).
pub struct Judged {
    pub judgement: Judgement,
    pub baseline: Contract,
    pub current: Contract,
    /// Current files that reused findings point at but that were not decoded: a report that
    /// quotes source lines adds their text ([`Loaded::add_sources`]).
    pub quoted: BTreeSet<String>,
}

/// Which files of each side are decoded besides those judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// Only the files some unit judged.
    Judged,
    /// The whole current contract (consumers look beyond the comparison).
    WholeCurrent,
    /// Besides the judged files, those a changelog can name on each side: the files that
    /// differ, their packages, the files that may declare events, and what they import
    /// ([`contract::narrow_for_changelog`]); both contracts whole where fingerprints are
    /// unknown (a descriptor set).
    Changelog,
}

/// The root's breaking rules (a single module's; what `check --list-rules` reports).
pub fn root_rules(config: &Config) -> anyhow::Result<RuleSet> {
    RuleSet::from_config(&config.breaking).with_context(|| match &config.source {
        Some(path) => format!("invalid breaking rules in {}", path.display()),
        None => "invalid breaking rules".to_string(),
    })
}

/// One set of rules over a choice of files on each side.
struct Unit {
    rules: RuleSet,
    baseline: BTreeSet<String>,
    current: BTreeSet<String>,
    /// With stored judgments: the groups to judge in this run, and the judgment of the others.
    stored: Option<(Vec<Group>, Judgement)>,
}

/// Judges `baseline` against `current` with the root's rules (a single module) or with each
/// workspace module's own rules; `narrow` leaves out the files fingerprinted alike on both
/// sides (the findings are the same either way).
pub fn judge_loaded(
    config: &Config,
    baseline: &Loaded,
    current: &Loaded,
    narrow: bool,
    decode: Decode,
) -> anyhow::Result<Judged> {
    let t = crate::timing::span("outline+narrow");
    let (old, new) = (baseline.outline(), current.outline());
    let mut units = Vec::new();
    if config.modules.is_empty() {
        units.push(Unit {
            rules: root_rules(config)?,
            baseline: old.files.keys().cloned().collect(),
            current: new.files.keys().cloned().collect(),
            stored: None,
        });
    }
    for module in &config.modules {
        let rules = RuleSet::from_config(&module.breaking).with_context(|| {
            format!(
                "invalid breaking rules for module {}",
                module.path.display()
            )
        })?;
        let prefix = format!("{}/", module.path.display());
        units.push(Unit {
            rules,
            baseline: module_files(&old, &new, &prefix),
            current: module_files(&new, &new, &prefix),
            stored: None,
        });
    }
    if narrow {
        for unit in &mut units {
            if let Some(keep) =
                contract::narrow(&old.restrict(&unit.baseline), &new.restrict(&unit.current))
            {
                unit.baseline.retain(|n| keep.contains(n));
                unit.current.retain(|n| keep.contains(n));
            }
        }
    }
    // Stored judgments go with narrowing: both need every file's fingerprint.
    let store = cache::current().filter(|_| narrow);
    let mut reused_sources = BTreeSet::new();
    if let Some(store) = store {
        for unit in &mut units {
            let rules = format!("{:?}", unit.rules);
            let (before, after) = (old.restrict(&unit.baseline), new.restrict(&unit.current));
            let Some(groups) = stored::groups(&before, &after, &rules) else {
                continue;
            };
            let mut reused = Judgement::default();
            let mut missed = Vec::new();
            for group in groups {
                match store.get(&group.key).and_then(|b| stored::decode(&b)) {
                    Some(judgement) => {
                        let paths: BTreeSet<&str> = judgement
                            .findings
                            .iter()
                            .chain(judgement.acknowledged.iter().map(|a| &a.finding))
                            .map(|f| f.path.as_str())
                            .collect();
                        let quoted = group
                            .current
                            .iter()
                            .filter(|n| paths.contains(after.path_of(n)));
                        reused_sources.extend(quoted.cloned());
                        reused.findings.extend(judgement.findings);
                        reused.acknowledged.extend(judgement.acknowledged);
                    }
                    None => missed.push(group),
                }
            }
            // The missed groups' files and what they import: whole packages for what is judged.
            let seeds = missed
                .iter()
                .flat_map(|g| g.baseline.iter().chain(&g.current));
            let keep = with_imports(seeds.cloned().collect(), [&before, &after]);
            unit.baseline.retain(|n| keep.contains(n));
            unit.current.retain(|n| keep.contains(n));
            unit.stored = Some((missed, reused));
        }
    }
    let wanted = |side: fn(&Unit) -> &BTreeSet<String>| -> BTreeSet<String> {
        units.iter().flat_map(|u| side(u).iter().cloned()).collect()
    };
    let mut baseline_files = Some(wanted(|u| &u.baseline));
    let mut current_files = Some(wanted(|u| &u.current));
    match decode {
        Decode::Judged => {}
        Decode::WholeCurrent => current_files = None,
        Decode::Changelog => match contract::narrow_for_changelog(&old, &new) {
            Some(keep) => {
                for (files, side) in [(&mut baseline_files, &old), (&mut current_files, &new)] {
                    if let Some(files) = files {
                        let names = keep.iter().filter(|n| side.files.contains_key(*n));
                        files.extend(names.cloned());
                    }
                }
            }
            None => (baseline_files, current_files) = (None, None),
        },
    }
    drop(t);
    // The two sides decode on two cores, each freeing its compiled files as it goes (nothing
    // decodes them again).
    let (baseline_contract, current_contract) = std::thread::scope(|scope| {
        let old = scope.spawn(|| baseline.contract_releasing(baseline_files.as_ref()));
        let new = current.contract_releasing(current_files.as_ref());
        (old.join().expect("decoding a contract does not panic"), new)
    });
    let (baseline_contract, current_contract) = (baseline_contract?, current_contract?);

    let _t = crate::timing::span("judge units");
    let units_len = units.len();
    let mut all = Judgement::default();
    let mut merged = units_len > 1;
    for unit in units {
        let judgement = match &unit.stored {
            Some((missed, _)) if missed.is_empty() => Judgement::default(),
            _ => judge(
                &view(&baseline_contract, &unit.baseline),
                &view(&current_contract, &unit.current),
                &unit.rules,
            ),
        };
        let judgement = match (unit.stored, store) {
            (Some((missed, reused)), Some(store)) => {
                let partial = !reused.findings.is_empty() || !reused.acknowledged.is_empty();
                let (mut reported, own) = stored::split(judgement, &missed, partial);
                let entries = own.into_iter().flatten().zip(&missed);
                let entries = entries.map(|(j, g)| (g.key, stored::encode(&j).into()));
                store.put_all_in_background(entries.collect());
                merged |= partial;
                reported.findings.extend(reused.findings);
                reported.acknowledged.extend(reused.acknowledged);
                reported
            }
            _ => judgement,
        };
        all.findings.extend(judgement.findings);
        all.acknowledged.extend(judgement.acknowledged);
    }
    if merged {
        super::sort(&mut all.findings);
        all.acknowledged
            .sort_by(|a, b| super::order(&a.finding, &b.finding));
    }
    if units_len > 1 {
        // A finding two modules make is reported once.
        all.findings.dedup();
        all.acknowledged.dedup();
    }
    Ok(Judged {
        judgement: all,
        baseline: baseline_contract,
        current: current_contract,
        quoted: reused_sources,
    })
}

/// `names` and every file they import on either side, transitively.
fn with_imports(mut keep: BTreeSet<String>, sides: [&Outline; 2]) -> BTreeSet<String> {
    for side in sides {
        keep = side.with_imports(keep);
    }
    keep
}

/// `contract` reduced to `names`, without a copy when it holds nothing else.
fn view<'a>(contract: &'a Contract, names: &BTreeSet<String>) -> Cow<'a, Contract> {
    if contract.files.len() == names.len()
        && contract.files.iter().all(|f| names.contains(f.name()))
    {
        Cow::Borrowed(contract)
    } else {
        Cow::Owned(contract.subset(|f| names.contains(f.name())))
    }
}

/// The files of `side` under the module folder `prefix` (`orders/`) and everything they
/// import from the workspace, as buf judges a module. A descriptor set does not know the
/// folders: its files are placed where the current contract has them.
fn module_files(side: &Outline, current: &Outline, prefix: &str) -> BTreeSet<String> {
    let placed_by = if side.placed { side } else { current };
    let own: BTreeSet<String> = side
        .files
        .keys()
        .filter(|name| placed_by.path_of(name).starts_with(prefix))
        .cloned()
        .collect();
    side.with_imports(own)
}

//! The one judge of a loaded pair (`check` and `diff` both call it): as buf does, module by
//! module for a workspace with each module's own rules, decoding only what can differ.
//!
//! Each judged unit (the module root, or each workspace module with the files it imports) is
//! narrowed on its own, so a unit is judged on exactly the files that judging it whole could
//! report, and the findings are the same with or without narrowing.

use std::borrow::Cow;
use std::collections::BTreeSet;

use anyhow::Context;

use super::{judge, Judgement, RuleSet};
use crate::config::Config;
use crate::contract::{self, Contract, Loaded, Outline};

/// The outcome, and the two contracts as decoded (see [`Decode`]).
pub struct Judged {
    pub judgement: Judgement,
    pub baseline: Contract,
    pub current: Contract,
}

/// Which files of each side are decoded besides those judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// Only the files some unit judged.
    Judged,
    /// The whole current contract (consumers look beyond the comparison).
    WholeCurrent,
    /// Both contracts whole (`diff` shows every change, not only the judged ones).
    Whole,
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
    let (old, new) = (baseline.outline(), current.outline());
    let mut units = Vec::new();
    if config.modules.is_empty() {
        units.push(Unit {
            rules: root_rules(config)?,
            baseline: old.files.keys().cloned().collect(),
            current: new.files.keys().cloned().collect(),
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
    let wanted = |side: fn(&Unit) -> &BTreeSet<String>| -> BTreeSet<String> {
        units.iter().flat_map(|u| side(u).iter().cloned()).collect()
    };
    let baseline_files = wanted(|u| &u.baseline);
    let current_files = wanted(|u| &u.current);
    // The two sides decode on two cores.
    let (baseline_contract, current_contract) = std::thread::scope(|scope| {
        let old =
            scope.spawn(|| baseline.contract((decode != Decode::Whole).then_some(&baseline_files)));
        let new = current.contract((decode == Decode::Judged).then_some(&current_files));
        (old.join().expect("decoding a contract does not panic"), new)
    });
    let (baseline_contract, current_contract) = (baseline_contract?, current_contract?);

    let mut all = Judgement::default();
    for unit in &units {
        let judgement = judge(
            &view(&baseline_contract, &unit.baseline),
            &view(&current_contract, &unit.current),
            &unit.rules,
        );
        if units.len() == 1 {
            all = judgement;
            break;
        }
        all.findings.extend(judgement.findings);
        all.acknowledged.extend(judgement.acknowledged);
    }
    if units.len() > 1 {
        // A finding two modules make is reported once.
        super::sort(&mut all.findings);
        all.findings.dedup();
        all.acknowledged
            .sort_by(|a, b| super::order(&a.finding, &b.finding));
        all.acknowledged.dedup();
    }
    Ok(Judged {
        judgement: all,
        baseline: baseline_contract,
        current: current_contract,
    })
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
    let mut keep: BTreeSet<String> = side
        .files
        .keys()
        .filter(|name| placed_by.path_of(name).starts_with(prefix))
        .cloned()
        .collect();
    let mut queue: Vec<String> = keep.iter().cloned().collect();
    while let Some(name) = queue.pop() {
        for import in side
            .files
            .get(&name)
            .map(|f| &f.imports)
            .into_iter()
            .flatten()
        {
            if side.files.contains_key(import) && keep.insert(import.clone()) {
                queue.push(import.clone());
            }
        }
    }
    keep
}

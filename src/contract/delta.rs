//! Narrows a comparison to the files it can find something in, so that the cost of `check`
//! follows the change, not the size of the module.
//!
//! A file with the same fingerprint on both sides is the same compiled file with the same
//! imports, so every element it defines pairs with an identical one and no rule can report it.
//! What is kept: every file whose fingerprint differs or that exists on one side only; every
//! file of their packages, on both sides, because the PACKAGE rules judge whole packages and
//! point a deleted element at its surviving parent anywhere in the package; and what those
//! files import, so that each narrowed contract is whole. A changelog also needs every file
//! that may declare an event, as event subjects are checked across the whole contract.

use std::collections::BTreeSet;

use super::Outline;

/// The names of the files to compare (see the module's doc), or `None` when a side has a file
/// without a fingerprint (a descriptor set), which leaves nothing to go by.
pub fn narrow(baseline: &Outline, current: &Outline) -> Option<BTreeSet<String>> {
    narrow_with(baseline, current, false)
}

/// [`narrow`], and the files that may declare events on either side (with their imports):
/// what `diff` decodes, so that its changelog and its check of the events are those of the
/// whole contracts.
pub fn narrow_for_changelog(baseline: &Outline, current: &Outline) -> Option<BTreeSet<String>> {
    narrow_with(baseline, current, true)
}

fn narrow_with(
    baseline: &Outline,
    current: &Outline,
    with_events: bool,
) -> Option<BTreeSet<String>> {
    let sides = [baseline, current];
    if sides
        .iter()
        .any(|side| side.files.values().any(|f| f.fingerprint.is_none()))
    {
        return None;
    }
    let differs = |name: &str| {
        let old = baseline.files.get(name).and_then(|f| f.fingerprint);
        let new = current.files.get(name).and_then(|f| f.fingerprint);
        old.is_none() || old != new
    };
    let changed: BTreeSet<&str> = baseline
        .files
        .keys()
        .chain(current.files.keys())
        .map(String::as_str)
        .filter(|name| differs(name))
        .collect();
    let packages: BTreeSet<&str> = sides
        .iter()
        .flat_map(|side| &side.files)
        .filter(|(name, _)| changed.contains(name.as_str()))
        .map(|(_, f)| f.package.as_str())
        .collect();
    let mut keep: BTreeSet<String> = sides
        .iter()
        .flat_map(|side| &side.files)
        .filter(|(name, f)| {
            changed.contains(name.as_str())
                || packages.contains(f.package.as_str())
                || (with_events && f.events)
        })
        .map(|(name, _)| name.clone())
        .collect();
    for side in sides {
        let mut pending: Vec<String> = keep.iter().cloned().collect();
        while let Some(name) = pending.pop() {
            let Some(file) = side.files.get(&name) else {
                continue;
            };
            for import in &file.imports {
                if side.files.contains_key(import) && keep.insert(import.clone()) {
                    pending.push(import.clone());
                }
            }
        }
    }
    Some(keep)
}

//! Judgments that follow the change: the findings about each group of changed packages are
//! stored in the cache, keyed by everything they follow from, and reused until that changes.
//!
//! A group is a set of changed packages linked by the files that moved between them (a
//! finding about such a file names both). Its key covers the rules and, on both sides, the
//! name, place and fingerprint of each file of its packages; fingerprints cover imports,
//! transitively, so an unchanged key would be judged to the same findings again. A finding
//! belongs to the group of the packages of its files ([`Finding::packages`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use super::{Acknowledged, Finding, Judgement, Severity, RULES};
use crate::contract::{cache, Outline};

/// Changed packages judged together, and where their findings are stored.
pub struct Group {
    pub packages: BTreeSet<String>,
    pub key: cache::Key,
    /// The group's files on the baseline side and on the current side.
    pub baseline: BTreeSet<String>,
    pub current: BTreeSet<String>,
}

/// The groups of changed packages between `old` and `new` (one judged unit's files), keyed
/// with `rules` (the unit's rules, rendered); `None` when a side has a file without a
/// fingerprint (a descriptor set), which leaves nothing to key by.
pub fn groups(old: &Outline, new: &Outline, rules: &str) -> Option<Vec<Group>> {
    if [old, new]
        .iter()
        .any(|side| side.files.values().any(|f| f.fingerprint.is_none()))
    {
        return None;
    }
    // Union-find over package names: each changed file links its package on both sides.
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn root(parent: &mut BTreeMap<String, String>, package: &str) -> String {
        let mut at = package.to_string();
        loop {
            let up = parent
                .entry(at.clone())
                .or_insert_with(|| at.clone())
                .clone();
            if up == at {
                return at;
            }
            at = up;
        }
    }
    for name in old.files.keys().chain(new.files.keys()) {
        let (before, after) = (old.files.get(name), new.files.get(name));
        if before.map(|f| f.fingerprint) == after.map(|f| f.fingerprint) {
            continue;
        }
        let packages: Vec<&str> = [before, after]
            .into_iter()
            .flatten()
            .map(|f| f.package.as_str())
            .collect();
        let first = root(&mut parent, packages[0]);
        for package in &packages[1..] {
            let other = root(&mut parent, package);
            if other != first {
                parent.insert(other, first.clone());
            }
        }
    }
    let packages: Vec<String> = parent.keys().cloned().collect();
    let mut by_root: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for package in packages {
        let top = root(&mut parent, &package);
        by_root.entry(top).or_default().insert(package);
    }
    let groups = by_root
        .into_values()
        .map(|packages| {
            let files = |side: &Outline| -> BTreeSet<String> {
                side.files
                    .iter()
                    .filter(|(_, f)| packages.contains(&f.package))
                    .map(|(name, _)| name.clone())
                    .collect()
            };
            let (baseline, current) = (files(old), files(new));
            let mut parts: Vec<Vec<u8>> = vec![rules.as_bytes().to_vec()];
            for (tag, side, names) in [("baseline", old, &baseline), ("current", new, &current)] {
                parts.push(tag.as_bytes().to_vec());
                for name in names {
                    let file = &side.files[name];
                    parts.push(name.as_bytes().to_vec());
                    parts.push(file.path.as_bytes().to_vec());
                    parts.push(file.fingerprint.expect("checked above").to_vec());
                }
            }
            let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            Group {
                key: cache::key("judgment", &parts),
                packages,
                baseline,
                current,
            }
        })
        .collect();
    Some(groups)
}

/// Where a finding judged on a view of some groups belongs.
enum Belongs {
    Group(usize),
    /// Only packages outside the judged groups: a view holds part of them, so what it finds
    /// there may be wrong (their own judgment, stored or unchanged, is the right one).
    Outside,
    /// No package, or packages of two groups: kept, and nothing is stored this run.
    Unknown,
}

fn belongs(packages: &[String], groups: &[Group]) -> Belongs {
    let mut found = None;
    let mut outside = false;
    for package in packages {
        match groups.iter().position(|g| g.packages.contains(package)) {
            Some(i) if found.is_none_or(|f| f == i) => found = Some(i),
            Some(_) => return Belongs::Unknown,
            None => outside = true,
        }
    }
    match (found, outside) {
        (Some(i), false) => Belongs::Group(i),
        (None, true) => Belongs::Outside,
        _ => Belongs::Unknown,
    }
}

/// Splits a judgment of `groups` (and of whatever their view held besides) into each group's
/// own, and what the run reports. `partial` says whether other groups were reused, so the
/// view held only part of the comparison: findings outside the judged groups are then left
/// out. Returns the reported judgment and, when every finding belongs somewhere, the groups'.
pub fn split(
    judgement: Judgement,
    groups: &[Group],
    partial: bool,
) -> (Judgement, Option<Vec<Judgement>>) {
    let mut own: Vec<Judgement> = groups.iter().map(|_| Judgement::default()).collect();
    let mut reported = Judgement::default();
    let mut storable = true;
    for finding in judgement.findings {
        match belongs(&finding.packages, groups) {
            Belongs::Group(i) => own[i].findings.push(finding.clone()),
            Belongs::Outside if partial => continue,
            _ => storable = false,
        }
        reported.findings.push(finding);
    }
    for acknowledged in judgement.acknowledged {
        match belongs(&acknowledged.finding.packages, groups) {
            Belongs::Group(i) => own[i].acknowledged.push(acknowledged.clone()),
            Belongs::Outside if partial => continue,
            _ => storable = false,
        }
        reported.acknowledged.push(acknowledged);
    }
    (reported, storable.then_some(own))
}

pub fn encode(judgement: &Judgement) -> Vec<u8> {
    let finding = |f: &Finding| {
        json!([
            f.rule,
            f.path,
            f.line,
            f.column,
            f.message,
            f.element,
            f.severity == Severity::Warning,
            f.packages,
        ])
    };
    let value = json!({
        "findings": judgement.findings.iter().map(finding).collect::<Vec<_>>(),
        "acknowledged": judgement
            .acknowledged
            .iter()
            .map(|a| json!([finding(&a.finding), a.by, a.reason]))
            .collect::<Vec<_>>(),
    });
    serde_json::to_vec(&value).expect("plain data serializes")
}

/// The judgment stored by [`encode`]; `None` for anything else (a damaged entry is a miss).
pub fn decode(bytes: &[u8]) -> Option<Judgement> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    let finding = |v: &Value| -> Option<Finding> {
        let rule = v.get(0)?.as_str()?;
        Some(Finding {
            rule: RULES.iter().find(|r| r.id == rule)?.id,
            path: v.get(1)?.as_str()?.to_string(),
            line: u32::try_from(v.get(2)?.as_u64()?).ok()?,
            column: u32::try_from(v.get(3)?.as_u64()?).ok()?,
            message: v.get(4)?.as_str()?.to_string(),
            element: v.get(5)?.as_str()?.to_string(),
            severity: if v.get(6)?.as_bool()? {
                Severity::Warning
            } else {
                Severity::Error
            },
            packages: v
                .get(7)?
                .as_array()?
                .iter()
                .map(|p| p.as_str().map(str::to_string))
                .collect::<Option<_>>()?,
        })
    };
    let findings = value["findings"]
        .as_array()?
        .iter()
        .map(finding)
        .collect::<Option<_>>()?;
    let acknowledged = value["acknowledged"]
        .as_array()?
        .iter()
        .map(|a| {
            Some(Acknowledged {
                finding: finding(a.get(0)?)?,
                by: match a.get(1)?.as_str()? {
                    "proto comment" => "proto comment",
                    "protogen.toml" => "protogen.toml",
                    _ => return None,
                },
                reason: a.get(2)?.as_str()?.to_string(),
            })
        })
        .collect::<Option<_>>()?;
    Some(Judgement {
        findings,
        acknowledged,
    })
}

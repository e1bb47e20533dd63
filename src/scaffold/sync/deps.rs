//! The runtime's dependencies in the workspace's Cargo.toml, a file of the user's: entries the
//! runtime needs are added, entries still as protogen wrote them are updated, changed ones kept.

use std::collections::BTreeMap;

use anyhow::Context;

use super::owned::{Record, Released};
use super::workspace::Loaded;
use super::{read, Change, DepAction, Note, SyncPlan};
use crate::scaffold::model::Workspace;

const CARGO: &str = "Cargo.toml";

/// One `[workspace.dependencies]` entry as this protogen writes it: the comment above it and
/// the entry itself.
#[derive(Debug, Clone)]
pub(super) struct Wanted {
    pub comment: String,
    pub item: toml_edit::Item,
}

/// The `[workspace.dependencies]` of the workspace Cargo.toml this protogen writes, except the
/// workspace's own crates.
pub(super) fn template(
    cargo_toml: &str,
    ws: &Workspace,
) -> anyhow::Result<BTreeMap<String, Wanted>> {
    let doc: toml_edit::DocumentMut = cargo_toml
        .parse()
        .context("the workspace Cargo.toml template is not TOML")?;
    let table = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml_edit::Item::as_table_like)
        .context("the workspace Cargo.toml template has no [workspace.dependencies]")?;
    Ok(table
        .iter()
        .filter(|(name, _)| *name != ws.api_crate && *name != ws.client_crate)
        .map(|(name, item)| {
            let comment = table
                .get_key_value(name)
                .and_then(|(key, _)| key.leaf_decor().prefix().and_then(|p| p.as_str()))
                .unwrap_or("")
                .to_string();
            (
                name.to_string(),
                Wanted {
                    comment,
                    item: item.clone(),
                },
            )
        })
        .collect())
}

/// Plans the Cargo.toml edits: a missing entry is added (with protogen's comment), an entry
/// as protogen wrote it (recorded, or as a release wrote it in a workspace from before the
/// record) becomes this protogen's, an entry a person changed is kept and reported.
pub(super) fn plan(
    loaded: &Loaded,
    wanted: &BTreeMap<String, Wanted>,
    record: Option<&Record>,
    released: &Released,
    out: &mut SyncPlan,
) -> anyhow::Result<()> {
    let path = loaded.dir.join(CARGO);
    let text = read(&path)?;
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    let have: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let have = have
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .cloned();
    let (Some(have), Some(table)) = (
        have,
        doc.get_mut("workspace")
            .and_then(|w| w.get_mut("dependencies"))
            .and_then(toml_edit::Item::as_table_like_mut),
    ) else {
        // Restructured by hand: the crates name their versions themselves.
        return Ok(());
    };
    let mut changed = false;
    for (name, want) in wanted {
        let want_value = value_of(&want.item)?;
        let shown = show(&want.item);
        let Some(current) = have.get(name) else {
            table.insert(name, want.item.clone());
            if let Some(mut key) = table.key_mut(name) {
                key.leaf_decor_mut().set_prefix(want.comment.as_str());
            }
            changed = true;
            out.notes.push(Note::Dependency {
                name: name.clone(),
                action: DepAction::Added,
                wanted: shown,
                yours: None,
            });
            continue;
        };
        if *current == want_value {
            continue;
        }
        let protogens = match record {
            Some(record) => record.dependencies.get(name) == Some(current),
            None => released.dependencies.get(name).is_some_and(|values| {
                values
                    .iter()
                    .any(|v| parse_value(v).is_ok_and(|v| v == *current))
            }),
        };
        let yours = table.get(name).map(show);
        if protogens {
            let slot = table.get_mut(name).context("the entry vanished")?;
            let decor = slot.as_value().map(|v| v.decor().clone());
            *slot = want.item.clone();
            if let (Some(decor), Some(value)) = (decor, slot.as_value_mut()) {
                *value.decor_mut() = decor;
            }
            changed = true;
        }
        out.notes.push(Note::Dependency {
            name: name.clone(),
            action: if protogens {
                DepAction::Updated
            } else {
                DepAction::Kept
            },
            wanted: shown,
            yours,
        });
    }
    if loaded.workspace.editions {
        changed |= patch_compiler(&mut doc, out);
    }
    if changed {
        out.changes.push(Change {
            path: CARGO.to_string(),
            before: Some(text),
            after: Some(doc.to_string()),
        });
    }
    Ok(())
}

/// An editions contract compiles with protogen's patched protox-parse, protox and
/// prost-reflect (vendor/, among protogen's files): a workspace whose contract became editions
/// after `protogen new` gets their `[patch.crates-io]` entries, and `vendor` in the
/// workspace's `exclude`. Entries that are there already are the user's and kept.
fn patch_compiler(doc: &mut toml_edit::DocumentMut, out: &mut SyncPlan) -> bool {
    let mut changed = false;
    if let Some(workspace) = doc
        .get_mut("workspace")
        .and_then(toml_edit::Item::as_table_like_mut)
    {
        let exclude = workspace
            .entry("exclude")
            .or_insert_with(|| toml_edit::value(toml_edit::Array::new()));
        if let Some(list) = exclude.as_array_mut() {
            if !list.iter().any(|v| v.as_str() == Some("vendor")) {
                list.push("vendor");
                changed = true;
            }
        }
    }
    let patch = doc.entry("patch").or_insert_with(|| {
        let mut table = toml_edit::Table::new();
        table.set_implicit(true);
        toml_edit::Item::Table(table)
    });
    let Some(crates) = patch
        .as_table_like_mut()
        .map(|p| p.entry("crates-io").or_insert_with(toml_edit::table))
        .and_then(toml_edit::Item::as_table_like_mut)
    else {
        return changed; // restructured by hand
    };
    for name in crate::scaffold::PATCHED_CRATE_NAMES {
        if crates.contains_key(name) {
            continue;
        }
        let mut entry = toml_edit::InlineTable::new();
        entry.insert("path", format!("vendor/{name}").into());
        let item = toml_edit::value(entry);
        out.notes.push(Note::Patched {
            name: name.to_string(),
            entry: show(&item),
        });
        crates.insert(name, item);
        changed = true;
    }
    changed
}

/// An entry as one line: `{ version = "0.14", features = [...] }`.
pub(super) fn show(item: &toml_edit::Item) -> String {
    match item.as_value() {
        Some(value) => {
            let mut value = value.clone();
            value.decor_mut().clear();
            value.to_string()
        }
        None => item.to_string().trim().to_string(),
    }
}

/// An entry as a plain TOML value, to compare entries whatever their layout.
pub(super) fn value_of(item: &toml_edit::Item) -> anyhow::Result<toml::Value> {
    match item {
        toml_edit::Item::Table(table) => {
            let text = table.to_string();
            Ok(toml::Value::Table(
                toml::from_str(&text).context("a dependency table is not TOML")?,
            ))
        }
        _ => parse_value(&show(item)),
    }
}

fn parse_value(text: &str) -> anyhow::Result<toml::Value> {
    let table: toml::Table =
        toml::from_str(&format!("v = {text}")).context("a dependency entry is not TOML")?;
    table.get("v").cloned().context("no value")
}

//! Contract locks: each crate's protogen.lock is checked against the contract (and written
//! fresh with `--lock`); `protogen new` writes the first ones.

use std::collections::BTreeSet;

use anyhow::{bail, Context};

use super::workspace::{Loaded, CONFIG};
use super::{Change, Note, SyncPlan};
use crate::consumers::{reach::rpcs_of_services, EventName, Lock, Role, RpcName};
use crate::contract::Contract;
use crate::scaffold::model::{self, Service, Workspace};

/// Checks existing locks (and writes fresh ones with `--lock`).
pub(super) fn plan(
    loaded: &Loaded,
    added: &[&Service],
    refresh: bool,
    out: &mut SyncPlan,
) -> anyhow::Result<()> {
    let ws = &loaded.workspace;
    let present: BTreeSet<String> = ws.services.iter().map(|s| s.full_name.clone()).collect();
    let mut serves: Vec<String> = loaded
        .config
        .server
        .serves
        .iter()
        .filter(|s| present.contains(*s))
        .cloned()
        .collect();
    serves.extend(added.iter().map(|s| s.full_name.clone()));
    let producer = rpcs_of_services(&loaded.contract, &serves)?;
    let consumer = calls(loaded, &present, out)?;
    for (krate, role, rpcs, (received, sent)) in [
        (&ws.server_crate, Role::Producer, producer, event_names(ws)),
        (
            &ws.client_crate,
            Role::Consumer,
            consumer,
            Default::default(),
        ),
    ] {
        let file = format!("{krate}/{}", crate::consumers::lock::FILE_NAME);
        let path = loaded.dir.join(&file);
        let existing = match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if !refresh {
            // Without --lock a lock is only checked: it must parse and still make sense.
            let Some(text) = &existing else { continue };
            let old = Lock::parse(text, &path)?;
            let packages: BTreeSet<&str> =
                loaded.contract.files.iter().map(|f| f.package()).collect();
            if let Some(package) = old.packages().into_iter().find(|p| !packages.contains(p)) {
                bail!(
                    "{} names package {package}, which the contract no longer has; once {krate} is rebuilt against the current contract, run `protogen sync --lock` to refresh it",
                    path.display()
                );
            }
            let fresh =
                Lock::snapshot_with_events(&loaded.contract, krate, role, rpcs, received, sent)?;
            if fresh.hash != old.hash {
                out.notes.push(Note::LockBehind {
                    file,
                    locked: old.short_hash().to_string(),
                    current: fresh.short_hash().to_string(),
                });
            }
            continue;
        }
        let fresh =
            Lock::snapshot_with_events(&loaded.contract, krate, role, rpcs, received, sent)?;
        let text = fresh.render();
        let changed = existing.as_deref() != Some(text.as_str());
        out.notes.push(Note::LockWritten {
            file: file.clone(),
            role,
            rpcs: fresh.rpcs.len(),
            hash: fresh.short_hash().to_string(),
            changed,
        });
        if changed {
            out.changes.push(Change {
                path: file,
                before: existing,
                after: Some(text),
            });
        }
    }
    Ok(())
}

/// The server crate's events: those it subscribes to (received) and publishes (sent).
fn event_names(ws: &Workspace) -> (BTreeSet<EventName>, BTreeSet<EventName>) {
    let names = |events: Vec<&model::EventModel>| {
        events
            .into_iter()
            .map(|e| EventName {
                subject: e.subject.clone(),
                message: e.message.clone(),
            })
            .collect()
    };
    (names(ws.subscribed_events()), names(ws.published_events()))
}

/// The RPCs the client calls: `calls` entries are services or single RPCs.
fn calls(
    loaded: &Loaded,
    present: &BTreeSet<String>,
    out: &mut SyncPlan,
) -> anyhow::Result<BTreeSet<RpcName>> {
    let mut rpcs = BTreeSet::new();
    for entry in &loaded.config.client.calls {
        if entry.contains('/') {
            let rpc = RpcName::parse(entry)
                .with_context(|| format!("in `calls` of {}", loaded.dir.join(CONFIG).display()))?;
            let exists = rpcs_of_services(&loaded.contract, std::slice::from_ref(&rpc.service))
                .map(|all| all.contains(&rpc))
                .unwrap_or(false);
            if exists {
                rpcs.insert(rpc);
                continue;
            }
        } else if present.contains(entry) {
            rpcs.extend(rpcs_of_services(
                &loaded.contract,
                std::slice::from_ref(entry),
            )?);
            continue;
        }
        out.notes.push(Note::EntryGone {
            key: "client.calls".into(),
            entry: entry.clone(),
        });
    }
    Ok(rpcs)
}

/// The locks `protogen new` writes: the server produces every RPC of every service, the
/// client consumes them all (narrow `calls` in protogen.toml, then `protogen sync --lock`).
/// Paths are relative to the workspace.
pub fn initial_locks(contract: &Contract, ws: &Workspace) -> anyhow::Result<Vec<(String, String)>> {
    let services: Vec<String> = ws.services.iter().map(|s| s.full_name.clone()).collect();
    let rpcs = rpcs_of_services(contract, &services)?;
    let mut out = Vec::new();
    for (krate, role, (received, sent)) in [
        (&ws.server_crate, Role::Producer, event_names(ws)),
        (&ws.client_crate, Role::Consumer, Default::default()),
    ] {
        let lock = Lock::snapshot_with_events(contract, krate, role, rpcs.clone(), received, sent)?;
        out.push((
            format!("{krate}/{}", crate::consumers::lock::FILE_NAME),
            lock.render(),
        ));
    }
    Ok(out)
}

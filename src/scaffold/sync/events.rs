//! Events: the server's `subscribers.rs` gets a stub for each newly subscribed event (the api
//! crate's `events.rs` and Cargo.toml are protogen's files: owned.rs brings them along).

use std::collections::BTreeSet;

use anyhow::bail;

use super::workspace::Loaded;
use super::{edit, read, stubs::impl_items, Change, Note, SyncPlan};
use crate::scaffold::render;

/// Appends a stub to the server's `subscribers.rs` for each newly subscribed event.
pub(super) fn plan(loaded: &Loaded, out: &mut SyncPlan) -> anyhow::Result<()> {
    let ws = &loaded.workspace;
    if !ws.has_events() {
        return Ok(());
    }
    let file = format!("{}/src/subscribers.rs", ws.server_crate);
    let path = loaded.dir.join(&file);
    if !path.exists() {
        bail!(
            "{} is missing: the contract has events, but this workspace was made before it had any, or the file was removed. Restore it from version control, or write it as `protogen new` does (an `impl {}::events::Subscriber for Subscribers` block) and register it in the router with `.events({}::events::setup(subscribers::Subscribers::default()))`",
            path.display(),
            ws.api_ident,
            ws.api_ident
        );
    }
    let text = read(&path)?;
    let found = edit::inspect_handler(&text, &path.display().to_string(), "events", "Subscriber")?;
    let have: BTreeSet<&str> = found.methods.iter().map(|(m, _)| m.as_str()).collect();
    for (method, line) in &found.methods {
        if !ws.subscribed_events().iter().any(|e| e.handler == *method) {
            out.notes.push(Note::HandlerGone {
                file: file.clone(),
                line: *line,
                method: method.clone(),
                service: "`subscribes` in protogen.toml".into(),
            });
        }
    }
    let missing: Vec<String> = ws
        .subscribed_events()
        .iter()
        .filter(|e| !have.contains(e.handler.as_str()))
        .map(|e| e.subject.clone())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut only_missing = ws.clone();
    for event in &mut only_missing.events {
        event.subscribed = missing.contains(&event.subject);
    }
    let (_, rendered) = render::event_files(&only_missing)?;
    let stubs = impl_items(&rendered)?;
    let mut after = text[..found.insert_at].to_string();
    if !found.methods.is_empty() {
        after.push('\n');
    }
    after.push_str(&stubs);
    after.push_str(&text[found.insert_at..]);
    for event in only_missing.subscribed_events() {
        let offset = after[found.insert_at..]
            .find(&format!("async fn {}(", event.handler))
            .map_or(found.insert_at, |i| found.insert_at + i);
        out.notes.push(Note::StubAdded {
            file: file.clone(),
            line: after[..offset].matches('\n').count() + 1,
            route: format!("event {} ({})", event.subject, event.message),
        });
    }
    out.changes.push(Change {
        path: file,
        before: Some(text),
        after: Some(after),
    });
    Ok(())
}

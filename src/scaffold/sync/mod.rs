//! `protogen sync`: brings a scaffolded workspace along with its contract, adding stubs and
//! registrations and refreshing locks, without touching code a person wrote.

mod apply;
mod deps;
pub mod edit;
mod events;
mod locks;
pub mod owned;
mod stubs;
mod workspace;

use std::path::Path;

use anyhow::Context;

use crate::consumers::Role;
pub use apply::{apply, unified_diff};
pub use locks::initial_locks;
pub use workspace::{add_to_list, load, Loaded, CONFIG};

/// One file sync would write: its path relative to the workspace, and its text before
/// (`None` for a new file) and after (`None`: removed).
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What sync does to one of protogen's own files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OwnedAction {
    /// New in this protogen.
    Created,
    /// As protogen wrote it, now as this protogen writes it.
    Updated,
    /// Edited by hand, replaced with protogen's all the same (`--force`).
    Replaced,
    /// This protogen no longer writes it.
    Removed,
}

/// What sync does to an entry of `[workspace.dependencies]` in the workspace's Cargo.toml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepAction {
    /// The runtime needs it and it was missing.
    Added,
    /// It was as protogen wrote it; now as this protogen writes it.
    Updated,
    /// A person changed it: kept, though this protogen writes it otherwise.
    Kept,
}

/// What sync found or did, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A stub for `route` was appended to `file`, starting at `line`; for an event handler
    /// `route` reads `event SUBJECT (Message)`.
    StubAdded {
        file: String,
        line: usize,
        route: String,
    },
    /// A new service got its own handler file (with one stub per RPC) and its registration.
    ServiceAdded {
        file: String,
        service: String,
        stubs: usize,
    },
    /// A handler in `file` at `line` matches no RPC of its service (`service`) any more.
    HandlerGone {
        file: String,
        line: u32,
        method: String,
        service: String,
    },
    /// A handler file for a service the contract no longer has.
    ServiceGone { file: String, service: String },
    /// A lock written (or that would be written) by `--lock`.
    LockWritten {
        file: String,
        role: Role,
        rpcs: usize,
        hash: String,
        changed: bool,
    },
    /// A lock that is behind the contract; `--lock` would refresh it.
    LockBehind {
        file: String,
        locked: String,
        current: String,
    },
    /// An entry of protogen.toml's `serves` or `calls` that the contract no longer has.
    EntryGone { key: String, entry: String },
    /// One of protogen's files brought up to this protogen, with the lines it gains and loses.
    Owned {
        file: String,
        action: OwnedAction,
        added: usize,
        removed: usize,
    },
    /// A `[patch.crates-io]` entry added to the workspace's Cargo.toml: the contract has
    /// editions files, compiled with protogen's patched crates under vendor/.
    Patched { name: String, entry: String },
    /// A `[workspace.dependencies]` entry of the workspace's Cargo.toml: what this protogen
    /// writes, and what the file had.
    Dependency {
        name: String,
        action: DepAction,
        wanted: String,
        yours: Option<String>,
    },
}

/// Everything sync would do, decided before anything is written.
#[derive(Debug, Clone, Default)]
pub struct SyncPlan {
    pub changes: Vec<Change>,
    pub notes: Vec<Note>,
}

/// Decides what sync would change. Nothing is written; any file that cannot be edited
/// safely is an error naming it.
/// `force` replaces protogen's files even where a person edited them.
pub fn plan(loaded: &Loaded, refresh_locks: bool, force: bool) -> anyhow::Result<SyncPlan> {
    let mut out = SyncPlan::default();
    owned::plan(loaded, force, &mut out)?;
    let new_services = stubs::existing(loaded, &mut out)?;
    if !new_services.is_empty() {
        stubs::add_services(loaded, &new_services, &mut out)?;
    }
    events::plan(loaded, &mut out)?;
    locks::plan(loaded, &new_services, refresh_locks, &mut out)?;
    out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

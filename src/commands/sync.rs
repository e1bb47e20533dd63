//! `protogen sync`: plans the changes that bring a scaffolded workspace along with its
//! contract, then prints them as a diff (`--dry-run`) or writes them and says what it did.

use std::process::ExitCode;

use crate::cli::SyncArgs;
use crate::scaffold::sync::{self, DepAction, Note, OwnedAction};

pub fn run(args: SyncArgs) -> anyhow::Result<ExitCode> {
    let loaded = sync::load(&args.dir)?;
    let plan = sync::plan(&loaded, args.lock, args.force)?;
    if args.dry_run {
        print!("{}", sync::unified_diff(&plan));
    } else {
        sync::apply(&args.dir, &plan)?;
    }
    let verb = |done: &'static str, would: &'static str| if args.dry_run { would } else { done };
    let (crates, notes) = patched_crates(&plan.notes);
    let mut notes: Vec<&Note> = notes;
    notes.sort_by_key(|n| rank(n));
    let mut lines = Vec::new();
    for note in notes {
        lines.push(match note {
            Note::ServiceAdded {
                file,
                service,
                stubs,
            } => format!(
                "{} {file}: handlers for new service {service} ({stubs} stub{}), registered in the router",
                verb("created", "would create"),
                plural(*stubs)
            ),
            Note::StubAdded { file, line, route } => format!(
                "{} {file}:{line}: stub for new {}{route}",
                verb("added", "would add"),
                if route.starts_with("event ") { "" } else { "RPC " },
            ),
            Note::HandlerGone {
                file,
                line,
                method,
                service,
            } => format!(
                "gone    {file}:{line}: `{method}` matches no RPC of {service} any more; delete it (or move its logic) once nothing needs it"
            ),
            Note::ServiceGone { file, service } => format!(
                "gone    {file}: the contract no longer has {service}; delete the file and its registration"
            ),
            Note::EntryGone { key, entry } => format!(
                "gone    protogen.toml {key}: the contract no longer has {entry}; remove the entry"
            ),
            Note::LockWritten {
                file,
                role,
                rpcs,
                hash,
                changed,
            } => format!(
                "{} {file}: {role} of {rpcs} RPC{}, {hash}",
                if *changed {
                    verb("locked", "would lock")
                } else {
                    "locked (unchanged)"
                },
                plural(*rpcs)
            ),
            Note::Owned {
                file,
                action,
                added,
                removed,
            } => {
                let version = sync::owned::VERSION;
                match action {
                    OwnedAction::Created => format!(
                        "{} {file} (+{added}): new in protogen {version}",
                        verb("created", "would create")
                    ),
                    OwnedAction::Updated => format!(
                        "{} {file} (+{added} -{removed}): protogen's, now as protogen {version} writes it",
                        verb("updated", "would update")
                    ),
                    OwnedAction::Replaced => format!(
                        "{} {file} (+{added} -{removed}): protogen's, edited by hand; --force replaces the edits",
                        verb("replaced", "would replace")
                    ),
                    OwnedAction::Removed => format!(
                        "{} {file} (-{removed}): protogen {version} no longer writes it",
                        verb("removed", "would remove")
                    ),
                }
            }
            Note::Patched { name, entry } => format!(
                "{} Cargo.toml [patch.crates-io] {name} = {entry}: the contract has editions files",
                verb("added", "would add")
            ),
            Note::Dependency {
                name,
                action,
                wanted,
                yours,
            } => match action {
                DepAction::Added => format!(
                    "{} Cargo.toml [workspace.dependencies] {name} = {wanted}: the runtime needs it",
                    verb("added", "would add")
                ),
                DepAction::Updated => format!(
                    "{} Cargo.toml [workspace.dependencies] {name} = {wanted} (was {})",
                    verb("updated", "would update"),
                    yours.as_deref().unwrap_or("missing")
                ),
                DepAction::Kept => format!(
                    "kept    Cargo.toml [workspace.dependencies] {name} = {} (yours); protogen {} writes {wanted}: change it if the build fails",
                    yours.as_deref().unwrap_or("?"),
                    sync::owned::VERSION
                ),
            },
            Note::LockBehind {
                file,
                locked,
                current,
            } => format!(
                "behind  {file}: locked to {locked}, the contract is now {current}; run `protogen sync --lock` once this crate is rebuilt and deployed"
            ),
        });
    }
    for ((name, action), (files, added, removed)) in crates {
        let version = sync::owned::VERSION;
        let (done, would, why) = match action {
            OwnedAction::Created => ("created", "would create", "new in"),
            OwnedAction::Updated => ("updated", "would update", "now as"),
            OwnedAction::Replaced => ("replaced", "would replace", "edited by hand, replaced by"),
            OwnedAction::Removed => ("removed", "would remove", "no longer written by"),
        };
        lines.push(format!(
            "{} vendor/{name}/ ({files} file{}, +{added} -{removed}): the patched {name} of editions workspaces, {why} protogen {version}",
            verb(done, would),
            plural(files)
        ));
    }
    if plan.changes.is_empty() {
        lines.push(
            "nothing to change: the workspace is in step with the contract and this protogen"
                .to_string(),
        );
    } else if !args.dry_run
        && plan
            .notes
            .iter()
            .any(|n| matches!(n, Note::StubAdded { .. } | Note::ServiceAdded { .. }))
    {
        lines.push("next: `cargo build` names every new stub; write their bodies".to_string());
    }
    let recorded = plan.changes.iter().any(|c| c.path == sync::owned::RECORD);
    if recorded && !plan.notes.iter().any(|n| matches!(n, Note::Owned { .. })) {
        lines.push(format!(
            "{} {}: what protogen {} wrote here (commit it with the workspace)",
            verb("recorded", "would record"),
            sync::owned::RECORD,
            sync::owned::VERSION
        ));
    }
    if !args.dry_run && plan.notes.iter().any(|n| matches!(n, Note::Owned { .. })) {
        lines.push(format!(
            "protogen's files are now those of protogen {}: build and test, then commit them with {}",
            sync::owned::VERSION,
            sync::owned::RECORD
        ));
    }
    // With --dry-run stdout is the patch alone (`git apply` takes it); the report goes aside.
    for line in lines {
        if args.dry_run {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The notes on the files of an editions workspace's patched compiler crates, one line per
/// crate and action (files, lines added, removed), and the other notes.
#[allow(clippy::type_complexity)]
fn patched_crates(
    notes: &[Note],
) -> (
    std::collections::BTreeMap<(&'static str, OwnedAction), (usize, usize, usize)>,
    Vec<&Note>,
) {
    let mut crates = std::collections::BTreeMap::new();
    let mut others = Vec::new();
    for note in notes {
        let crate_of = |file: &str| {
            crate::scaffold::PATCHED_CRATE_NAMES
                .into_iter()
                .find(|name| file.starts_with(&format!("vendor/{name}/")))
        };
        match note {
            Note::Owned {
                file,
                action,
                added,
                removed,
            } if crate_of(file).is_some() => {
                let name = crate_of(file).unwrap_or_default();
                let entry = crates.entry((name, *action)).or_insert((0, 0, 0));
                *entry = (entry.0 + 1, entry.1 + added, entry.2 + removed);
            }
            note => others.push(note),
        }
    }
    (crates, others)
}

fn rank(note: &Note) -> u8 {
    match note {
        Note::ServiceAdded { .. } => 0,
        Note::StubAdded { .. } => 1,
        Note::HandlerGone { .. } | Note::ServiceGone { .. } | Note::EntryGone { .. } => 2,
        Note::LockWritten { .. } | Note::LockBehind { .. } => 3,
        Note::Owned { .. } => 4,
        Note::Dependency { .. } | Note::Patched { .. } => 5,
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

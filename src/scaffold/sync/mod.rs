//! `protogen sync`: brings a scaffolded workspace along with its contract, adding stubs and
//! registrations and refreshing locks, without touching code a person wrote.

pub mod edit;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use super::model::{self, Service, Workspace};
use crate::consumers::{reach::rpcs_of_services, EventName, Lock, Role, RpcName};
use crate::contract::{self, Contract, LoadOptions, Side, Source};

/// One file sync would write: its path relative to the workspace, and its text before
/// (`None` for a new file) and after.
#[derive(Debug, Clone)]
pub struct Change {
    pub path: String,
    pub before: Option<String>,
    pub after: String,
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
}

/// Everything sync would do, decided before anything is written.
#[derive(Debug, Clone, Default)]
pub struct SyncPlan {
    pub changes: Vec<Change>,
    pub notes: Vec<Note>,
}

/// The parts of the workspace's protogen.toml that sync reads.
#[derive(Debug, Deserialize)]
struct WorkspaceToml {
    contract: ContractToml,
    api: CrateToml,
    server: ServerToml,
    client: ClientToml,
    #[serde(default)]
    events: EventsToml,
}

/// `[events]`: subjects of the contract's events (`// protogen:event SUBJECT`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsToml {
    #[serde(default)]
    publishes: Vec<String>,
    #[serde(default)]
    subscribes: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ContractToml {
    root: String,
    #[serde(default)]
    files: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct CrateToml {
    #[serde(rename = "crate")]
    name: String,
}

#[derive(Debug, Deserialize)]
struct ServerToml {
    #[serde(rename = "crate")]
    name: String,
    #[serde(default)]
    serves: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ClientToml {
    #[serde(rename = "crate")]
    name: String,
    /// Services (`users.v1.UsersService`: every RPC of it) or single RPCs
    /// (`users.v1.UsersService/FindOne`).
    #[serde(default)]
    calls: Vec<String>,
}

const CONFIG: &str = "protogen.toml";

/// A scaffolded workspace as sync sees it.
pub struct Loaded {
    pub dir: PathBuf,
    config: WorkspaceToml,
    config_text: String,
    pub contract: Contract,
    /// The services of the contract, modelled the way `protogen new` models them.
    pub workspace: Workspace,
}

/// Reads `dir/protogen.toml` and compiles the contract it points at.
pub fn load(dir: &Path) -> anyhow::Result<Loaded> {
    let config_path = dir.join(CONFIG);
    let config_text = std::fs::read_to_string(&config_path).with_context(|| {
        format!(
            "cannot read {}: run `protogen sync` in a workspace made by `protogen new` (or pass its folder)",
            config_path.display()
        )
    })?;
    let config: WorkspaceToml = toml::from_str(&config_text).with_context(|| {
        format!(
            "{} is not a workspace configuration written by `protogen new` (it needs [contract], [api], [server] and [client]); restore it from version control",
            config_path.display()
        )
    })?;
    let root = dir.join(&config.contract.root);
    let contract = if config.contract.files.is_empty() {
        contract::load(
            &Source::Dir(root.clone()),
            Side::Current,
            &LoadOptions::default(),
        )?
    } else {
        contract::compile_files(&root, &config.contract.files).with_context(|| {
            format!(
                "the contract named in {} could not be compiled",
                config_path.display()
            )
        })?
    };
    let named: Vec<_> = contract
        .files
        .iter()
        .filter(|f| {
            config.contract.files.is_empty() || config.contract.files.iter().any(|n| n == f.name())
        })
        .collect();
    let services = model::services(&named);
    let name = config
        .api
        .name
        .strip_suffix("-api")
        .unwrap_or(&config.api.name)
        .to_string();
    let ident = |krate: &str| krate.replace('-', "_");
    let mut workspace = Workspace {
        name: name.clone(),
        api_crate: config.api.name.clone(),
        server_crate: config.server.name.clone(),
        client_crate: config.client.name.clone(),
        api_ident: ident(&config.api.name),
        server_ident: ident(&config.server.name),
        client_ident: ident(&config.client.name),
        addr_env: format!(
            "{}_ADDR",
            heck::ToShoutySnakeCase::to_shouty_snake_case(name.as_str())
        ),
        command: "protogen sync".to_string(),
        contract_root: config.contract.root.clone(),
        contract_files: config.contract.files.clone(),
        vendored: false,
        services,
        has_runtime: dir
            .join(&config.api.name)
            .join("src/runtime/mod.rs")
            .is_file(),
        // sync renders no file that depends on it (only new handlers and stubs).
        has_validation: false,
        events: Vec::new(),
    };
    let declared = crate::contract::events::events(&contract)?;
    check_subjects(&declared, &config.events, &config_text, &config_path)?;
    workspace.events = model::events(
        &declared,
        &config.events.publishes,
        &config.events.subscribes,
    );
    workspace.resolve_types();
    Ok(Loaded {
        dir: dir.to_path_buf(),
        config,
        config_text,
        contract,
        workspace,
    })
}

/// Decides what sync would change. Nothing is written; any file that cannot be edited
/// safely is an error naming it.
pub fn plan(loaded: &Loaded, refresh_locks: bool) -> anyhow::Result<SyncPlan> {
    let mut out = SyncPlan::default();
    let ws = &loaded.workspace;
    let server = &ws.server_crate;
    let handlers_dir = format!("{server}/src/handlers");
    let served: BTreeSet<&str> = loaded
        .config
        .server
        .serves
        .iter()
        .map(String::as_str)
        .collect();
    let mut new_services: Vec<&Service> = Vec::new();

    for service in &ws.services {
        let file = format!("{handlers_dir}/{}", service.handler_file);
        let path = loaded.dir.join(&file);
        if !path.exists() {
            if served.contains(service.full_name.as_str()) {
                bail!(
                    "{} is missing, but protogen.toml says {server} serves {}; restore the file from version control, or remove the service from `serves` in protogen.toml to have sync write a fresh one",
                    path.display(),
                    service.full_name
                );
            }
            new_services.push(service);
            continue;
        }
        let text = read(&path)?;
        let found = edit::inspect_handler(
            &text,
            &path.display().to_string(),
            &service.server_module,
            &service.trait_name,
        )?;
        let have: BTreeSet<&str> = found.methods.iter().map(|(m, _)| m.as_str()).collect();
        let missing: Vec<_> = service
            .rpcs
            .iter()
            .filter(|r| !have.contains(unraw(&r.method)))
            .cloned()
            .collect();
        for (method, line) in &found.methods {
            if !service.rpcs.iter().any(|r| unraw(&r.method) == method) {
                out.notes.push(Note::HandlerGone {
                    file: file.clone(),
                    line: *line,
                    method: method.clone(),
                    service: service.full_name.clone(),
                });
            }
        }
        if missing.is_empty() {
            continue;
        }
        let only_missing = Service {
            rpcs: missing,
            ..service.clone()
        };
        let mut stubs = stub_items(ws, &only_missing)?;
        if !found.imports_streaming {
            stubs = stubs.replace("Request<Streaming<", "Request<tonic::Streaming<");
        }
        let mut after = text[..found.insert_at].to_string();
        after.push('\n');
        after.push_str(&stubs);
        after.push_str(&text[found.insert_at..]);
        for rpc in &only_missing.rpcs {
            let offset = after[found.insert_at..]
                .find(&format!("async fn {}(", rpc.method))
                .map_or(found.insert_at, |i| found.insert_at + i);
            out.notes.push(Note::StubAdded {
                file: file.clone(),
                line: after[..offset].matches('\n').count() + 1,
                route: rpc.route.clone(),
            });
        }
        out.changes.push(Change {
            path: file,
            before: Some(text),
            after,
        });
    }

    let contract_services: BTreeSet<&str> =
        ws.services.iter().map(|s| s.full_name.as_str()).collect();
    for gone in served.iter().filter(|s| !contract_services.contains(**s)) {
        // Where `protogen new` put its handlers: the service's full name in snake case.
        let module = heck::ToSnakeCase::to_snake_case(gone.replace('.', "_").as_str());
        let file = format!("{handlers_dir}/{module}.rs");
        if loaded.dir.join(&file).exists() {
            out.notes.push(Note::ServiceGone {
                file,
                service: gone.to_string(),
            });
        }
        out.notes.push(Note::EntryGone {
            key: "server.serves".into(),
            entry: gone.to_string(),
        });
    }

    if !new_services.is_empty() {
        add_services(loaded, &new_services, &mut out)?;
    }
    events(loaded, &mut out)?;
    locks(loaded, &new_services, refresh_locks, &mut out)?;
    out.changes.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// Every subject in `[events]` must be an event of the contract; each one that is not is
/// named with its line in protogen.toml.
fn check_subjects(
    declared: &[crate::contract::events::Event],
    events: &EventsToml,
    text: &str,
    path: &Path,
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for (key, listed) in [
        ("publishes", &events.publishes),
        ("subscribes", &events.subscribes),
    ] {
        for subject in listed {
            if crate::contract::events::find(declared, subject).is_none() {
                let quoted = format!("\"{subject}\"");
                let line = text
                    .lines()
                    .position(|l| l.contains(&quoted))
                    .map_or(0, |i| i + 1);
                let known: Vec<&str> = declared.iter().map(|e| e.subject.as_str()).collect();
                problems.push(format!(
                    "{}:{line}: `{key}` lists {subject}, which no message of the contract declares (`// protogen:event {subject}`); declared: {}",
                    path.display(),
                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!(
            "unknown event subject in [events]:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}

/// Events: rewrites the api crate's `events.rs` (and its Cargo.toml, whose `events` feature
/// follows the contract) when they are behind, and appends a stub to the server's
/// `subscribers.rs` for each newly subscribed event.
fn events(loaded: &Loaded, out: &mut SyncPlan) -> anyhow::Result<()> {
    let ws = &loaded.workspace;
    if !ws.has_events() {
        return Ok(());
    }
    let (api_events, _) = super::render::event_files(ws).context("cannot render the events")?;
    let api_cargo = super::render::api_cargo_toml(ws).context("cannot render the api crate")?;
    for (file, text) in [
        (format!("{}/src/events.rs", ws.api_crate), api_events),
        (format!("{}/Cargo.toml", ws.api_crate), api_cargo),
    ] {
        let existing = std::fs::read_to_string(loaded.dir.join(&file)).ok();
        // The header names the command that wrote it; only the rest counts.
        let body = |t: &str| {
            t.split_once('\n')
                .map_or(String::new(), |(_, rest)| rest.to_string())
        };
        if existing.as_deref().map(body) != Some(body(&text)) {
            out.changes.push(Change {
                path: file,
                before: existing,
                after: text,
            });
        }
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
    let (_, rendered) = super::render::event_files(&only_missing)?;
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
        after,
    });
    Ok(())
}

fn unraw(method: &str) -> &str {
    method.trim_start_matches("r#")
}

/// The items of a handler's `impl` block for `service`'s RPCs, as `protogen new` renders them.
fn stub_items(ws: &Workspace, service: &Service) -> anyhow::Result<String> {
    let file = super::render::handler_file(ws, service).context("cannot render the stubs")?;
    impl_items(&file)
}

/// The items of the one `impl` block of a rendered file, up to its closing brace.
fn impl_items(file: &str) -> anyhow::Result<String> {
    let start = file
        .find("\nimpl ")
        .and_then(|i| file[i..].find("{\n").map(|j| i + j + 2))
        .context("the handler template has no impl block")?;
    let end = file
        .rfind("\n}")
        .context("the handler template has no impl block")?
        + 1;
    Ok(file[start..end].to_string())
}

/// New services: a handler file each, a module in handlers/mod.rs, a registration in the
/// router, and an entry in `serves`.
fn add_services(loaded: &Loaded, services: &[&Service], out: &mut SyncPlan) -> anyhow::Result<()> {
    let ws = &loaded.workspace;
    let server = &ws.server_crate;
    let mod_file = format!("{server}/src/handlers/mod.rs");
    let mod_path = loaded.dir.join(&mod_file);
    let mod_before = read(&mod_path)?;
    let mut mod_after = mod_before.clone();
    let lib_file = format!("{server}/src/lib.rs");
    let lib_path = loaded.dir.join(&lib_file);
    let lib_before = read(&lib_path)?;
    let (at, indent) = edit::registration_point(&lib_before, &lib_path.display().to_string())?;
    let mut registrations = String::new();
    let mut config_after = loaded.config_text.clone();
    for service in services {
        let file = format!("{server}/src/handlers/{}", service.handler_file);
        out.changes.push(Change {
            path: file.clone(),
            before: None,
            after: ends_with_newline(super::render::handler_file(ws, service)?),
        });
        out.notes.push(Note::ServiceAdded {
            file,
            service: service.full_name.clone(),
            stubs: service.rpcs.len(),
        });
        if !mod_after.ends_with('\n') {
            mod_after.push('\n');
        }
        mod_after.push_str(&format!(
            "\n/// `{}` ({})\npub mod {};\n",
            service.full_name, service.file, service.handler_module
        ));
        registrations.push_str(&format!(
            "\n{indent}.add_service({}::{}::{}Server::new(\n{indent}    handlers::{}::{}::default(),\n{indent}))",
            service.package_in(&ws.api_ident),
            service.server_module,
            service.trait_name,
            service.handler_module,
            service.handler_struct
        ));
        config_after =
            add_to_list(&config_after, "serves", &service.full_name).with_context(|| {
                format!(
                    "cannot add {} to `serves` in {}",
                    service.full_name,
                    loaded.dir.join(CONFIG).display()
                )
            })?;
    }
    let mut lib_after = lib_before.clone();
    lib_after.insert_str(at, &registrations);
    out.changes.push(Change {
        path: mod_file,
        before: Some(mod_before),
        after: mod_after,
    });
    out.changes.push(Change {
        path: lib_file,
        before: Some(lib_before),
        after: lib_after,
    });
    out.changes.push(Change {
        path: CONFIG.to_string(),
        before: Some(loaded.config_text.clone()),
        after: config_after,
    });
    Ok(())
}

/// Adds `"entry",` as the last item of the multi-line array `key = [ … ]`.
fn add_to_list(text: &str, key: &str, entry: &str) -> anyhow::Result<String> {
    let start = text
        .find(&format!("\n{key} = ["))
        .with_context(|| format!("no `{key} = [` list"))?;
    let close = text[start..]
        .find("\n]")
        .map(|i| start + i + 1)
        .with_context(|| format!("the `{key}` list is not closed on its own line"))?;
    let mut out = text.to_string();
    out.insert_str(close, &format!("    \"{entry}\",\n"));
    Ok(out)
}

/// Checks existing locks (and writes fresh ones with `--lock`).
fn locks(
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
                after: text,
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

/// Writes every change. Each file goes to a temporary sibling first and is renamed into
/// place only once all of them are written, so a failure leaves the workspace as it was.
pub fn apply(dir: &Path, plan: &SyncPlan) -> anyhow::Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for change in &plan.changes {
            let target = dir.join(&change.path);
            if change.before.is_none() && target.exists() {
                bail!(
                    "{} appeared while sync ran; nothing was changed, run it again",
                    target.display()
                );
            }
            // A person may have saved the file since it was read: never write over that.
            if let Some(before) = &change.before {
                if std::fs::read_to_string(&target).ok().as_ref() != Some(before) {
                    bail!(
                        "{} changed while sync ran; nothing was changed, run it again",
                        target.display()
                    );
                }
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let temp = target.with_extension("protogen-sync.tmp");
            std::fs::write(&temp, &change.after)
                .with_context(|| format!("cannot write {}", temp.display()))?;
            staged.push((temp, target));
        }
        Ok(())
    })();
    if let Err(error) = result {
        for (temp, _) in &staged {
            let _ = std::fs::remove_file(temp);
        }
        return Err(error);
    }
    for (temp, target) in &staged {
        std::fs::rename(temp, target)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

/// The changes as a unified diff (`--dry-run`), paths relative to the workspace.
pub fn unified_diff(plan: &SyncPlan) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let before = change.before.as_deref().unwrap_or("");
        let old_name = if change.before.is_some() {
            format!("a/{}", change.path)
        } else {
            "/dev/null".to_string()
        };
        let diff = similar::TextDiff::from_lines(before, &change.after);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &format!("b/{}", change.path))
                .to_string(),
        );
    }
    out
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn ends_with_newline(text: String) -> String {
    let mut text = text.trim_end().to_string();
    text.push('\n');
    text
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

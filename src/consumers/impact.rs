//! Judges the current contract against each consumer's lock: which changes a deployed
//! consumer would feel (and through which RPC), and why the others are safe for it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::lock::{Lock, Role, FILE_NAME};
use super::reach::{reach_with_events, Direction, Reach, RpcName};
pub use super::verdict::{Break, ConsumerSection, Unobserved, Verdict};
use crate::compat::{self, Finding, RuleSet, Severity};
use crate::contract::{Contract, Model};

/// A lock found on disk.
#[derive(Debug, Clone)]
pub struct LockFile {
    /// As found (relative to where the search started, or as the glob matched it).
    pub path: PathBuf,
    pub lock: Lock,
}

/// Finds lock files: those matching `pattern` when given (relative to the current folder),
/// else the locks of the workspaces built from the contract at `root` (see [`discover`]).
pub fn find_locks(root: &Path, pattern: Option<&str>) -> anyhow::Result<Vec<LockFile>> {
    let mut paths = Vec::new();
    if let Some(pattern) = pattern {
        let matches = glob::glob(pattern)
            .with_context(|| format!("--consumers '{pattern}' is not a valid glob"))?;
        for path in matches {
            let path = path.with_context(|| format!("cannot read a match of '{pattern}'"))?;
            let path = if path.is_dir() {
                path.join(FILE_NAME)
            } else {
                path
            };
            if path.is_file() {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            bail!("--consumers '{pattern}' matches no lock file; point it at protogen.lock files (e.g. 'services/*/protogen.lock') or crate folders holding one");
        }
    } else {
        paths = discover(root)?;
    }
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|path| {
            let lock = Lock::read(&path)?;
            Ok(LockFile { path, lock })
        })
        .collect()
}

/// The locks of the workspaces built from the contract at `root`: every `protogen.lock` in
/// the git repository around `root` (or under `root` outside git), skipping hidden folders,
/// `target` and `node_modules`, whose workspace's protogen.toml names `root` as its contract
/// root; a lock with no such workspace counts when it lies under `root`. Locks of other
/// contracts in the same repository are left alone.
fn discover(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let module = root
        .canonicalize()
        .with_context(|| format!("cannot read {}", root.display()))?;
    let top = module
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .unwrap_or(&module)
        .to_path_buf();
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(&top)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            e.depth() == 0 || !(name.starts_with('.') || name == "target" || name == "node_modules")
        });
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot read {}", top.display()))?;
        if !entry.file_type().is_file() || entry.file_name() != FILE_NAME {
            continue;
        }
        let found = entry.path();
        let belongs = match workspace_contract_root(found) {
            Some(contract_root) => contract_root == module,
            None => found.starts_with(&module),
        };
        if belongs {
            // Show it relative to where the search started from the user's point of view.
            let shown = found
                .strip_prefix(&top)
                .map(|rel| relative_to_cwd(&top).join(rel))
                .unwrap_or_else(|_| found.to_path_buf());
            out.push(shown);
        }
    }
    Ok(out)
}

/// `WS/CRATE/protogen.lock` → the contract root named by `WS/protogen.toml`, canonical.
fn workspace_contract_root(lock: &Path) -> Option<PathBuf> {
    let workspace = lock.parent()?.parent()?;
    let text = std::fs::read_to_string(workspace.join("protogen.toml")).ok()?;
    let value: toml::Value = toml::from_str(&text).ok()?;
    let root = value.get("contract")?.get("root")?.as_str()?;
    workspace.join(root).canonicalize().ok()
}

/// `dir` as a path relative to the current folder when it lies under it, else as is.
fn relative_to_cwd(dir: &Path) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| cwd.canonicalize().ok())
        .and_then(|cwd| dir.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| dir.to_path_buf())
}

/// Why a consumer without breaks is safe, in one line (naming at most three elements).
pub(crate) fn safe_reason(rpcs: usize, events: usize, unobserved: &[Unobserved]) -> String {
    const NAMED: usize = 3;
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let what = match (rpcs, events) {
        (_, 0) => format!("its {}", plural(rpcs, "RPC")),
        (0, _) => format!("the {} it receives", plural(events, "event")),
        _ => format!(
            "its {} and the {} it receives",
            plural(rpcs, "RPC"),
            plural(events, "event")
        ),
    };
    let observed = format!(
        "nothing that {what} observe{} changed incompatibly",
        if rpcs + events == 1 { "s" } else { "" },
    );
    let elements: BTreeSet<&str> = unobserved.iter().map(|u| u.element.as_str()).collect();
    if elements.is_empty() {
        return observed;
    }
    let named: Vec<&str> = elements.iter().take(NAMED).copied().collect();
    let listed = match (named.as_slice(), elements.len() - named.len()) {
        ([one], 0) => one.to_string(),
        ([init @ .., last], 0) => format!("{} and {last}", init.join(", ")),
        (_, more) => format!("{} and {more} more", named.join(", ")),
    };
    let reasons: BTreeSet<&str> = unobserved.iter().map(|u| u.reason.as_str()).collect();
    format!(
        "{observed}; the breaking change{} to {listed} {} not reach it ({})",
        if unobserved.len() == 1 { "" } else { "s" },
        if unobserved.len() == 1 { "does" } else { "do" },
        reasons.into_iter().collect::<Vec<_>>().join("; "),
    )
}

/// Judges `current` against one consumer lock. `check(baseline, current)` runs the
/// consumer rules (WIRE_JSON unless configured); `contract_findings` are the breaking
/// changes against the ordinary baseline, sorted into "observed" and "not observed".
///
/// Errors (bad input, exit 2) when every RPC of a package the lock names is gone with
/// the package: the lock no longer describes this contract.
pub fn assess(
    lock_file: &LockFile,
    current: &Contract,
    contract_findings: &[Finding],
    check: impl Fn(&Contract, &Contract) -> Vec<Finding>,
) -> anyhow::Result<Verdict> {
    let lock = &lock_file.lock;
    let lock_path = lock_file.path.display().to_string();
    let current_packages: BTreeSet<&str> = current.files.iter().map(|f| f.package()).collect();
    let judged_packages = if lock.role == Role::Consumer {
        lock.packages()
    } else {
        BTreeSet::new()
    };
    for package in judged_packages {
        if !current_packages.contains(package) {
            bail!(
                "{lock_path} ({}) calls RPCs of package {package}, which the current contract no longer has. If the package was renamed or moved, rebuild the consumer against it and run `protogen sync --lock`; if the consumer is retired, delete its lock (or leave it out with --consumers)",
                lock.crate_name
            );
        }
    }
    let snapshot = lock.contract(format!("lock {lock_path}"));
    // A consumer is judged on the RPCs it calls, a subscriber on the events it receives (a
    // server's own RPCs are guarded by the ordinary check).
    let rpcs = if lock.role == Role::Consumer {
        lock.rpcs.clone()
    } else {
        BTreeSet::new()
    };
    let received: Vec<_> = lock
        .events()
        .into_iter()
        .filter(|(direction, _)| *direction == Direction::Received)
        .collect();
    let observed = reach_with_events(&snapshot, &rpcs, &received)
        .with_context(|| format!("{lock_path} does not hold the RPCs and events it names: regenerate it with `protogen sync --lock`"))?;
    let before = Model::new(&snapshot);
    let now = Model::new(current);

    let mut grouped: BTreeMap<String, Break> = BTreeMap::new();
    if !received.is_empty() {
        let declared = crate::contract::events::events(current)
            .context("the current contract's events could not be read")?;
        for (_, event) in &received {
            let now = crate::contract::events::find(&declared, &event.subject);
            if now.is_some_and(|now| now.message == event.message) {
                continue;
            }
            let summary = match now {
                Some(now) => format!(
                    "subject {} now carries {} instead of {}",
                    event.subject, now.message, event.message
                ),
                None => format!(
                    "no message of the contract is declared on subject {} any more (`// protogen:event {}` was on {})",
                    event.subject, event.subject, event.message
                ),
            };
            let (path, line) = now.map_or((String::new(), 0), |e| (e.file.clone(), e.line));
            grouped.insert(
                event.message.clone(),
                Break {
                    rules: vec!["EVENT_SAME_SUBJECT".to_string()],
                    element: event.message.clone(),
                    summary,
                    reached_through: format!("received on subject {}", event.subject),
                    path,
                    line,
                    column: if line > 0 { 1 } else { 0 },
                },
            );
        }
    }
    for rpc in &rpcs {
        if !has_rpc(&now, rpc) {
            let (path, line, column) = service_location(&now, rpc);
            grouped.insert(
                rpc.element(),
                Break {
                    rules: vec!["RPC_NO_DELETE".to_string()],
                    element: rpc.element(),
                    summary: format!("{} was deleted", rpc.element()),
                    reached_through: format!("{} itself", rpc.short()),
                    path,
                    line,
                    column,
                },
            );
        }
    }
    for finding in check(&snapshot, current) {
        let Some(route) = route_of(&before, &observed, &finding.element) else {
            continue; // an enclosing shell, not something the consumer reads
        };
        let entry = grouped
            .entry(finding.element.clone())
            .or_insert_with(|| Break {
                rules: Vec::new(),
                element: finding.element.clone(),
                summary: summarize(&finding, &before, &now),
                reached_through: route.to_string(),
                path: finding.path.clone(),
                line: finding.line,
                column: finding.column,
            });
        if !entry.rules.iter().any(|r| r == finding.rule) {
            entry.rules.push(finding.rule.to_string());
        }
    }
    let mut breaks: Vec<Break> = grouped.into_values().collect();
    breaks.sort_by(|a, b| {
        (&a.path, a.line, a.column, &a.element).cmp(&(&b.path, b.line, b.column, &b.element))
    });

    let unobserved = contract_findings
        .iter()
        .filter(|f| route_of(&before, &observed, &f.element).is_none())
        .map(|f| Unobserved {
            rule: f.rule.to_string(),
            element: f.element.clone(),
            reason: unobserved_reason(&f.element, &now),
        })
        .collect::<Vec<_>>();
    let reason = if breaks.is_empty() {
        safe_reason(rpcs.len(), received.len(), &unobserved)
    } else {
        String::new()
    };
    Ok(Verdict {
        crate_name: lock.crate_name.clone(),
        lock: lock_path,
        hash: lock.short_hash().to_string(),
        status: if breaks.is_empty() { "safe" } else { "breaks" },
        rpcs: rpcs.iter().map(|r| r.to_string()).collect(),
        events: received.iter().map(|(_, e)| e.subject.clone()).collect(),
        breaks,
        unobserved,
        reason,
    })
}

/// How the consumer reaches the element a finding is about: the element itself, one of its
/// enclosing elements, or, for file-level findings (whose element is a file name), the first
/// RPC or type it observes in that file. `None` when it does not observe it.
fn route_of<'a>(snapshot: &Model, observed: &'a Reach, element: &str) -> Option<&'a super::Route> {
    let Some(&file) = snapshot.file_by_name.get(element) else {
        return observed.route(element);
    };
    // Declaration order within the file: RPCs, then messages, then enums.
    let rpcs = snapshot
        .services
        .iter()
        .enumerate()
        .filter(|(_, s)| s.file == file)
        .flat_map(|(i, _)| snapshot.rpcs(i).map(|r| r.full_name));
    let top_level = |parent: Option<usize>, f: usize| parent.is_none() && f == file;
    let messages = snapshot
        .messages
        .iter()
        .filter(|m| top_level(m.parent, m.file))
        .map(|m| m.full_name.clone());
    let enums = snapshot
        .enums
        .iter()
        .filter(|e| top_level(e.parent, e.file))
        .map(|e| e.full_name.clone());
    rpcs.chain(messages)
        .chain(enums)
        .find_map(|name| observed.elements.get(&name))
}

/// Why a breaking change does not reach the consumer: it is about an RPC (or a service) it
/// does not call, or about something none of its RPCs reaches.
fn unobserved_reason(element: &str, current: &Model) -> String {
    let is_service_or_rpc = current.service(element).is_some()
        || element
            .rsplit_once('.')
            .is_some_and(|(service, _)| current.service(service).is_some());
    if is_service_or_rpc {
        "not an RPC it calls".to_string()
    } else {
        "not reached from the RPCs it calls".to_string()
    }
}

fn has_rpc(current: &Model, rpc: &RpcName) -> bool {
    current
        .service(&rpc.service)
        .is_some_and(|s| s.desc.method.iter().any(|m| m.name() == rpc.method))
}

/// Where buf points for a deleted RPC: the surviving service, else the package's first file.
fn service_location(current: &Model, rpc: &RpcName) -> (String, u32, u32) {
    if let Some(service) = current.service(&rpc.service) {
        let span = current.span(service.file, &service.path);
        return (
            current.files[service.file].name.to_string(),
            span.map_or(0, |s| s.line),
            span.map_or(0, |s| s.column),
        );
    }
    let file = current
        .packages
        .get(rpc.package())
        .and_then(|files| files.first());
    (
        file.map_or(String::new(), |&f| current.files[f].name.to_string()),
        1,
        1,
    )
}

/// `users.v1.User.role (field 4) changed type string -> int32`, from the descriptors on
/// both sides where the finding is about a field; the rule's own message otherwise.
fn summarize(finding: &Finding, before: &Model, now: &Model) -> String {
    let element = &finding.element;
    let Some(old_field) = before.field(element) else {
        return format!("{element}: {}", finding.message);
    };
    let old = old_field.desc;
    let head = format!("{element} (field {})", old.number());
    // `Model::field` always names a message field, never an extension.
    let message = old_field.message.map(|m| &before.messages[m].full_name);
    let new_field = message
        .and_then(|name| now.message_by_name.get(name))
        .and_then(|&m| now.fields(m).find(|f| f.desc.number() == old.number()));
    let Some(new_field) = new_field else {
        return format!("{head} was deleted");
    };
    let mut changes = Vec::new();
    let (old_type, new_type) = (old_field.type_text(), new_field.type_text());
    if old_type != new_type {
        changes.push(format!("changed type {old_type} -> {new_type}"));
    }
    // proto3 `optional`'s synthetic oneof is presence, not a oneof (`Field::oneof`); joining
    // or leaving a real oneof changes presence too, and the oneof change says it all.
    let (old_oneof, new_oneof) = (old_field.oneof(), new_field.oneof());
    let (old_card, new_card) = (old_field.cardinality(), new_field.cardinality());
    if old_card != new_card && old_oneof.is_some() == new_oneof.is_some() {
        changes.push(format!(
            "changed cardinality {} -> {}",
            old_card.text(),
            new_card.text()
        ));
    }
    if old.name() != new_field.name() {
        changes.push(format!("was renamed to {}", new_field.name()));
    } else if old_field.json_name() != new_field.json_name() {
        changes.push(format!(
            "changed JSON name {} -> {}",
            old_field.json_name(),
            new_field.json_name()
        ));
    }
    if old_oneof.is_some() != new_oneof.is_some() {
        changes.push(if new_oneof.is_some() {
            "moved into a oneof".to_string()
        } else {
            "moved out of its oneof".to_string()
        });
    }
    if changes.is_empty() {
        format!("{head}: {}", finding.message)
    } else {
        format!("{head} {}", changes.join(", "))
    }
}

/// Only consumers and subscribers are judged: a producer's lock records what it serves, and
/// the ordinary check already guards old clients of a new server; a server that subscribes
/// to events is judged on those.
pub fn consumers(locks: Vec<LockFile>) -> Vec<LockFile> {
    locks
        .into_iter()
        .filter(|l| l.lock.role == Role::Consumer || !l.lock.received.is_empty())
        .collect()
}

/// Judges `current` against each consumer's lock of `locks` (found by [`find_locks`], its
/// error reported here), with `rules` (labelled `rules_label` in reports).
/// `contract_findings` are the ordinary check's breaking changes. `None` when no lock was
/// found and none was asked for.
pub fn judge_consumers(
    locks: anyhow::Result<Vec<LockFile>>,
    pattern: Option<&str>,
    current: &Contract,
    contract_findings: &[Finding],
    rules: &RuleSet,
    rules_label: String,
) -> anyhow::Result<Option<ConsumerSection>> {
    let consumer_locks = consumers(locks?);
    if consumer_locks.is_empty() && pattern.is_none() {
        return Ok(None);
    }
    let errors: Vec<Finding> = contract_findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .cloned()
        .collect();
    let verdicts = consumer_locks
        .iter()
        .map(|lock| {
            assess(lock, current, &errors, |baseline, current| {
                compat::check(baseline, current, rules)
                    .into_iter()
                    .filter(|f| f.severity == Severity::Error)
                    .collect()
            })
        })
        .collect::<anyhow::Result<Vec<Verdict>>>()?;
    // Broken consumers first, as a reviewer reads them.
    let mut verdicts = verdicts;
    verdicts.sort_by_key(|v| v.breaks.is_empty());
    Ok(Some(ConsumerSection {
        rules: rules_label,
        verdicts,
    }))
}

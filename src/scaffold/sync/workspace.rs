//! The workspace as sync sees it: protogen.toml read (and edited) as TOML, the contract it
//! points at compiled, and its services modelled the way `protogen new` models them.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::contract::{self, Contract, LoadOptions, Side, Source};
use crate::scaffold::model::{self, Workspace};

/// The workspace's configuration, relative to its folder.
pub const CONFIG: &str = "protogen.toml";

/// The parts of the workspace's protogen.toml that sync reads.
#[derive(Debug, Deserialize)]
pub(super) struct WorkspaceToml {
    pub contract: ContractToml,
    pub api: CrateToml,
    pub server: ServerToml,
    pub client: ClientToml,
    #[serde(default)]
    pub events: EventsToml,
}

/// `[events]`: subjects of the contract's events (`// protogen:event SUBJECT`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EventsToml {
    #[serde(default)]
    pub publishes: Vec<String>,
    #[serde(default)]
    pub subscribes: Vec<String>,
    /// `nats` (the default), `kafka` or `rabbitmq`.
    pub broker: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ContractToml {
    pub root: String,
    #[serde(default)]
    pub files: Vec<String>,
    /// Written by `protogen new --vendor`: the .proto files live in the workspace.
    #[serde(default)]
    pub vendored: bool,
}

#[derive(Debug, Deserialize)]
pub(super) struct CrateToml {
    #[serde(rename = "crate")]
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct ServerToml {
    #[serde(rename = "crate")]
    pub name: String,
    #[serde(default)]
    pub serves: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ClientToml {
    #[serde(rename = "crate")]
    pub name: String,
    /// Services (`users.v1.UsersService`: every RPC of it) or single RPCs
    /// (`users.v1.UsersService/FindOne`).
    #[serde(default)]
    pub calls: Vec<String>,
}

/// A scaffolded workspace as sync sees it.
pub struct Loaded {
    pub dir: PathBuf,
    pub(super) config: WorkspaceToml,
    pub(super) config_text: String,
    pub contract: Contract,
    /// The services of the contract, modelled the way `protogen new` models them.
    pub workspace: Workspace,
}

/// The tables every protogen.toml written by `protogen new` has.
const TABLES: [&str; 4] = ["contract", "api", "server", "client"];

/// Reads protogen.toml: a TOML error is reported at its line first; only a file that lacks
/// the tables `protogen new` writes is called foreign.
pub(super) fn read_config(text: &str, path: &Path) -> anyhow::Result<WorkspaceToml> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(&e, text, path))?;
    let missing: Vec<String> = TABLES
        .iter()
        .filter(|t| !table.get(**t).is_some_and(toml::Value::is_table))
        .map(|t| format!("[{t}]"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} has no {}: it is not a workspace configuration written by `protogen new` (which writes [contract], [api], [server] and [client]); restore it from version control",
            path.display(),
            missing.join(", ")
        );
    }
    toml::from_str(text).map_err(|e| toml_error(&e, text, path))
}

/// `path:line:column: what`, then the parser's own excerpt of the line.
fn toml_error(error: &toml::de::Error, text: &str, path: &Path) -> anyhow::Error {
    let at = match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("{}:{line}:{column}", path.display())
        }
        None => path.display().to_string(),
    };
    anyhow::Error::msg(error.to_string().trim_end().to_string())
        .context(format!("{at}: {}", error.message().trim_end()))
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
    let config = read_config(&config_text, &config_path)?;
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
    let has_runtime = dir
        .join(&config.api.name)
        .join("src/runtime/mod.rs")
        .is_file();
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
        vendored: config.contract.vendored,
        services,
        has_runtime,
        // As `protogen new` decided it (the api crate's `validate` feature depends on it): a
        // contract that gained rules later needs the user's Cargo.toml patched too, by hand.
        has_validation: has_runtime
            && crate::scaffold::imports_validation(&contract)
            && dir.join(crate::scaffold::VALIDATE_TYPES_DIR).is_dir(),
        editions: crate::scaffold::has_editions(&contract),
        events: Vec::new(),
        events_broker: config
            .events
            .broker
            .clone()
            .unwrap_or_else(|| "nats".to_string()),
    };
    if !model::EVENT_BROKERS.contains(&workspace.events_broker.as_str()) {
        anyhow::bail!(
            "{}: [events] broker = {:?} is not a broker protogen knows: use one of {}",
            config_path.display(),
            workspace.events_broker,
            model::EVENT_BROKERS.join(", ")
        );
    }
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

/// Appends `entry` to the list `key` of `[table]` in a TOML text, keeping everything else
/// byte for byte: the list's own layout (one line or several, trailing comma, comments), and
/// every other table. A missing list is added to its table.
pub fn add_to_list(text: &str, table: &str, key: &str, entry: &str) -> anyhow::Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().context("not valid TOML")?;
    let table_like = doc
        .get_mut(table)
        .and_then(toml_edit::Item::as_table_like_mut)
        .with_context(|| format!("no [{table}] table"))?;
    match table_like.get_mut(key) {
        None => {
            let mut list = toml_edit::Array::new();
            list.push(entry);
            table_like.insert(key, toml_edit::value(list));
        }
        Some(item) => {
            let list = item
                .as_array_mut()
                .with_context(|| format!("`{key}` in [{table}] is not a list"))?;
            push_in_layout(list, entry);
        }
    }
    Ok(doc.to_string())
}

/// Pushes `entry` as the list's last item, laid out like the items before it: on its own
/// line with their indent in a list of lines, after `, ` in a list on one line. A comment on
/// the line of the old last item stays on that line.
fn push_in_layout(list: &mut toml_edit::Array, entry: &str) {
    let raw =
        |s: Option<&toml_edit::RawString>| s.and_then(|s| s.as_str()).unwrap_or("").to_string();
    let mut value = toml_edit::Value::from(entry);
    let trailing = raw(Some(list.trailing()));
    let Some(last) = list.len().checked_sub(1) else {
        // Empty: `[]` stays on one line; `[\n]` gets lines, as `protogen new` writes them.
        if trailing.contains('\n') {
            value.decor_mut().set_prefix("\n    ");
            list.push_formatted(value);
            list.set_trailing_comma(true);
        } else {
            list.push(entry);
        }
        return;
    };
    let last_prefix = raw(list.get(last).and_then(|v| v.decor().prefix()));
    let Some(nl) = last_prefix.rfind('\n') else {
        // One line: `["a", "b"]`, `["a", "b",]`.
        value.decor_mut().set_prefix(" ");
        list.push_formatted(value);
        return;
    };
    let indent = last_prefix[nl + 1..].to_string();
    if list.trailing_comma() {
        // `"b", # note\n  # end\n]`: the note stays after "b", the new item goes below it.
        let (head, rest) = trailing.split_once('\n').unwrap_or((trailing.as_str(), ""));
        value.decor_mut().set_prefix(format!("{head}\n{indent}"));
        list.push_formatted(value);
        list.set_trailing(format!("\n{rest}"));
    } else {
        // `"b" # note\n]`: what followed "b" (its note, the newline before `]`) now follows
        // the new item, except the note, which stays on b's line.
        let suffix = raw(list.get(last).and_then(|v| v.decor().suffix()));
        if let Some(value) = list.get_mut(last) {
            value.decor_mut().set_suffix("");
        }
        let (head, rest) = match suffix.find('\n') {
            Some(i) => (&suffix[..i], &suffix[i..]),
            None => (suffix.as_str(), ""),
        };
        value.decor_mut().set_prefix(format!("{head}\n{indent}"));
        value.decor_mut().set_suffix(rest);
        list.push_formatted(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A protogen.toml around `serves`, with a multi-line list after it that must not move.
    fn config(serves: &str) -> String {
        format!(
            "# mine\n[server]\ncrate = \"s\"\nserves = {serves}\n\n[events]\npublishes = [\n    \"orders.shipped\",\n]\n"
        )
    }

    #[test]
    fn each_list_form_grows_in_place_and_nothing_else_moves() {
        let add = "orders.v1.AuditService";
        for (before, after) in [
            // The form that used to send the entry into `publishes`.
            (r#"["a"]"#, r#"["a", "orders.v1.AuditService"]"#),
            (r#"["a", "b"]"#, r#"["a", "b", "orders.v1.AuditService"]"#),
            (r#"["a",]"#, r#"["a", "orders.v1.AuditService",]"#),
            ("[]", r#"["orders.v1.AuditService"]"#),
            ("[\n]", "[\n    \"orders.v1.AuditService\",\n]"),
            (
                "[\n  \"a\",\n  \"b\",\n]",
                "[\n  \"a\",\n  \"b\",\n  \"orders.v1.AuditService\",\n]",
            ),
            (
                "[\n  \"a\",\n  \"b\"\n]",
                "[\n  \"a\",\n  \"b\",\n  \"orders.v1.AuditService\"\n]",
            ),
            (
                "[\n  \"a\", # first\n  \"b\" # second\n]",
                "[\n  \"a\", # first\n  \"b\", # second\n  \"orders.v1.AuditService\"\n]",
            ),
            (
                "[\n  # services\n  \"a\", # first\n  \"b\", # second\n  # more to come\n]",
                "[\n  # services\n  \"a\", # first\n  \"b\", # second\n  \"orders.v1.AuditService\",\n  # more to come\n]",
            ),
            (
                "[ \"a\" , # one line, then a comment\n]",
                "[ \"a\" , \"orders.v1.AuditService\", # one line, then a comment\n]",
            ),
        ] {
            let text = config(before);
            let grown = add_to_list(&text, "server", "serves", add).unwrap();
            assert_eq!(grown, config(after), "from {before:?}");
            let parsed: WorkspaceTomlLists = toml::from_str(&grown).unwrap();
            assert_eq!(parsed.server.serves.last().map(String::as_str), Some(add));
            assert_eq!(parsed.events.publishes, ["orders.shipped"]);
        }
    }

    #[derive(Deserialize)]
    struct WorkspaceTomlLists {
        server: ServerToml,
        events: EventsToml,
    }

    #[test]
    fn a_missing_list_is_added_and_other_tables_are_kept() {
        let text = "[server]\ncrate = \"s\" # the server\n\n[client]\ncrate = \"c\"\n";
        let grown = add_to_list(text, "server", "serves", "a.B").unwrap();
        assert_eq!(
            grown,
            "[server]\ncrate = \"s\" # the server\nserves = [\"a.B\"]\n\n[client]\ncrate = \"c\"\n"
        );
        let inline = "server = { crate = \"s\", serves = [\"x\"] }\n";
        assert_eq!(
            add_to_list(inline, "server", "serves", "a.B").unwrap(),
            "server = { crate = \"s\", serves = [\"x\", \"a.B\"] }\n"
        );
        let error = add_to_list("[server]\nserves = \"x\"\n", "server", "serves", "a.B");
        assert!(format!("{:#}", error.unwrap_err()).contains("not a list"));
    }

    #[test]
    fn a_duplicated_key_is_named_at_its_line_without_calling_the_file_foreign() {
        let path = Path::new("ws/protogen.toml");
        let text = "[contract]\nroot = \"p\"\n[api]\ncrate = \"a\"\n[server]\ncrate = \"s\"\nserves = []\nserves = []\n[client]\ncrate = \"c\"\n";
        let error = read_config(text, path).unwrap_err();
        let first = error.to_string();
        assert!(
            first.starts_with("ws/protogen.toml:8:1: duplicate key"),
            "{first}"
        );
        let all = format!("{error:#}");
        assert!(!all.contains("restore it"), "{all}");
        assert!(!all.contains("not a workspace configuration"), "{all}");

        // A wrong type is also the line's fault, not the file's.
        let typed = text.replace("serves = []\nserves = []", "serves = \"x\"");
        let error = read_config(&typed, path).unwrap_err();
        assert!(
            error.to_string().starts_with("ws/protogen.toml:7:"),
            "{error}"
        );
        assert!(!format!("{error:#}").contains("restore it"));

        // Missing tables: not protogen's file any more; restoring it is the advice.
        let error = read_config("[contract]\nroot = \"p\"\n", path).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("has no [api], [server], [client]")
                && message.contains("restore it from version control"),
            "{message}"
        );
    }
}

//! Scaffolding for `protogen new`: plan a workspace from a compiled contract, render it from
//! the askama templates, and write it all-or-nothing.

pub mod model;
pub mod names;
pub(crate) mod render;
pub mod sync;
mod write;

#[path = "../../templates/new/api/editions.rs"]
mod editions;
#[cfg(test)]
mod editions_tests;

/// `editions::lower` and `editions::lower_for_code`: an encoded set to its proto2/proto3 form.
type Lowering = fn(&prost_reflect::DescriptorPool, &[u8]) -> Result<Vec<u8>, String>;

use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use heck::ToShoutySnakeCase;

use crate::contract::{self, Contract};
pub use model::Workspace;
pub use render::{Owner, RenderedFile};
pub use write::{write, Outcome};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/runtime_files.rs"));
}

/// What `protogen new` was asked for, resolved: absolute paths, the files named.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub name: String,
    /// Where the workspace goes (absolute; need not exist yet).
    pub target: PathBuf,
    /// The contract's import root (absolute).
    pub contract_root: PathBuf,
    /// The files the user named, relative to the root; `None` when a directory was given
    /// and every .proto file under it is the contract.
    pub files: Option<Vec<String>>,
    /// Copy the .proto files into the workspace instead of referring to them.
    pub vendor: bool,
}

/// The files of a workspace, ready to write.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workspace: Workspace,
    pub files: Vec<RenderedFile>,
}

/// The protovalidate rules' file; a contract importing it gets request validation.
const VALIDATE_PROTO: &str = "buf/validate/validate.proto";

/// Where a validating workspace carries its protoc-free prost-protovalidate-types (the
/// embedded `templates/vendor/` goes to `vendor/`).
pub(crate) const VALIDATE_TYPES_DIR: &str = "vendor/prost-protovalidate-types";

/// Where `--vendor` puts the .proto files, relative to the workspace.
const VENDOR_DIR: &str = "proto";

/// Where an editions workspace carries the patched compiler crates (the embedded `patches/`
/// goes to `vendor/`, beside prost-protovalidate-types).
pub(crate) const PATCHED_CRATE_NAMES: [&str; 3] = ["protox-parse", "protox", "prost-reflect"];

/// The lowering of editions files for prost-build, run by an editions workspace's build.rs
/// (written next to it), and by `new` and `sync` first (`check_lowering`); one copy of it.
const EDITIONS_LOWERING: &str = include_str!("../../templates/new/api/editions.rs");

/// Lowers the contract as the workspace's build.rs will, so that a contract the generated
/// crates cannot build (a closed enum that proto3 cannot hold) stops `new` and `sync` before
/// anything is written, rather than the first `cargo build`.
fn check_lowering(contract: &Contract) -> anyhow::Result<()> {
    let names: Vec<&str> = contract
        .files
        .iter()
        .map(|f| f.name())
        .filter(|name| contract.sources.contains_key(*name))
        .collect();
    // It compiled once already; should this compile fail, the build reports it.
    let Some(pool) = contract::reflect::descriptor_pool(&contract.sources, &names) else {
        return Ok(());
    };
    let encoded = pool.encode_to_vec();
    // The server reads the lowered set at start (REST, validation); prost-build reads the one
    // for code (strings without UTF-8 validation as bytes): each must be a valid pool.
    for (lowering, could_not) in [
        (editions::lower as Lowering, "serve"),
        (editions::lower_for_code, "build"),
    ] {
        let lowered = lowering(&pool, &encoded).map_err(|error| {
            anyhow::anyhow!("the generated crates could not build this contract: {error}")
        })?;
        prost_reflect::DescriptorPool::decode(lowered.as_slice()).map_err(|error| {
            anyhow::anyhow!(
                "the generated crates could not {could_not} this contract: lowered to proto2/proto3 for prost, it reads {error}"
            )
        })?;
    }
    Ok(())
}

/// Whether a file of the contract is an editions file (`edition = "2023";`).
pub(crate) fn has_editions(contract: &Contract) -> bool {
    contract.files.iter().any(|f| f.syntax() == "editions")
}

/// Plans the workspace for `contract`. Fails, before anything is written, on an invalid name
/// or a contract without a service.
pub fn plan(contract: &Contract, request: &NewRequest) -> anyhow::Result<Plan> {
    names::check_crate_name(&request.name)
        .map_err(|why| anyhow::anyhow!("invalid workspace name: {why}"))?;
    let named: Vec<_> = contract
        .files
        .iter()
        .filter(|f| match &request.files {
            Some(names) => names.iter().any(|n| n == f.name()),
            None => true,
        })
        .collect();
    let services = model::services(&named);
    if services.is_empty() {
        let files: Vec<_> = named.iter().map(|f| f.name()).collect();
        bail!(
            "the contract has no service, so there is nothing to serve: {} declare{} only messages and enums.\n\
             Add a `service` to one of them, or point --proto at the files that declare the services.",
            files.join(", "),
            if files.len() == 1 { "s" } else { "" }
        );
    }
    if request.files.is_none()
        && !request.vendor
        && request.target.starts_with(&request.contract_root)
    {
        // The api crate's build script watches the whole contract folder; a workspace inside
        // it would rebuild on every build of itself, and its files would join the contract.
        bail!(
            "the workspace {} would be inside the contract's folder {}; choose a folder outside it with --out, \
             or name the .proto files with --proto instead of their folder",
            request.target.display(),
            request.contract_root.display()
        );
    }
    let contract_root = if request.vendor {
        VENDOR_DIR.to_string()
    } else {
        relative_path(&request.target, &request.contract_root).with_context(|| {
            format!(
                "cannot refer to the contract at {} from {} by a relative path; use --vendor to copy it",
                request.contract_root.display(),
                request.target.display()
            )
        })?
    };
    let name = &request.name;
    let ident = name.replace('-', "_");
    let mut workspace = Workspace {
        name: name.clone(),
        api_crate: format!("{name}-api"),
        server_crate: format!("{name}-server"),
        client_crate: format!("{name}-client"),
        api_ident: format!("{ident}_api"),
        server_ident: format!("{ident}_server"),
        client_ident: format!("{ident}_client"),
        addr_env: format!("{}_ADDR", name.to_shouty_snake_case()),
        command: format!("protogen new {name}"),
        contract_root,
        contract_files: request.files.clone().unwrap_or_default(),
        vendored: request.vendor,
        services,
        has_runtime: embedded::RUNTIME_FILES
            .iter()
            .any(|(path, _)| *path == "mod.rs"),
        has_validation: false,
        editions: has_editions(contract),
        events: Vec::new(),
        events_broker: "nats".to_string(),
    };
    workspace.has_validation = workspace.has_runtime && imports_validation(contract);
    // A new workspace publishes every event of the contract and subscribes to none: the
    // user narrows `publishes` and fills `subscribes` in protogen.toml.
    let declared = crate::contract::events::events(contract)?;
    let all: Vec<String> = declared.iter().map(|e| e.subject.clone()).collect();
    workspace.events = model::events(&declared, &all, &[]);
    workspace.resolve_types();
    let mut files = files(contract, &workspace)?;
    if request.vendor {
        for (file, text) in &contract.sources {
            if file.starts_with("google/protobuf/") {
                continue; // built into protox
            }
            files.push(RenderedFile {
                path: format!("{VENDOR_DIR}/{file}"),
                contents: text.as_bytes().to_vec(),
                owner: Owner::Protogen,
            });
        }
    }
    // What protogen wrote, so that `protogen sync` can bring it along (sync::owned).
    files.push(sync::owned::record_file(&workspace, &files)?);
    for file in &files {
        check_inside(&file.path)?;
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan { workspace, files })
}

/// Every file this protogen writes for `workspace`, the user's first versions included, but
/// not the vendored contract nor the record of what it wrote: `new` writes them all, `sync`
/// brings protogen's own up to date from them.
pub(crate) fn files(
    contract: &Contract,
    workspace: &Workspace,
) -> anyhow::Result<Vec<RenderedFile>> {
    let mut files = render::render(workspace).context("cannot render the templates")?;
    let runtime = if workspace.has_runtime {
        embedded::RUNTIME_FILES
    } else {
        &[]
    };
    for (path, contents) in runtime {
        files.push(RenderedFile {
            path: format!("{}/src/runtime/{path}", workspace.api_crate),
            contents: contents.to_vec(),
            owner: Owner::Protogen,
        });
    }
    // The carried files the contract imports (validate.proto, google/api/...), with `import
    // option` too (cpp_features.proto): the api crate's build.rs resolves them after the
    // contract's root (see contract::known).
    let imports = contract
        .files
        .iter()
        .flat_map(|file| contract.imports(file));
    for (name, text) in contract::known::needed(imports) {
        files.push(RenderedFile {
            path: format!("{}/proto/{name}", workspace.api_crate),
            contents: text.as_bytes().to_vec(),
            owner: Owner::Protogen,
        });
        if name != VALIDATE_PROTO {
            continue; // google/api/...: the api crate alone needs them
        }
        // prost-protovalidate-types with a build script that needs no protoc; the root
        // Cargo.toml patches crates.io's copy with it (see its README.md).
        for (path, contents) in embedded::VENDOR_FILES {
            files.push(RenderedFile {
                path: format!("vendor/{path}"),
                contents: contents.to_vec(),
                owner: Owner::Protogen,
            });
        }
        files.push(RenderedFile {
            path: format!("{VALIDATE_TYPES_DIR}/proto/{name}"),
            contents: text.as_bytes().to_vec(),
            owner: Owner::Protogen,
        });
    }
    if workspace.editions {
        check_lowering(contract)?;
        files.push(RenderedFile {
            path: format!("{}/editions.rs", workspace.api_crate),
            contents: EDITIONS_LOWERING.as_bytes().to_vec(),
            owner: Owner::Protogen,
        });
        for (path, contents) in embedded::PATCHED_CRATES {
            files.push(RenderedFile {
                path: format!("vendor/{path}"),
                contents: contents.to_vec(),
                owner: Owner::Protogen,
            });
        }
    }
    // Each crate records the contract it was built against (see consumers::lock).
    for (path, text) in sync::initial_locks(contract, workspace)? {
        files.push(RenderedFile {
            path,
            contents: text.into_bytes(),
            owner: Owner::Protogen,
        });
    }
    Ok(files)
}

/// Whether a file of the contract imports the protovalidate rules (`import option` too).
pub(crate) fn imports_validation(contract: &Contract) -> bool {
    contract
        .files
        .iter()
        .any(|file| contract.imports(file).any(|d| d == VALIDATE_PROTO))
}

/// Refuses a planned path that would land outside the workspace folder.
fn check_inside(path: &str) -> anyhow::Result<()> {
    let path = Path::new(path);
    if path.as_os_str().is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_)))
    {
        bail!(
            "refusing to write {}: the path escapes the output folder",
            path.display()
        );
    }
    Ok(())
}

/// `to` relative to the directory `from`, with forward slashes (`../proto`). Both absolute
/// and normalized.
pub fn relative_path(from: &Path, to: &Path) -> anyhow::Result<String> {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    if from.first() != to.first() {
        bail!("the paths have no common root");
    }
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Ok(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_then_descend() {
        let rel = |a: &str, b: &str| relative_path(Path::new(a), Path::new(b)).unwrap();
        assert_eq!(rel("/w/shop", "/w/fixtures/proto"), "../fixtures/proto");
        assert_eq!(rel("/w/shop", "/w/shop/proto"), "proto");
        assert_eq!(rel("/w/shop", "/w/shop"), ".");
    }

    #[test]
    fn paths_outside_the_workspace_are_refused() {
        assert!(check_inside("shop-api/src/lib.rs").is_ok());
        assert!(check_inside("../evil.rs").is_err());
        assert!(check_inside("/etc/passwd").is_err());
        assert!(check_inside("a/../../b").is_err());
    }
}

//! `protogen new`: resolve the arguments (import root, target folder), load the contract,
//! plan, write, and tell the user what to do next.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};

use crate::cli::NewArgs;
use crate::contract::{self, LoadOptions, Side, Source};
use crate::scaffold::{self, NewRequest};

pub fn run(args: NewArgs) -> anyhow::Result<ExitCode> {
    scaffold::names::check_crate_name(&args.name)
        .map_err(|why| anyhow::anyhow!("invalid workspace name: {why}"))?;
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    let target = absolute(&cwd, args.out.as_deref().unwrap_or(Path::new(&args.name)));
    let input = resolve_inputs(&cwd, &args.protos)?;
    let contract = match &input.files {
        None => contract::load(
            &Source::Dir(input.root.clone()),
            Side::Current,
            &LoadOptions::default(),
        )?,
        Some(files) => contract::compile_files(&input.root, files)
            .context("the contract could not be compiled")?,
    };
    let request = NewRequest {
        name: args.name.clone(),
        target: resolve_through_existing(&target)?,
        contract_root: input.root.clone(),
        files: input.files.clone(),
        vendor: args.vendor,
    };
    let plan = scaffold::plan(&contract, &request)?;
    let outcome = scaffold::write(&plan.files, &target, args.force)?;
    print_summary(&args, &cwd, &target, &input, &plan, &outcome);
    Ok(ExitCode::SUCCESS)
}

/// The contract as the user named it: an import root and, unless a directory was given,
/// the files under it.
struct Inputs {
    root: PathBuf,
    files: Option<Vec<String>>,
    /// How the root was found, when the user did not give it.
    root_reason: Option<String>,
}

fn resolve_inputs(cwd: &Path, protos: &[PathBuf]) -> anyhow::Result<Inputs> {
    for proto in protos {
        if !proto.exists() {
            bail!("--proto {}: no such file or folder", proto.display());
        }
    }
    let dirs = protos.iter().filter(|p| p.is_dir()).count();
    if dirs > 0 {
        if protos.len() > 1 {
            bail!(
                "--proto takes one folder (the import root of the contract) or one or more .proto files, not both or several folders"
            );
        }
        let root = canonical(&protos[0])?;
        return Ok(Inputs {
            root,
            files: None,
            root_reason: None,
        });
    }
    let files: Vec<PathBuf> = protos
        .iter()
        .map(|p| canonical(&absolute(cwd, p)))
        .collect::<anyhow::Result<_>>()?;
    let (root, reason) = import_root(&files)?;
    let mut names: Vec<String> = files
        .iter()
        .map(|f| {
            let relative = f.strip_prefix(&root).expect("the root is an ancestor");
            import_name(relative)
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(Inputs {
        root,
        files: Some(names),
        root_reason: Some(reason),
    })
}

/// The import root for single files: where the folders mirror the package (buf's layout:
/// `users/v1/users.proto` declares `package users.v1`), else the file's folder; for several
/// files, the common ancestor of those.
fn import_root(files: &[PathBuf]) -> anyhow::Result<(PathBuf, String)> {
    let mut roots = Vec::new();
    let mut reason = None;
    for file in files {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let dir = file.parent().expect("a file has a folder").to_path_buf();
        let root = match declared_package(&text) {
            Some(package) => match strip_package_dirs(&dir, &package) {
                Some(root) => {
                    reason.get_or_insert_with(|| {
                        format!("where the folders of package {package} begin")
                    });
                    root
                }
                None => dir,
            },
            None => dir,
        };
        roots.push(root);
    }
    let mut common = roots[0].clone();
    for root in &roots[1..] {
        while !root.starts_with(&common) {
            if !common.pop() {
                bail!("the .proto files share no folder to use as their import root");
            }
        }
    }
    let reason = reason.unwrap_or_else(|| "the folder of the .proto files".to_string());
    Ok((common, reason))
}

/// `package a.b;` from a .proto file, ignoring comments.
fn declared_package(text: &str) -> Option<String> {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or("").trim())
        .find_map(|line| {
            let rest = line.strip_prefix("package")?;
            let rest = rest.strip_prefix(char::is_whitespace)?;
            Some(rest.trim().trim_end_matches(';').trim().to_string())
        })
}

/// `/p/users/v1` with package `users.v1` → `/p`.
fn strip_package_dirs(dir: &Path, package: &str) -> Option<PathBuf> {
    let mut root = dir.to_path_buf();
    for segment in package.split('.').rev() {
        if root.file_name()? != segment {
            return None;
        }
        root.pop();
    }
    Some(root)
}

fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn canonical(path: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The target with symlinks resolved in the part that exists, so that relative paths from it
/// to the contract are right.
fn resolve_through_existing(target: &Path) -> anyhow::Result<PathBuf> {
    let mut existing = target.to_path_buf();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().map(|n| n.to_os_string()));
        if !existing.pop() {
            break;
        }
    }
    let mut resolved = canonical(&existing)?;
    for part in rest.into_iter().rev().flatten() {
        resolved.push(part);
    }
    Ok(resolved)
}

fn print_summary(
    args: &NewArgs,
    cwd: &Path,
    target: &Path,
    input: &Inputs,
    plan: &scaffold::Plan,
    outcome: &scaffold::Outcome,
) {
    let ws = &plan.workspace;
    let shown = target
        .strip_prefix(cwd)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| target.to_path_buf());
    let rpcs: usize = ws.services.iter().map(|s| s.rpcs.len()).sum();
    println!(
        "     Created workspace `{}` in {} ({} service{}, {} RPC{})",
        ws.name,
        shown.display(),
        ws.services.len(),
        plural(ws.services.len()),
        rpcs,
        plural(rpcs)
    );
    if let Some(reason) = &input.root_reason {
        println!(
            "     Contract import root: {} ({reason})",
            input.root.display()
        );
    }
    println!(
        "     Contract: {}{}",
        ws.contract_root,
        if args.vendor {
            " (copied into the workspace)"
        } else {
            " (referenced by relative path from protogen.toml, not copied)"
        }
    );
    for (label, paths) in [
        ("created", &outcome.created),
        ("replaced", &outcome.overwritten),
        ("kept", &outcome.kept),
    ] {
        let (vendored, others): (Vec<_>, Vec<_>) =
            paths.iter().partition(|p| p.starts_with("proto/"));
        // The patched compiler crates of an editions workspace: one line each.
        let patched = |path: &str| {
            crate::scaffold::PATCHED_CRATE_NAMES
                .into_iter()
                .find(|name| path.starts_with(&format!("vendor/{name}/")))
        };
        for path in others.iter().filter(|p| patched(p).is_none()) {
            println!("  {label:>8} {path}");
        }
        if !vendored.is_empty() {
            println!("  {label:>8} proto/ ({} .proto files)", vendored.len());
        }
        for name in crate::scaffold::PATCHED_CRATE_NAMES {
            let count = others.iter().filter(|p| patched(p) == Some(name)).count();
            if count > 0 {
                println!("  {label:>8} vendor/{name}/ ({count} files: protogen's patched {name}, for editions)");
            }
        }
    }
    let first = &ws.services[0];
    println!("\nNext steps:");
    println!(
        "  1. open {}/{}/src/handlers/{} and write the body of each stub;",
        shown.display(),
        ws.server_crate,
        first.handler_file
    );
    println!("     until you do, `cargo build` fails with one error per stub, naming its RPC");
    println!("  2. cd {} && cargo build", shown.display());
    println!(
        "     (or run with stubs answering UNIMPLEMENTED: cargo run -p {} --features allow-unimplemented)",
        ws.server_crate
    );
    println!(
        "  3. cargo run -p {}            # serves on ${} (default 127.0.0.1:50051)",
        ws.server_crate, ws.addr_env
    );
    println!("  4. cargo run -p {} --example call", ws.client_crate);
}

/// `a/b.proto` with forward slashes, whatever the platform.
fn import_name(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

//! Compiles `.proto` sources with protox, from disk or from memory (a git tree), and turns
//! protox's diagnostics into rustc-style messages.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use protox::file::{
    ChainFileResolver, File, FileResolver, GoogleFileResolver, IncludeFileResolver,
};

use super::{Contract, LoadOptions};

/// Source files by import name (`users/v1/users.proto`), as read from disk or from git.
pub type SourceFiles = BTreeMap<String, Arc<str>>;

/// Import names of a module's files, and where each file lives relative to the module root
/// where that differs (files under an import root other than the module root).
#[derive(Default)]
pub struct Placed {
    pub sources: SourceFiles,
    pub paths: BTreeMap<String, String>,
}

impl Placed {
    /// Adds the file at `path` (relative to the module root) if `options` place it under an
    /// import root; two files with one import name are an error, as in buf.
    pub fn add(
        &mut self,
        path: &str,
        options: &LoadOptions,
        text: impl FnOnce() -> anyhow::Result<Arc<str>>,
    ) -> anyhow::Result<()> {
        let Some(name) = import_name_in(path, options) else {
            return Ok(());
        };
        if let Some(other) = self
            .paths
            .get(&name)
            .map(String::as_str)
            .or_else(|| self.sources.contains_key(&name).then_some(name.as_str()))
        {
            bail!("{path} and {other} have the same import name {name} (they are in two import roots); rename or exclude one");
        }
        if name != path {
            self.paths.insert(name.clone(), path.to_string());
        }
        self.sources.insert(name, text()?);
        Ok(())
    }
}

/// The import name of the file at `path` (relative to the module root): `path` below its
/// import root, `None` when it is excluded, vendored or under no root.
pub fn import_name_in(path: &str, options: &LoadOptions) -> Option<String> {
    let vendored = options
        .vendor
        .as_ref()
        .is_some_and(|v| is_excluded(path, std::slice::from_ref(v)));
    if vendored || is_excluded(path, &options.excludes) {
        return None;
    }
    if options.roots.is_empty() {
        return Some(path.to_string());
    }
    options.roots.iter().find_map(|root| {
        let root = import_name(root);
        let root = root.trim_end_matches('/');
        if root.is_empty() || root == "." {
            return Some(path.to_string());
        }
        path.strip_prefix(root)?
            .strip_prefix('/')
            .map(str::to_string)
    })
}

/// Reads every `.proto` file under `root` (skipping hidden folders, `options.excludes` and
/// the vendored dependencies) and compiles them under their import roots (`root` itself
/// unless `options.roots` names others).
pub fn compile_dir(root: &Path, options: &LoadOptions) -> anyhow::Result<Contract> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let mut placed = Placed::default();
    let walker = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot read {}", root.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "proto") {
            continue;
        }
        let relative = path
            .strip_prefix(root)
            .expect("walkdir yields paths under its root");
        placed.add(&import_name(relative), options, || {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok(text.into())
        })?;
    }
    compile_module(
        format!("directory {}", root.display()),
        placed,
        root,
        options,
    )
}

/// `a/b.proto` with forward slashes, whatever the platform.
pub fn import_name(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether `name` lies under one of `excludes` (whole path components, like buf).
pub fn is_excluded(name: &str, excludes: &[PathBuf]) -> bool {
    excludes.iter().any(|ex| {
        let ex = import_name(ex);
        let ex = ex.trim_end_matches('/');
        ex.is_empty() || ex == "." || name == ex || name.starts_with(&format!("{ex}/"))
    })
}

/// Compiles a module's files; imports resolve among them, then to the vendored dependencies
/// (`options.vendor` under `root`, on disk), then to the well-known types, then to the files
/// protogen carries (`known`).
pub fn compile_module(
    origin: String,
    placed: Placed,
    root: &Path,
    options: &LoadOptions,
) -> anyhow::Result<Contract> {
    let Placed { sources, paths } = placed;
    if sources.is_empty() {
        bail!("no .proto files found in {origin}");
    }
    let mut resolver = ChainFileResolver::new();
    resolver.add(MemoryResolver {
        files: sources
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    });
    if let Some(vendor) = &options.vendor {
        resolver.add(IncludeFileResolver::new(root.join(vendor)));
    }
    resolver.add(GoogleFileResolver::new());
    resolver.add(super::known::KnownFileResolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true).include_imports(false);
    for name in sources.keys() {
        compiler.open_file(name).map_err(|e| {
            let missing = e.is_file_not_found();
            let mut message = render_diagnostic(e);
            if missing && !options.deps.is_empty() {
                message.push_str(&deps_help(&options.deps, options.vendor.as_deref()));
            }
            anyhow!(message)
        })?;
    }
    let set = compiler.file_descriptor_set();
    let mut contract = Contract::from_files(origin, set.file, sources);
    contract.paths = paths;
    Ok(contract)
}

/// How to make imports from buf dependencies (`deps:`), which protogen does not download,
/// available: vendor them with `buf export`.
fn deps_help(deps: &[String], vendor: Option<&Path>) -> String {
    let vendor = vendor.map_or("vendor".to_string(), import_name);
    let commands: Vec<String> = deps
        .iter()
        .map(|dep| {
            // `buf.build/owner/repo:v1.2` pins a version; buf export takes the same reference.
            format!("  buf export {dep} -o {vendor}/")
        })
        .collect();
    format!(
        "\nhelp: the import is not in the module; it probably comes from a dependency in buf.yaml \
         (deps: {}), and protogen does not download dependencies. Vendor them once, in the \
         folder that holds buf.yaml, and commit {vendor}/ (protogen resolves imports from it \
         and does not judge its files):\n{}",
        deps.join(", "),
        commands.join("\n")
    )
}

/// Renders a protox error the way rustc does: message, file:line:column, the source line
/// (an excerpt around the column when the line is long) and a caret.
pub fn render_diagnostic(error: protox::Error) -> String {
    crate::report::snippet::diagnostic(&error)
}

struct MemoryResolver {
    files: HashMap<String, Arc<str>>,
}

impl FileResolver for MemoryResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match self.files.get(name) {
            Some(text) => File::from_source(name, text),
            None => Err(protox::Error::file_not_found(name)),
        }
    }
}

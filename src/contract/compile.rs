//! Compiles `.proto` sources with protox, from disk or from memory (a git tree), and turns
//! protox's diagnostics into rustc-style messages.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use super::{Contract, LoadOptions};

/// Source files by import name (`users/v1/users.proto`), as read from disk or from git.
pub type SourceFiles = BTreeMap<String, Arc<str>>;

/// Reads every `.proto` file under `root` (skipping hidden folders and `options.excludes`)
/// and compiles them with `root` as the import root.
pub fn compile_dir(root: &Path, options: &LoadOptions) -> anyhow::Result<Contract> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let mut sources = SourceFiles::new();
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
        let name = import_name(relative);
        if is_excluded(&name, &options.excludes) {
            continue;
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        sources.insert(name, text.into());
    }
    compile_sources(format!("directory {}", root.display()), sources)
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

/// Compiles every file of `sources`; imports resolve among them, then to the well-known types,
/// then to the files protogen carries (`known`).
pub fn compile_sources(origin: String, sources: SourceFiles) -> anyhow::Result<Contract> {
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
    resolver.add(GoogleFileResolver::new());
    resolver.add(super::known::KnownFileResolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true).include_imports(false);
    for name in sources.keys() {
        compiler
            .open_file(name)
            .map_err(|e| anyhow!(render_diagnostic(e)))?;
    }
    let set = compiler.file_descriptor_set();
    Ok(Contract::from_files(origin, set.file, sources))
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

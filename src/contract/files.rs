//! Compiles chosen `.proto` files from disk, resolving their imports under an import root:
//! the contract of `protogen new --proto a.proto --proto b.proto`.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use protox::file::{ChainFileResolver, GoogleFileResolver, IncludeFileResolver};

use super::compile::{render_diagnostic, SourceFiles};
use super::Contract;

/// Compiles `names` (import names relative to `root`). Unlike a directory's contract, the
/// result also holds the files they import from under `root` (not the well-known types), so
/// that the whole contract can be vendored; the sources are read for every such file.
pub fn compile_files(root: &Path, names: &[String]) -> anyhow::Result<Contract> {
    if names.is_empty() {
        bail!("no .proto files given");
    }
    if !root.is_dir() {
        bail!("the import root {} is not a folder", root.display());
    }
    // The well-known types come from protox first: trees such as Google's protos carry their
    // own copies of google/protobuf/, with files protox does not parse.
    let mut resolver = ChainFileResolver::new();
    resolver.add(GoogleFileResolver::new());
    resolver.add(IncludeFileResolver::new(root.to_path_buf()));
    resolver.add(super::known::KnownFileResolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true).include_imports(true);
    for name in names {
        compiler
            .open_file(name)
            .map_err(|e| anyhow!(render_diagnostic(e)))?;
    }
    let mut sources = SourceFiles::new();
    let mut files = Vec::new();
    let own: Vec<_> = compiler
        .files()
        .filter_map(|f| Some((f.name().to_string(), f.path()?.to_path_buf())))
        .collect();
    for file in compiler.file_descriptor_set().file {
        let Some((_, path)) = own.iter().find(|(name, _)| name == file.name()) else {
            continue; // a well-known type, or a file protogen carries (`known`)
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        sources.insert(file.name().to_string(), text.into());
        files.push(file);
    }
    Ok(Contract::from_files(
        format!("{} under {}", names.join(", "), root.display()),
        files,
        sources,
    ))
}

//! A contract as buf's image: its files and (optionally) every file they import, ordered so
//! that each file comes after its imports, as `buf build` writes them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use anyhow::anyhow;
use prost_types::FileDescriptorProto;
use protox::file::{ChainFileResolver, IncludeFileResolver};

use super::compile::{render_diagnostic, resolve_the_rest};
use super::{Contract, LoadOptions};

/// The contract's files, plus with `imports` the files they import from outside the module
/// (vendored dependencies, well-known types, the files protogen carries), compiled with source
/// info like the module's own; dependencies first, files in name order otherwise.
pub fn image(
    contract: &Contract,
    root: &Path,
    options: &LoadOptions,
    imports: bool,
) -> anyhow::Result<Vec<FileDescriptorProto>> {
    let mut files: BTreeMap<String, FileDescriptorProto> = contract
        .files
        .iter()
        .map(|f| (f.name().to_string(), f.clone()))
        .collect();
    let own: HashSet<String> = files.keys().cloned().collect();
    if imports {
        let outside: Vec<String> = contract
            .files
            .iter()
            .flat_map(|f| f.dependency.iter())
            .filter(|d| !own.contains(*d))
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !outside.is_empty() {
            let mut resolver = ChainFileResolver::new();
            if let Some(vendor) = &options.vendor {
                resolver.add(IncludeFileResolver::new(root.join(vendor)));
            }
            resolve_the_rest(&mut resolver);
            let mut compiler = protox::Compiler::with_file_resolver(resolver);
            compiler.include_source_info(true).include_imports(true);
            for name in &outside {
                compiler
                    .open_file(name)
                    .map_err(|e| anyhow!(render_diagnostic(e)))?;
            }
            for file in compiler.file_descriptor_set().file {
                files.entry(file.name().to_string()).or_insert(file);
            }
        }
    }
    let mut ordered = Vec::with_capacity(files.len());
    let mut done = HashSet::new();
    let names: Vec<String> = files.keys().cloned().collect();
    for name in &names {
        visit(name, &mut files, &mut done, &mut ordered);
    }
    if !imports {
        ordered.retain(|f: &FileDescriptorProto| own.contains(f.name()));
    }
    Ok(ordered)
}

/// Depth-first: a file's imports (in the order it declares them), then the file.
fn visit(
    name: &str,
    files: &mut BTreeMap<String, FileDescriptorProto>,
    done: &mut HashSet<String>,
    ordered: &mut Vec<FileDescriptorProto>,
) {
    if !done.insert(name.to_string()) {
        return;
    }
    let Some(file) = files.remove(name) else {
        return; // outside the module, left out (--exclude-imports)
    };
    for dep in &file.dependency {
        visit(dep, files, done, ordered);
    }
    ordered.push(file);
}

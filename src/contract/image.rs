//! A module as buf's image: its files and (optionally) every file they import, compiled with
//! prost-reflect's encoding (option extensions such as `google.api.http` kept, which
//! prost-types drops), each file after its imports, as `buf build` writes them.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use anyhow::anyhow;
use prost::Message;
use prost_reflect::{DynamicMessage, ReflectMessage};
use protox::file::{ChainFileResolver, IncludeFileResolver};

use super::compile::{read_dir, render_diagnostic, resolve_the_rest, MemoryResolver};
use super::LoadOptions;

/// One compiled file of an image.
pub struct ImageFile {
    pub name: String,
    /// An encoded FileDescriptorProto, option extensions included.
    pub bytes: Vec<u8>,
}

/// Compiles the module at `root` (laid out by `options`) into its image: with `imports`, also
/// the files it imports from outside the module (vendored dependencies, well-known types, the
/// files protogen carries); with `source_info`, locations and comments. Dependencies first,
/// files in name order otherwise.
pub fn image(
    root: &Path,
    options: &LoadOptions,
    imports: bool,
    source_info: bool,
) -> anyhow::Result<Vec<ImageFile>> {
    let placed = read_dir(root, options)?;
    let mut resolver = ChainFileResolver::new();
    resolver.add(MemoryResolver {
        files: Arc::new(placed.texts()?),
    });
    if let Some(vendor) = &options.vendor {
        resolver.add(IncludeFileResolver::new(root.join(vendor)));
    }
    resolve_the_rest(&mut resolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(true).include_imports(true);
    for name in placed.sources.keys() {
        compiler
            .open_file(name)
            .map_err(|e| anyhow!(render_diagnostic(e)))?;
    }
    let pool = compiler.descriptor_pool();
    let mut files: BTreeMap<String, (Vec<String>, Vec<u8>)> = pool
        .files()
        .filter(|f| imports || placed.sources.contains_key(f.name()))
        .map(|f| {
            // Edition 2024's `import option` files come first too, as in buf's image.
            let deps = f
                .dependencies()
                .chain(f.option_dependencies())
                .map(|d| d.name().to_string())
                .collect();
            let bytes = if source_info {
                f.encode_to_vec()
            } else {
                without_source_info(&f.encode_to_vec())
            };
            (f.name().to_string(), (deps, bytes))
        })
        .collect();
    let names: Vec<String> = files.keys().cloned().collect();
    let mut ordered = Vec::with_capacity(names.len());
    let mut done = HashSet::new();
    for name in &names {
        visit(name, &mut files, &mut done, &mut ordered);
    }
    Ok(ordered)
}

/// An encoded file without its source info; the rest (option extensions included, kept as
/// unknown fields) as it was.
fn without_source_info(bytes: &[u8]) -> Vec<u8> {
    let descriptor = prost_types::FileDescriptorProto::default().descriptor();
    let mut file = DynamicMessage::decode(descriptor, bytes)
        .expect("prost-reflect decodes the files it encoded");
    file.clear_field_by_name("source_code_info");
    file.encode_to_vec()
}

/// Depth-first: a file's imports (in the order it declares them), then the file.
fn visit(
    name: &str,
    files: &mut BTreeMap<String, (Vec<String>, Vec<u8>)>,
    done: &mut HashSet<String>,
    ordered: &mut Vec<ImageFile>,
) {
    if !done.insert(name.to_string()) {
        return;
    }
    let Some((deps, bytes)) = files.remove(name) else {
        return; // outside the module, left out (--exclude-imports)
    };
    for dep in &deps {
        visit(dep, files, done, ordered);
    }
    ordered.push(ImageFile {
        name: name.to_string(),
        bytes,
    });
}

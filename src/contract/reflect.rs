//! A contract's files compiled with prost-reflect (option extensions kept, which prost-types
//! drops), with compile.rs's resolvers: imports resolve as in the contract's own compile.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost_reflect::DescriptorPool;
use protox::file::ChainFileResolver;

use super::compile::{resolve_the_rest, MemoryResolver};

/// The files `names` of `sources`, compiled with prost-reflect (which keeps option
/// extensions); imports resolve among the sources, then the well-known types and the files
/// protogen carries (`known`). `None` when they do not compile.
pub fn descriptor_pool(
    sources: &BTreeMap<String, Arc<str>>,
    names: &[&str],
) -> Option<DescriptorPool> {
    let mut resolver = ChainFileResolver::new();
    // The resolver owns what it reads: a copy of the texts' handles (Arc) is cheap.
    resolver.add(MemoryResolver {
        files: Arc::new(
            sources
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
    });
    resolve_the_rest(&mut resolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(false);
    for name in names {
        compiler.open_file(name).ok()?;
    }
    Some(compiler.descriptor_pool())
}

//! A contract's files compiled with prost-reflect (option extensions kept, which prost-types
//! drops): the one place besides `compile` that runs protox, resolving imports as it does.

use std::collections::BTreeMap;
use std::sync::Arc;

use prost_reflect::DescriptorPool;
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

/// The files `names` of `sources`, compiled with prost-reflect (which keeps option
/// extensions); imports resolve among the sources, then the well-known types and the files
/// protogen carries (`known`). `None` when they do not compile.
pub fn descriptor_pool(
    sources: &BTreeMap<String, Arc<str>>,
    names: &[&str],
) -> Option<DescriptorPool> {
    struct Sources(BTreeMap<String, Arc<str>>);
    impl FileResolver for Sources {
        fn open_file(&self, name: &str) -> Result<File, protox::Error> {
            match self.0.get(name) {
                Some(text) => File::from_source(name, text),
                None => Err(protox::Error::file_not_found(name)),
            }
        }
    }
    let mut resolver = ChainFileResolver::new();
    // The resolver owns what it reads: a copy of the texts' handles (Arc) is cheap.
    resolver.add(Sources(sources.clone()));
    resolver.add(GoogleFileResolver::new());
    resolver.add(super::known::KnownFileResolver);
    let mut compiler = protox::Compiler::with_file_resolver(resolver);
    compiler.include_source_info(false);
    for name in names {
        compiler.open_file(name).ok()?;
    }
    Some(compiler.descriptor_pool())
}

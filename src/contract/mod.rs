//! Loads a contract from any source (a directory, a git ref, a FileDescriptorSet file) into
//! compiled descriptors with source locations. Every command starts here.

mod compile;
mod descriptor_set;
pub mod events;
mod files;
mod git;
pub mod known;
pub mod location;
pub mod model;
mod source;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use prost_types::FileDescriptorProto;

pub use files::compile_files;
pub use location::Span;
pub use model::Model;
pub use source::Source;

/// Which side of a comparison a contract is; named in every error message about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Baseline,
    Current,
}

impl Side {
    pub fn label(self) -> &'static str {
        match self {
            Side::Baseline => "baseline",
            Side::Current => "current",
        }
    }
}

/// What to leave out when reading a module: paths relative to the module root
/// (buf's `excludes`), matched as whole path components.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub excludes: Vec<PathBuf>,
}

/// A compiled contract: the module's own files (imports such as the well-known types are
/// not part of it), sorted by file name, with the source text where it is known.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Human-readable description of where this came from, e.g. `git ref main (proto/)`.
    pub origin: String,
    pub files: Vec<FileDescriptorProto>,
    /// Source text by file name, for carets in reports. Empty for descriptor sets.
    pub sources: BTreeMap<String, Arc<str>>,
}

impl Contract {
    pub fn file(&self, name: &str) -> Option<&FileDescriptorProto> {
        self.files
            .binary_search_by(|f| f.name().cmp(name))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The 1-based line and column of the element at `path` (a SourceCodeInfo path) in
    /// `file`, if the contract carries source info.
    pub fn span(&self, file: &str, path: &[i32]) -> Option<Span> {
        location::find(self.file(file)?, path)
    }

    fn from_files(
        origin: String,
        mut files: Vec<FileDescriptorProto>,
        sources: BTreeMap<String, Arc<str>>,
    ) -> Self {
        files.sort_by(|a, b| a.name().cmp(b.name()));
        Contract {
            origin,
            files,
            sources,
        }
    }
}

/// Loads and compiles a contract. Errors name the side, the file, line and column.
pub fn load(source: &Source, side: Side, options: &LoadOptions) -> anyhow::Result<Contract> {
    let result = match source {
        Source::Dir(root) => compile::compile_dir(root, options),
        Source::GitRef {
            repo,
            reference,
            subdir,
        } => git::load(repo, reference, subdir, options),
        Source::DescriptorSet(path) => descriptor_set::load(path),
    };
    result.map_err(|e| {
        e.context(format!(
            "the {} contract ({source}) could not be loaded",
            side.label()
        ))
    })
}

//! Loads a contract from any source (a directory, a git ref, a FileDescriptorSet file) into
//! compiled descriptors with source locations. Every command starts here.

pub mod cache;
mod compile;
mod delta;
mod descriptor_set;
pub mod events;
pub mod features;
mod files;
mod git;
mod image;
pub mod known;
pub mod location;
pub mod model;
pub mod reflect;
pub mod snippet;
mod source;
mod texts;
pub mod version;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use prost_types::FileDescriptorProto;

pub use compile::Prepared;
pub use delta::{narrow, narrow_for_changelog};
pub use files::compile_files;
pub use image::{image, ImageFile};
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

/// How to read a module: paths relative to the module root, matched as whole components.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// What to leave out (buf's `excludes`).
    pub excludes: Vec<PathBuf>,
    /// The import roots (buf.yaml v1beta1 `build.roots`, a workspace's modules); files are
    /// named relative to their root. Empty: the module root is the one import root.
    pub roots: Vec<PathBuf>,
    /// buf dependencies (`deps:`), named in the error when an import is missing.
    pub deps: Vec<String>,
    /// Where vendored dependencies live (`vendor`): imports resolve there, its files are
    /// not part of the contract.
    pub vendor: Option<PathBuf>,
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
    /// Where a file lives relative to the module root, for files whose import name differs
    /// (under a build root or a workspace module): what reports print, as buf does.
    pub paths: BTreeMap<String, String>,
    /// The features of the editions files, by file name (prost-types' copies lack them).
    pub editions: BTreeMap<String, Arc<features::EditionsFile>>,
}

impl Contract {
    pub fn file(&self, name: &str) -> Option<&FileDescriptorProto> {
        self.files
            .binary_search_by(|f| f.name().cmp(name))
            .ok()
            .map(|i| &self.files[i])
    }

    /// The files `file` imports: `dependency`, then edition 2024's `import option` files
    /// (which prost-types' copy lacks).
    pub fn imports<'a>(&'a self, file: &'a FileDescriptorProto) -> impl Iterator<Item = &'a str> {
        let options = self.editions.get(file.name()).into_iter();
        file.dependency
            .iter()
            .chain(options.flat_map(|e| e.option_dependency.iter()))
            .map(String::as_str)
    }

    /// The path of file `name` relative to the module root, as reports print it.
    pub fn path_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.paths.get(name).map_or(name, String::as_str)
    }

    /// The files for which `keep` holds, for judging one module of a workspace.
    pub fn subset(&self, keep: impl Fn(&FileDescriptorProto) -> bool) -> Contract {
        let files: Vec<FileDescriptorProto> =
            self.files.iter().filter(|f| keep(f)).cloned().collect();
        let has = |name: &String| files.iter().any(|f| f.name() == name);
        Contract {
            origin: self.origin.clone(),
            sources: self
                .sources
                .iter()
                .filter(|(name, _)| has(name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            paths: self
                .paths
                .iter()
                .filter(|(name, _)| has(name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            editions: self
                .editions
                .iter()
                .filter(|(name, _)| has(name))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            files,
        }
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
            paths: BTreeMap::new(),
            editions: BTreeMap::new(),
        }
    }
}

/// A compiled file's key in the cache, and its identity across two contracts: equal
/// fingerprints, equal compiled files with equal imports.
pub type Fingerprint = cache::Key;

/// What is known of a contract's files before any is decoded: enough to choose the files a
/// command needs (a workspace module's, those a comparison can find something in).
#[derive(Debug, Clone, Default)]
pub struct Outline {
    /// By file name.
    pub files: BTreeMap<String, FileOutline>,
    /// Whether files are placed (their `path` known, as for .proto sources); a descriptor
    /// set's are not, and take the current contract's places.
    pub placed: bool,
}

#[derive(Debug, Clone)]
pub struct FileOutline {
    pub package: String,
    pub imports: Vec<String>,
    /// Relative to the module root, as reports print it.
    pub path: String,
    /// `None` where unknown (descriptor sets): such a file never counts as unchanged.
    pub fingerprint: Option<Fingerprint>,
    /// Whether the file may declare events (its text mentions the directive; true where
    /// unknown).
    pub events: bool,
}

impl Outline {
    /// `keep` and every file of this outline they import, transitively.
    pub fn with_imports(&self, mut keep: BTreeSet<String>) -> BTreeSet<String> {
        let mut pending: Vec<String> = keep.iter().cloned().collect();
        while let Some(name) = pending.pop() {
            for import in self
                .files
                .get(&name)
                .map(|f| &f.imports)
                .into_iter()
                .flatten()
            {
                if self.files.contains_key(import) && keep.insert(import.clone()) {
                    pending.push(import.clone());
                }
            }
        }
        keep
    }

    /// Only the files named in `keep`.
    pub fn restrict(&self, keep: &BTreeSet<String>) -> Outline {
        Outline {
            files: self
                .files
                .iter()
                .filter(|(name, _)| keep.contains(*name))
                .map(|(name, file)| (name.clone(), file.clone()))
                .collect(),
            placed: self.placed,
        }
    }

    /// The path of file `name` relative to the module root.
    pub fn path_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.files.get(name).map_or(name, |f| f.path.as_str())
    }
}

/// A contract source read, and compiled or found in the cache, but not yet decoded: the
/// commands choose which files to decode from its [`Outline`].
pub struct Loaded {
    inner: LoadedInner,
    /// What errors while decoding are about (`the current contract (directory proto)`).
    label: String,
    /// Set by [`Loaded::keeping_compiled`].
    keep_compiled: bool,
}

enum LoadedInner {
    Prepared(Box<Prepared>),
    Done(Contract),
}

impl Loaded {
    pub fn outline(&self) -> Outline {
        match &self.inner {
            LoadedInner::Prepared(prepared) => prepared.outline(),
            LoadedInner::Done(contract) => Outline {
                files: contract
                    .files
                    .iter()
                    .map(|f| {
                        (
                            f.name().to_string(),
                            FileOutline {
                                package: f.package().to_string(),
                                imports: f.dependency.clone(),
                                path: contract.path_of(f.name()).to_string(),
                                fingerprint: None,
                                events: true,
                            },
                        )
                    })
                    .collect(),
                placed: false,
            },
        }
    }

    /// Adds the source text and place of the files `names` to `contract` (decoded without
    /// them), for reports that quote findings judged in an earlier run.
    pub fn add_sources(&self, contract: &mut Contract, names: &BTreeSet<String>) {
        for name in names {
            let (text, path) = match &self.inner {
                LoadedInner::Prepared(prepared) => (prepared.source(name), prepared.path(name)),
                LoadedInner::Done(done) => (
                    done.sources.get(name).cloned(),
                    done.paths.get(name).cloned(),
                ),
            };
            if let Some(text) = text {
                contract.sources.insert(name.clone(), text);
            }
            if let Some(path) = path {
                contract.paths.insert(name.clone(), path);
            }
        }
    }

    /// Keeps the compiled files through every decoding, for callers that decode more than
    /// once (tests comparing two judgments): otherwise [`Loaded::contract_releasing`] frees
    /// them, and without the cache each later decoding compiles the module again.
    pub fn keeping_compiled(mut self) -> Self {
        self.keep_compiled = true;
        self
    }

    /// The contract of the files named in `keep`, or of every file.
    pub fn contract(&self, keep: Option<&BTreeSet<String>>) -> anyhow::Result<Contract> {
        self.contract_with(keep, false)
    }

    /// [`Loaded::contract`] for the last decoding, which frees the compiled files as it reads
    /// them ([`Prepared::contract_releasing`]).
    pub fn contract_releasing(&self, keep: Option<&BTreeSet<String>>) -> anyhow::Result<Contract> {
        self.contract_with(keep, true)
    }

    fn contract_with(
        &self,
        keep: Option<&BTreeSet<String>>,
        release: bool,
    ) -> anyhow::Result<Contract> {
        match &self.inner {
            LoadedInner::Prepared(prepared) => match release && !self.keep_compiled {
                true => prepared.contract_releasing(keep),
                false => prepared.contract(keep),
            }
            .with_context(|| self.label.clone()),
            LoadedInner::Done(contract) => Ok(match keep {
                Some(keep) => contract.subset(|f| keep.contains(f.name())),
                None => contract.clone(),
            }),
        }
    }
}

/// Reads a source and compiles what the cache lacks, without decoding (see [`Loaded`]).
pub fn prepare(source: &Source, side: Side, options: &LoadOptions) -> anyhow::Result<Loaded> {
    prepare_sharing(source, side, options, None)
}

/// [`prepare`], sharing compiled files with the other side of a comparison.
fn prepare_sharing(
    source: &Source,
    side: Side,
    options: &LoadOptions,
    sharing: Option<compile::Sharing>,
) -> anyhow::Result<Loaded> {
    let label = format!(
        "the {} contract ({source}) could not be loaded",
        side.label()
    );
    let inner = match source {
        Source::Dir(root) => {
            compile::compile_dir(root, options, sharing).map(|p| LoadedInner::Prepared(Box::new(p)))
        }
        Source::GitRef {
            repo,
            reference,
            subdir,
        } => git::load(repo, reference, subdir, options, sharing)
            .map(|p| LoadedInner::Prepared(Box::new(p))),
        Source::DescriptorSet(path) => descriptor_set::load(path).map(LoadedInner::Done),
    };
    let inner = inner.with_context(|| label.clone())?;
    Ok(Loaded {
        inner,
        label,
        keep_compiled: false,
    })
}

/// Prepares a baseline and a current contract on two cores (protox is single-threaded), each
/// laid out with its own options; a file identical on both sides is compiled once
/// ([`compile::Shared`]).
pub fn prepare_both(
    (baseline, baseline_options): (&Source, &LoadOptions),
    (current, current_options): (&Source, &LoadOptions),
) -> anyhow::Result<(Loaded, Loaded)> {
    let shared = compile::Shared::default();
    let sharing = |from_end| {
        Some(compile::Sharing {
            shared: &shared,
            from_end,
        })
    };
    std::thread::scope(|scope| {
        let old = scope
            .spawn(|| prepare_sharing(baseline, Side::Baseline, baseline_options, sharing(true)));
        let new = prepare_sharing(current, Side::Current, current_options, sharing(false));
        let old = old.join().expect("loading a contract does not panic");
        Ok((old?, new?))
    })
}

/// Loads and compiles a contract. Errors name the side, the file, line and column.
pub fn load(source: &Source, side: Side, options: &LoadOptions) -> anyhow::Result<Contract> {
    prepare(source, side, options)?.contract(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the cache, a decoding after a releasing one compiles the module again; a
    /// module kept compiled still holds every file it compiled.
    #[test]
    fn a_module_kept_compiled_holds_its_files_through_a_releasing_decoding() {
        let fixtures =
            Source::Dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/proto"));
        let options = LoadOptions::default();
        let held = |loaded: &Loaded| match &loaded.inner {
            LoadedInner::Prepared(prepared) => prepared.held(),
            LoadedInner::Done(_) => unreachable!("a directory is prepared"),
        };
        let released = prepare(&fixtures, Side::Current, &options).unwrap();
        let kept = prepare(&fixtures, Side::Current, &options)
            .unwrap()
            .keeping_compiled();
        let compiled = held(&kept);
        assert_eq!(compiled, 2, "users.proto and orders.proto");
        for loaded in [&released, &kept] {
            let first = loaded.contract_releasing(None).unwrap();
            assert_eq!(first.files.len(), compiled);
        }
        assert_eq!(held(&released), 0);
        assert_eq!(held(&kept), compiled);
        assert_eq!(kept.contract(None).unwrap().files.len(), compiled);
    }
}

//! Turns a command-line argument (`main`, `HEAD~1`, `../old-protos`, `image.binpb`) into a
//! contract source.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A module root on disk; its `.proto` files are compiled with it as the import root.
    Dir(PathBuf),
    /// The same module root as it was at a git ref: `repo` is the repository's top level,
    /// `subdir` the module root relative to it.
    GitRef {
        repo: PathBuf,
        reference: String,
        subdir: PathBuf,
    },
    /// A serialized FileDescriptorSet (`protoc --descriptor_set_out`, `buf build -o x.binpb`).
    DescriptorSet(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Dir(p) => write!(f, "directory {}", p.display()),
            Source::GitRef {
                reference, subdir, ..
            } if subdir.as_os_str().is_empty() => {
                write!(f, "git ref {reference}")
            }
            Source::GitRef {
                reference, subdir, ..
            } => {
                write!(f, "git ref {reference}, {}", subdir.display())
            }
            Source::DescriptorSet(p) => write!(f, "descriptor set {}", p.display()),
        }
    }
}

impl Source {
    /// The text of a file next to the contract's `.proto` files (`relative` to the module
    /// root; its configuration), as this source has it: from disk, or at the git ref. `None`
    /// when it has none, and always for a descriptor set.
    pub fn read(&self, relative: &Path) -> anyhow::Result<Option<String>> {
        match self {
            Source::Dir(root) => {
                let path = root.join(relative);
                if !path.is_file() {
                    return Ok(None);
                }
                std::fs::read_to_string(&path)
                    .map(Some)
                    .with_context(|| format!("cannot read {}", path.display()))
            }
            Source::GitRef {
                repo,
                reference,
                subdir,
            } => super::git::read_file(repo, reference, subdir, relative),
            Source::DescriptorSet(_) => Ok(None),
        }
    }

    /// Resolves `spec` the way `--against` does: an existing directory, an existing file
    /// (a descriptor set), or else a git ref of the repository around `module_root`, read at
    /// the same relative module root.
    pub fn resolve(spec: &str, module_root: &Path) -> anyhow::Result<Source> {
        let as_path = Path::new(spec);
        if as_path.is_dir() {
            return Ok(Source::Dir(as_path.to_path_buf()));
        }
        if as_path.is_file() {
            return Ok(Source::DescriptorSet(as_path.to_path_buf()));
        }
        let (repo, subdir) = super::git::locate(module_root).with_context(|| {
            format!("'{spec}' is not a directory or a file, and {} is not inside a git repository, so it cannot be a git ref either", module_root.display())
        })?;
        super::git::verify_ref(&repo, spec)?;
        if spec.is_empty() {
            bail!("empty baseline");
        }
        Ok(Source::GitRef {
            repo,
            reference: spec.to_string(),
            subdir,
        })
    }
}

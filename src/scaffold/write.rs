//! Writes a planned workspace all-or-nothing: every file is staged in a temporary folder next
//! to the target, then moved into place with renames, so a failure half way leaves nothing.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::render::{Owner, RenderedFile};

/// What happened to each planned file, by path relative to the workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub created: Vec<String>,
    /// protogen's own files that `--force` replaced.
    pub overwritten: Vec<String>,
    /// Files that already existed and were left alone: the user's, or unchanged.
    pub kept: Vec<String>,
}

/// The marker every protogen-owned file carries in its first lines.
const MARKER: &str = "protogen";

/// Writes `files` into `target`. An existing non-empty `target` is refused unless `force`;
/// with `force`, files that are the user's are kept, protogen's own files are replaced, and
/// nothing is ever deleted.
pub fn write(files: &[RenderedFile], target: &Path, force: bool) -> anyhow::Result<Outcome> {
    if target.exists() && !target.is_dir() {
        bail!("{} exists and is not a folder", target.display());
    }
    let existing = target.is_dir()
        && std::fs::read_dir(target)
            .with_context(|| format!("cannot read {}", target.display()))?
            .next()
            .is_some();
    if existing && !force {
        bail!(
            "{} already exists and is not empty.\n\
             Choose another folder with --out, or pass --force to add the workspace to it: protogen then \
             replaces only the files it owns, keeps the files that are yours (handlers, Cargo.toml, ...) \
             and deletes nothing.",
            target.display()
        );
    }

    let mut outcome = Outcome::default();
    let mut to_write = Vec::new();
    if existing {
        let is_protogen_workspace = has_marker(&target.join("protogen.toml"));
        let mut conflicts = Vec::new();
        for file in files {
            let destination = target.join(&file.path);
            if destination.is_dir() {
                conflicts.push(format!("{} (a folder is in the way)", file.path));
            } else if !destination.exists() {
                outcome.created.push(file.path.clone());
                to_write.push(file);
            } else if std::fs::read(&destination).is_ok_and(|old| old == file.contents)
                || file.owner == Owner::User
            {
                outcome.kept.push(file.path.clone());
            } else if is_protogen_workspace || has_marker(&destination) {
                outcome.overwritten.push(file.path.clone());
                to_write.push(file);
            } else {
                conflicts.push(file.path.clone());
            }
        }
        if !conflicts.is_empty() {
            bail!(
                "--force would overwrite files that protogen did not generate in {}:\n  {}\n\
                 Move them away or choose another folder with --out; nothing was written.",
                target.display(),
                conflicts.join("\n  ")
            );
        }
    } else {
        outcome.created = files.iter().map(|f| f.path.clone()).collect();
        to_write = files.iter().collect();
    }

    let parent = target
        .parent()
        .with_context(|| format!("{} has no parent folder", target.display()))?;
    let created_ancestors = missing_ancestors(parent);
    let result = stage_and_move(&to_write, parent, target, existing);
    if result.is_err() {
        for dir in created_ancestors.iter().rev() {
            let _ = std::fs::remove_dir(dir); // only succeeds while empty
        }
    }
    result?;
    Ok(outcome)
}

fn stage_and_move(
    files: &[&RenderedFile],
    parent: &Path,
    target: &Path,
    existing: bool,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".protogen-new-")
        .tempdir_in(parent)
        .with_context(|| format!("cannot create a staging folder in {}", parent.display()))?;
    let staged_root = staging.path().join("workspace");
    for file in files {
        let path = staged_root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot stage {}", file.path))?;
        }
        std::fs::write(&path, &file.contents)
            .with_context(|| format!("cannot stage {}", file.path))?;
    }
    if !existing {
        if target.is_dir() {
            // An empty folder: make way for the staged one.
            std::fs::remove_dir(target)
                .with_context(|| format!("cannot replace the empty folder {}", target.display()))?;
        }
        std::fs::rename(&staged_root, target)
            .with_context(|| format!("cannot move the workspace into {}", target.display()))?;
        return Ok(());
    }
    for file in files {
        let destination = target.join(&file.path);
        if let Some(dir) = destination.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::rename(staged_root.join(&file.path), &destination)
            .with_context(|| format!("cannot write {}", destination.display()))?;
    }
    Ok(())
}

/// Whether the file's first lines say protogen generated it.
fn has_marker(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| {
        text.lines()
            .take(5)
            .any(|line| line.contains(MARKER) && line.to_lowercase().contains("generated"))
    })
}

/// The ancestors of `dir` (and `dir` itself) that do not exist yet, outermost first.
fn missing_ancestors(dir: &Path) -> Vec<PathBuf> {
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    missing
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str, owner: Owner) -> RenderedFile {
        RenderedFile {
            path: path.into(),
            contents: text.as_bytes().to_vec(),
            owner,
        }
    }

    #[test]
    fn a_failure_half_way_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("deep/er/shop");
        // `a` as a file, then `a/b` under it: staging fails on the second file.
        let files = [file("a", "x", Owner::User), file("a/b", "y", Owner::User)];
        assert!(write(&files, &target, false).is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    #[test]
    fn force_keeps_the_users_files_and_refuses_foreign_ones() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("shop");
        let first = [
            file(
                "protogen.toml",
                "# Generated by protogen\n",
                Owner::Protogen,
            ),
            file(
                "handler.rs",
                "// Generated once by protogen\nstub\n",
                Owner::User,
            ),
        ];
        write(&first, &target, false).unwrap();
        std::fs::write(target.join("handler.rs"), "my code").unwrap();
        std::fs::write(target.join("notes.txt"), "mine").unwrap();

        assert!(
            write(&first, &target, false).is_err(),
            "non-empty without --force"
        );
        let second = [
            file(
                "protogen.toml",
                "# Generated by protogen\nv2\n",
                Owner::Protogen,
            ),
            file(
                "handler.rs",
                "// Generated once by protogen\nnew stub\n",
                Owner::User,
            ),
            file("new.rs", "new", Owner::User),
        ];
        let outcome = write(&second, &target, true).unwrap();
        assert_eq!(outcome.created, ["new.rs"]);
        assert_eq!(outcome.overwritten, ["protogen.toml"]);
        assert_eq!(outcome.kept, ["handler.rs"]);
        assert_eq!(
            std::fs::read_to_string(target.join("handler.rs")).unwrap(),
            "my code"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("notes.txt")).unwrap(),
            "mine"
        );

        let foreign = tempfile::tempdir().unwrap();
        std::fs::write(foreign.path().join("protogen.toml"), "mine").unwrap();
        let error = write(&second, foreign.path(), true).unwrap_err();
        assert!(error.to_string().contains("protogen.toml"), "{error}");
        assert!(!foreign.path().join("new.rs").exists());
    }
}

//! What sync decided, made real or shown: every change written all-or-nothing, or printed as
//! a unified diff that `git apply` takes.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::SyncPlan;

/// Writes every change. Each file goes to a temporary sibling first and is renamed into
/// place only once all of them are written, so a failure leaves the workspace as it was.
pub fn apply(dir: &Path, plan: &SyncPlan) -> anyhow::Result<()> {
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut removed: Vec<PathBuf> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        for change in &plan.changes {
            let target = dir.join(&change.path);
            if change.before.is_none() && target.exists() {
                bail!(
                    "{} appeared while sync ran; nothing was changed, run it again",
                    target.display()
                );
            }
            // A person may have saved the file since it was read: never write over that.
            if let Some(before) = &change.before {
                if std::fs::read_to_string(&target).ok().as_ref() != Some(before) {
                    bail!(
                        "{} changed while sync ran; nothing was changed, run it again",
                        target.display()
                    );
                }
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let Some(after) = &change.after else {
                removed.push(target);
                continue;
            };
            let temp = target.with_extension("protogen-sync.tmp");
            std::fs::write(&temp, after)
                .with_context(|| format!("cannot write {}", temp.display()))?;
            staged.push((temp, target));
        }
        Ok(())
    })();
    if let Err(error) = result {
        for (temp, _) in &staged {
            let _ = std::fs::remove_file(temp);
        }
        return Err(error);
    }
    for (temp, target) in &staged {
        std::fs::rename(temp, target)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    for target in &removed {
        std::fs::remove_file(target)
            .with_context(|| format!("cannot remove {}", target.display()))?;
    }
    Ok(())
}

/// The changes as a unified diff (`--dry-run`), paths relative to the workspace.
pub fn unified_diff(plan: &SyncPlan) -> String {
    let mut out = String::new();
    for change in &plan.changes {
        let before = change.before.as_deref().unwrap_or("");
        let old_name = if change.before.is_some() {
            format!("a/{}", change.path)
        } else {
            "/dev/null".to_string()
        };
        let new_name = if change.after.is_some() {
            format!("b/{}", change.path)
        } else {
            "/dev/null".to_string()
        };
        let after = change.after.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(before, after);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&old_name, &new_name)
                .to_string(),
        );
    }
    out
}

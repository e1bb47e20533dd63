//! The vendored crates under patches/ are exactly the crate as published plus the committed
//! diff beside it (patches/NAME.diff), so nobody edits a copy by accident.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the vendored copy leaves out of the published crate (its tests and their lock).
const LEFT_OUT: &[&str] = &["tests", "Cargo.lock", ".cargo_vcs_info.json"];
/// What the vendored copy adds: the note on the patch.
const ADDED: &[&str] = &["PATCH.md"];

#[test]
fn prost_reflect_is_the_published_crate_plus_its_diff() {
    is_the_published_crate_plus_its_diff("prost-reflect");
}

#[test]
fn protox_parse_is_the_published_crate_plus_its_diff() {
    is_the_published_crate_plus_its_diff("protox-parse");
}

#[test]
fn protox_is_the_published_crate_plus_its_diff() {
    is_the_published_crate_plus_its_diff("protox");
}

fn is_the_published_crate_plus_its_diff(krate: &str) {
    let root = common::project_root();
    let vendored = root.join("patches").join(krate);
    let version = version_of(&vendored.join("Cargo.toml"));
    let Some(published) = published_crate(krate, &version) else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("xzf")
        .arg(&published)
        .arg("-C")
        .arg(work.path())
        .status()
        .expect("tar runs");
    assert!(status.success(), "cannot unpack {}", published.display());
    let unpacked = work.path().join(format!("{krate}-{version}"));
    for name in LEFT_OUT {
        let path = unpacked.join(name);
        if path.is_dir() {
            std::fs::remove_dir_all(&path).unwrap();
        } else if path.exists() {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let diff = std::fs::File::open(root.join(format!("patches/{krate}.diff"))).unwrap();
    let patched = Command::new("patch")
        .current_dir(&unpacked)
        .args(["-p1", "--silent", "--no-backup-if-mismatch"])
        .stdin(diff)
        .output()
        .expect("patch runs");
    assert!(
        patched.status.success(),
        "patches/{krate}.diff does not apply to {krate} {version} as published: {}",
        String::from_utf8_lossy(&patched.stdout)
    );
    let expected = files(&unpacked);
    let mut found = files(&vendored);
    for name in ADDED {
        assert!(
            found.remove(*name).is_some(),
            "patches/{krate} has no {name}"
        );
    }
    let differing: Vec<&String> = expected
        .keys()
        .chain(found.keys())
        .filter(|name| expected.get(*name) != found.get(*name))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(
        differing.is_empty(),
        "patches/{krate} differs from {krate} {version} + patches/{krate}.diff in {differing:?}: \
         change the copy only through the diff (edit, regenerate the diff, say why in PATCH.md)"
    );
}

/// The published `.crate` in cargo's registry cache (fetched by `cargo xtask setup`).
fn published_crate(name: &str, version: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let file = format!("{name}-{version}.crate");
    let found = std::fs::read_dir(home.join("registry/cache"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|index| index.path().join(&file))
        .find(|path| path.is_file());
    match found {
        Some(path) => Some(path),
        // An absolute path that does not exist: the peer helper fails or skips as for any peer.
        None => common::peer(&home.join("registry/cache/*").join(&file).to_string_lossy()),
    }
}

fn version_of(manifest: &Path) -> String {
    std::fs::read_to_string(manifest)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("the vendored Cargo.toml has a version")
        .to_string()
}

/// Every file below `dir` by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let name = e.path().strip_prefix(dir).unwrap();
            (
                name.to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

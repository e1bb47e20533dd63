//! Shared test helpers: where the peers installed by `cargo xtask setup` live.
#![allow(dead_code)]

use std::path::PathBuf;

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A peer or corpus installed by `cargo xtask setup`. Under CI a missing one fails the
/// test (CI must install it); on a developer's machine the test is skipped with a note.
pub fn peer(relative: &str) -> Option<PathBuf> {
    let path = project_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{relative} is missing: `cargo xtask setup` installs it");
    }
    eprintln!("skipped: {relative} is missing; run `cargo xtask setup`");
    None
}

pub fn buf() -> Option<PathBuf> {
    peer(".tools/node_modules/.bin/buf")
}

/// The unpacked `package/` folder of google-proto-files at `version` (5.0.0 or 6.0.1).
pub fn google_protos(version: &str) -> Option<PathBuf> {
    peer(&format!(".cache/google-proto-files-{version}/package"))
}

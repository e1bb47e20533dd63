//! What the fuzz targets share: a text format that packs a small tree of files into one
//! input, a scratch folder to write it to, and protogen's commands run in-process.
//!
//! The targets drive protogen through its command line (`Cli::try_parse_from` and
//! `commands::run`, exactly what `main` does), so they follow the code as it changes and a
//! new command (`lint`) joins as soon as it parses. Errors are fine; a panic is a crash.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::Parser;

/// Inputs longer than this are skipped: protox and the rules are linear enough that bigger
/// inputs only slow the fuzzer down (and risk its timeout) without reaching new code.
pub const MAX_INPUT: usize = 64 * 1024;

/// A file of a packed tree.
pub struct File {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Unpacks `//== <path>` header lines into files; text before the first header is `default`.
/// Paths that could escape the scratch folder or are not plain names are dropped, so the
/// fuzzer cannot write anywhere else.
pub fn unpack(data: &[u8], default: &str) -> Vec<File> {
    let mut files = vec![File {
        path: default.to_string(),
        bytes: Vec::new(),
    }];
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Some(header) = line.strip_prefix(b"//== ") {
            let path = String::from_utf8_lossy(header).trim().to_string();
            files.push(File {
                path,
                bytes: Vec::new(),
            });
        } else {
            files
                .last_mut()
                .expect("starts with one")
                .bytes
                .extend_from_slice(line);
        }
    }
    files.retain(|f| is_safe(&f.path) && !(f.path == default && f.bytes.is_empty()));
    files.truncate(24);
    files
}

fn is_safe(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() <= 6
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.len() <= 64
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

/// Packs files into the `//== <path>` format (for seeding corpora).
pub fn pack(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, bytes) in files {
        out.extend_from_slice(format!("//== {path}\n").as_bytes());
        out.extend_from_slice(bytes);
        if !bytes.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// A fresh, empty scratch folder for this input (the same path each time, emptied).
pub fn scratch() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("protogen-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    });
    let work = root.join("w");
    if work.exists() {
        std::fs::remove_dir_all(&work).expect("scratch folder emptied");
    }
    std::fs::create_dir_all(&work).expect("scratch folder made");
    work
}

/// Writes `files` under `dir`; a path that collides with a folder (`a` and `a/b`) is skipped.
pub fn write(dir: &Path, files: &[File]) {
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            if std::fs::create_dir_all(parent).is_err() {
                continue;
            }
        }
        let _ = std::fs::write(&path, &file.bytes);
    }
}

/// The outcome of one in-process command: its exit code (0, 1 or 2, as `main` maps it), and
/// the error message for exit 2.
pub struct Outcome {
    pub code: u8,
    pub error: String,
}

/// Runs `protogen ARGS` in-process. `None` when this build has no such command (`lint`
/// before it lands). Stdout goes where the fuzzer sends it (run with `-close_fd_mask=1`).
pub fn protogen<I, S>(args: I) -> Option<Outcome>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut argv: Vec<OsString> = vec!["protogen".into()];
    argv.extend(args.into_iter().map(Into::into));
    let cli = protogen::cli::Cli::try_parse_from(argv).ok()?;
    Some(match protogen::commands::run(cli.command) {
        Ok(code) => Outcome {
            code: if code == std::process::ExitCode::SUCCESS {
                0
            } else {
                1
            },
            error: String::new(),
        },
        // Rendered as main renders it: diagnostics on hostile input must render too.
        Err(error) => Outcome {
            code: 2,
            error: protogen::commands::render_error(&error),
        },
    })
}

/// The fixtures' users + orders contract: the fixed side of targets that fuzz something else.
pub fn fixture_contract(dir: &Path) {
    let files = [
        (
            "users/v1/users.proto",
            include_str!("../../fixtures/proto/users/v1/users.proto"),
        ),
        (
            "orders/v1/orders.proto",
            include_str!("../../fixtures/proto/orders/v1/orders.proto"),
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("has a folder")).expect("folder made");
        std::fs::write(path, text).expect("fixture written");
    }
}

//! Shared test helpers: where the peers installed by `cargo xtask setup` live.
#![allow(dead_code)]

pub mod differential;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether a missing peer fails the test: under CI, and under `cargo xtask test` (which sets
/// `PROTOGEN_REQUIRE_PEERS=1`, having installed every peer), so no test passes by skipping.
pub fn peers_required() -> bool {
    std::env::var_os("CI").is_some()
        || std::env::var_os("PROTOGEN_REQUIRE_PEERS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A missing peer: a failure where peers are required ([`peers_required`]), else a skip
/// with a note.
fn missing<T>(what: &str) -> Option<T> {
    if peers_required() {
        panic!("{what}: `cargo xtask setup` installs it");
    }
    eprintln!("skipped: {what}; run `cargo xtask setup`");
    None
}

/// A peer or corpus installed by `cargo xtask setup`; see [`peers_required`].
pub fn peer(relative: &str) -> Option<PathBuf> {
    let path = project_root().join(relative);
    if path.exists() {
        return Some(path);
    }
    missing(&format!("{relative} is missing"))
}

/// A peer installed system-wide (by `cargo xtask setup` through apt), found on PATH; see
/// [`peers_required`].
pub fn peer_command(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    found.or_else(|| missing(&format!("{name} is not on PATH")))
}

pub fn buf() -> Option<PathBuf> {
    peer(".tools/node_modules/.bin/buf")
}

/// buf's native binary next to the npm wrapper (the wrapper costs a Node.js start per run).
pub fn native_buf() -> Option<PathBuf> {
    let wrapper = buf()?;
    let scope = wrapper.parent()?.parent()?.join("@bufbuild");
    let native = std::fs::read_dir(scope).ok().and_then(|entries| {
        entries.flatten().find_map(|entry| {
            let path = entry.path().join("bin/buf");
            (entry.file_name().to_string_lossy().starts_with("buf-") && path.exists())
                .then_some(path)
        })
    });
    Some(native.unwrap_or(wrapper))
}

/// A program on PATH (or in /usr/sbin, /usr/bin) installed by `cargo xtask setup` (apt); see
/// [`peers_required`].
pub fn system_peer(program: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
            .map(|dir| dir.join(program))
            .find(|candidate| candidate.is_file())
    });
    found.or_else(|| missing(&format!("{program} is missing")))
}

/// python3, when `check` (Python, e.g. `import grpc`) runs: the modules `cargo xtask setup`
/// installs with pip; see [`peers_required`].
pub fn python_with(check: &str) -> Option<PathBuf> {
    let python = peer_command("python3")?;
    let ok = Command::new(&python)
        .args(["-c", check])
        .output()
        .is_ok_and(|out| out.status.success());
    if ok {
        return Some(python);
    }
    missing(&format!("python3 cannot run `{check}`"))
}

/// The unpacked `package/` folder of google-proto-files at `version` (5.0.0 or 6.0.1).
pub fn google_protos(version: &str) -> Option<PathBuf> {
    peer(&format!(".cache/google-proto-files-{version}/package"))
}

/// Where the end-to-end tests build generated workspaces: one shared target dir, so tonic and
/// friends compile once for all of them.
pub fn generated_target_dir() -> PathBuf {
    std::env::var_os("PROTOGEN_GEN_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("generated"))
}

/// Adds a crate of scenarios to a generated `shop` workspace as its member `member`: the
/// manifest `scenarios/Cargo.toml.in` and the test file `scenarios/FILE` (its `tests/FILE`),
/// so scenario tests run against the workspace's own api crate.
pub fn add_scenario_crate(workspace: &Path, scenarios: &Path, file: &str, member: &str) {
    let crate_dir = workspace.join(member);
    std::fs::create_dir_all(crate_dir.join("tests")).unwrap();
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    std::fs::copy(
        scenarios.join("Cargo.toml.in"),
        crate_dir.join("Cargo.toml"),
    )
    .unwrap();
    std::fs::write(
        crate_dir.join("src/lib.rs"),
        "//! Scenarios live in tests/.\n",
    )
    .unwrap();
    std::fs::copy(scenarios.join(file), crate_dir.join("tests").join(file)).unwrap();
    let manifest = workspace.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let members = "members = [\"shop-api\", \"shop-server\", \"shop-client\"";
    assert!(text.contains(members), "{text}");
    std::fs::write(
        &manifest,
        text.replace(members, &format!("{members}, \"{member}\"")),
    )
    .unwrap();
}

/// `protogen new shop --proto proto` in `dir` (the contract under `dir/proto`); panics with
/// protogen's message when it fails; returns the workspace, `dir/shop`.
pub fn new_shop(dir: &Path) -> PathBuf {
    let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .current_dir(dir)
        .args(["new", "shop", "--proto", "proto"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir.join("shop")
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs git in `dir` as a throwaway identity; panics with git's message on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Exit code, stdout and stderr of a command.
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The handler files `protogen new` writes for the fixtures.
pub const USERS: &str = "shop-server/src/handlers/users_v1_users_service.rs";
pub const ORDERS: &str = "shop-server/src/handlers/orders_v1_orders_service.rs";

/// Replaces the stub of `route` (and the `let _ = request;` before it) with `body`.
pub fn implement(workspace: &Path, handler: &str, route: &str, body: &str) {
    let path = workspace.join(handler);
    let text = std::fs::read_to_string(&path).unwrap();
    let stub =
        format!("        let _ = request;\n        shop_api::unimplemented_rpc!(\"{route}\")\n");
    assert!(text.contains(&stub), "no stub for {route} in {handler}");
    std::fs::write(&path, text.replace(&stub, body)).unwrap();
}

/// Runs cargo in a generated workspace, with the shared target dir; prints how long it took.
/// protoc is out of reach (not on PATH, $PROTOC a path that does not exist), so a build that
/// still needs it fails: generated workspaces build without protoc (DESIGN.md).
/// Not incremental: each test builds a fresh workspace once, and the incremental caches of
/// all of them grew the shared target dir by gigabytes for nothing.
pub fn cargo(workspace: &Path, args: &[&str]) -> Output {
    let started = Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace)
        .args(args)
        .env("CARGO_TARGET_DIR", generated_target_dir())
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS")
        .env("PATH", path_without_protoc())
        .env("PROTOC", "/nonexistent/protoc")
        .output()
        .unwrap();
    eprintln!(
        "cargo {} in {}: {:.1}s",
        args.join(" "),
        workspace.display(),
        started.elapsed().as_secs_f64()
    );
    output
}

/// [`cargo`] that must succeed: fails the test with cargo's output otherwise.
pub fn cargo_ok(workspace: &Path, args: &[&str]) -> Output {
    let output = cargo(workspace, args);
    assert!(
        output.status.success(),
        "cargo {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// PATH with every folder that holds a `protoc` replaced by a folder of links to all its other
/// entries (the linker and cargo usually share /usr/bin with protoc). Made once per process.
pub fn path_without_protoc() -> std::ffi::OsString {
    static PATH: std::sync::OnceLock<std::ffi::OsString> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let shadows = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("path-without-protoc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&shadows);
        let dirs: Vec<PathBuf> = std::env::split_paths(&path)
            .enumerate()
            .map(|(index, dir)| {
                if !dir.join("protoc").exists() {
                    return dir;
                }
                let shadow = shadows.join(index.to_string());
                std::fs::create_dir_all(&shadow).unwrap();
                for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                    if entry.file_name() != "protoc" {
                        std::os::unix::fs::symlink(entry.path(), shadow.join(entry.file_name()))
                            .unwrap();
                    }
                }
                shadow
            })
            .collect();
        std::env::join_paths(dirs).unwrap()
    })
    .clone()
}

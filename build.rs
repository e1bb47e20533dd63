//! Embeds the files protogen copies verbatim into generated workspaces into the protogen binary,
//! so an installed protogen needs no source tree: the production runtime (`templates/runtime/`,
//! into every api crate), the protoc-free prost-protovalidate-types (`templates/vendor/`, into
//! workspaces whose contract validates) and the patched protox-parse, protox and prost-reflect
//! (`patches/`, into workspaces whose contract has editions files). Also names the protobuf
//! compiler crates it links (from Cargo.lock), for the keys of the cache of compiled files. And
//! lists the corpus cases of fixtures/{breaking,lint} for the differential tests (one #[test]
//! each).

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut out = String::new();
    for (constant, folder) in [
        ("RUNTIME_FILES", "templates/runtime"),
        ("VENDOR_FILES", "templates/vendor"),
        ("PATCHED_CRATES", "patches"),
    ] {
        let dir = root.join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        if dir.is_dir() {
            collect(&dir, &dir, &mut files);
        }
        // patches/: the crate folders alone, not the .diff files beside them, and without
        // the descriptor sets of prost-reflect's doctests (text files only: sync diffs them).
        files.retain(|(relative, _)| {
            folder != "patches"
                || (relative.contains('/')
                    && !relative.ends_with(".bin")
                    && !relative.ends_with(".orig"))
        });
        files.sort();
        out.push_str(&format!(
            "/// Files of `{folder}/`, relative to it, sorted.\npub const {constant}: &[(&str, &[u8])] = &[\n"
        ));
        for (relative, absolute) in &files {
            out.push_str(&format!(
                "    ({relative:?}, include_bytes!({absolute:?})),\n"
            ));
        }
        out.push_str("];\n");
    }
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out_dir.join("runtime_files.rs"), out).expect("OUT_DIR is writable");
    compiler_id(&root);
    for corpus in ["breaking", "lint"] {
        corpus_cases(&root, &out_dir, corpus);
    }
}

/// `OUT_DIR/<corpus>_cases.rs`: `case!(RULE__case_name, "RULE/case-name");` for every case
/// folder of fixtures/<corpus>, so `cargo test RULE` runs that rule's cases
/// (tests/buf_differential.rs and tests/lint_differential.rs define `case!`).
fn corpus_cases(root: &Path, out_dir: &Path, corpus: &str) {
    let dir = root.join("fixtures").join(corpus);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut ids = Vec::new();
    for rule in sorted_dirs(&dir) {
        for case in sorted_dirs(&rule) {
            ids.push((name(&rule), name(&case)));
        }
    }
    let mut out = String::new();
    for (rule, case) in ids {
        let ident: String = format!("{rule}__{case}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        out.push_str(&format!("case!({ident}, \"{rule}/{case}\");\n"));
    }
    std::fs::write(out_dir.join(format!("{corpus}_cases.rs")), out).expect("OUT_DIR is writable");
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `PROTOGEN_COMPILER`: the versions of the crates that turn .proto text into descriptors, and
/// a hash of protogen's patches to them. A cached compiled file is only valid for the compiler
/// that wrote it: protogen's own version does not move when a dependency is upgraded, and the
/// patched crates keep their published version when a patch learns to refuse a new mistake.
fn compiler_id(root: &Path) {
    let lock = root.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let wanted = [
        "protox",
        "protox-parse",
        "prost",
        "prost-types",
        "prost-reflect",
    ];
    let mut id = Vec::new();
    let mut name = "";
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ") {
            if wanted.contains(&name) {
                id.push(format!("{name} {}", v.trim_matches('"')));
            }
        }
    }
    id.sort();
    // The .diff beside each patched crate says all that differs from the published crate
    // (tests/vendored_patches.rs holds them to it).
    let mut patches = std::collections::hash_map::DefaultHasher::new();
    let mut diffs: Vec<PathBuf> = std::fs::read_dir(root.join("patches"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "diff"))
        .collect();
    diffs.sort();
    for diff in &diffs {
        println!("cargo:rerun-if-changed={}", diff.display());
        std::hash::Hash::hash(&std::fs::read(diff).unwrap_or_default(), &mut patches);
    }
    id.push(format!(
        "patches {:016x}",
        std::hash::Hasher::finish(&patches)
    ));
    println!("cargo:rustc-env=PROTOGEN_COMPILER={}", id.join(", "));
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("templates/ is readable") {
        let path = entry.expect("templates/ is readable").path();
        if path.is_dir() {
            collect(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under root");
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            files.push((relative, path.display().to_string()));
        }
    }
}

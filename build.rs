//! Embeds the files protogen copies verbatim into generated workspaces into the protogen binary,
//! so an installed protogen needs no source tree: the production runtime (`templates/runtime/`,
//! into every api crate) and the protoc-free prost-protovalidate-types (`templates/vendor/`,
//! into workspaces whose contract validates).

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut out = String::new();
    for (constant, folder) in [
        ("RUNTIME_FILES", "templates/runtime"),
        ("VENDOR_FILES", "templates/vendor"),
    ] {
        let dir = root.join(folder);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        if dir.is_dir() {
            collect(&dir, &dir, &mut files);
        }
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

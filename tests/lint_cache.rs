//! `lint` with stored findings prints the same bytes as a lint without the cache, step by step
//! through edits that a stale reuse would get wrong: a package-wide rule across files, an
//! imported file's change, an RPC type shared with another group of files (and no longer), a
//! rules change, damaged entries. Every test uses its own cache folder.

mod common;

use std::path::Path;
use std::process::Command;

fn lint(dir: &Path, format: &str, cache: Option<&Path>) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_protogen"));
    command.arg("lint").arg(dir).args(["--format", format]);
    match cache {
        Some(cache) => command
            .env("PROTOGEN_CACHE_DIR", cache)
            .env_remove("PROTOGEN_NO_CACHE"),
        None => command.arg("--no-cache"),
    };
    common::run(&mut command)
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn edit(dir: &Path, name: &str, from: &str, to: &str) {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {name}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

const A: &str = r#"syntax = "proto3";
package a.v1;
option go_package = "example.com/a";
import "a/v1/b.proto";
// Serves A.
service AService {
  // Gets.
  rpc Get(GetRequest) returns (GetResponse);
}
message GetRequest { string id = 1; B b = 2; }
message GetResponse { string id = 1; }
"#;

const B: &str = r#"syntax = "proto3";
package a.v1;
option go_package = "example.com/a";
message B { string id = 1; }
"#;

const C: &str = r#"syntax = "proto3";
package c.v1;
import "e/v1/e.proto";
message C { string someField = 1; }
"#;

const D: &str = r#"syntax = "proto3";
package d.v1;
message D { string id = 1; }
"#;

const E: &str = r#"syntax = "proto3";
package e.v1;
message E { string id = 1; }
"#;

/// What a step does to the module.
type Change = fn(&Path);

/// A step's name, what it does to the module, and a finding the step must bring (or take
/// away).
type Step = (
    &'static str,
    Change,
    Option<(&'static str, &'static str)>,
    bool,
);

#[test]
fn stored_lint_findings_are_those_of_a_lint_without_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("proto");
    for (name, text) in [
        ("a/v1/a.proto", A),
        ("a/v1/b.proto", B),
        ("c/v1/c.proto", C),
        ("d/v1/d.proto", D),
        ("e/v1/e.proto", E),
        (
            "buf.yaml",
            "version: v2\nlint:\n  use: [STANDARD, STABLE_PACKAGE_NO_IMPORT_UNSTABLE]\n",
        ),
    ] {
        write(&module, name, text);
    }
    let cache = dir.path().join("cache");
    let steps: &[Step] = &[
        ("as written", |_| {}, None, true),
        ("unchanged, warm", |_| {}, None, true),
        // Only b.proto changes; a.proto's finding comes from the package-wide rule.
        (
            "go_package of one file of a package",
            |m| edit(m, "a/v1/b.proto", "example.com/a", "example.com/b"),
            Some(("PACKAGE_SAME_GO_PACKAGE", "a/v1/a.proto")),
            true,
        ),
        // c.proto's bytes stay; the file it imports becomes unstable.
        (
            "an imported file's package",
            |m| edit(m, "e/v1/e.proto", "package e.v1;", "package e.v1beta1;"),
            Some(("STABLE_PACKAGE_NO_IMPORT_UNSTABLE", "c/v1/c.proto")),
            true,
        ),
        // d.proto's RPC shares a.proto's request type: a.proto, unchanged, gets a finding.
        (
            "an RPC type shared with another group",
            |m| {
                write(
                    m,
                    "d/v1/d.proto",
                    &D.replace(
                        "package d.v1;",
                        "package d.v1;\nimport \"a/v1/a.proto\";\nservice DService {\n  rpc Get(a.v1.GetRequest) returns (D);\n}",
                    ),
                )
            },
            Some(("RPC_REQUEST_RESPONSE_UNIQUE", "a/v1/a.proto")),
            true,
        ),
        (
            "no longer shared",
            |m| write(m, "d/v1/d.proto", D),
            Some(("RPC_REQUEST_RESPONSE_UNIQUE", "a/v1/a.proto")),
            false,
        ),
        (
            "rules changed",
            |m| {
                write(
                    m,
                    "buf.yaml",
                    "version: v2\nlint:\n  use: [STANDARD, COMMENTS]\n  except: [FIELD_LOWER_SNAKE_CASE]\n",
                )
            },
            Some(("COMMENT_MESSAGE", "d/v1/d.proto")),
            true,
        ),
        ("damaged entries", |_| {}, None, true),
    ];
    let mut reused = 0;
    for (name, change, finding, present) in steps {
        change(&module);
        if *name == "damaged entries" {
            damage(&cache);
        }
        for format in ["json", "text"] {
            let expected = lint(&module, format, None);
            assert!(matches!(expected.0, 0 | 1), "{name}: {}", expected.2);
            let before = entries(&cache);
            let cached = lint(&module, format, Some(&cache));
            assert!(
                cached == expected,
                "{name} ({format}): with the cache\n{}\nwithout\n{}",
                cached.1,
                expected.1
            );
            if format == "json" {
                if let Some((rule, path)) = finding {
                    let report: serde_json::Value = serde_json::from_str(&expected.1).unwrap();
                    let found = report["findings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|f| f["rule"] == *rule && f["path"] == *path);
                    assert_eq!(found, *present, "{name}: {rule} in {path}\n{}", expected.1);
                }
                if *name == "unchanged, warm" && entries(&cache).len() == before.len() {
                    reused += 1;
                }
            }
        }
    }
    assert_eq!(
        reused, 1,
        "a warm run with nothing changed stores nothing new"
    );
}

/// Every entry file of a cache folder, with its length.
fn entries(cache: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut found: Vec<_> = walkdir::WalkDir::new(cache)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_path_buf(), e.metadata().unwrap().len()))
        .collect();
    found.sort();
    found
}

/// Cuts every entry of the cache folder in half.
fn damage(cache: &Path) {
    for (path, len) in entries(cache) {
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..(len / 2) as usize]).unwrap();
    }
}

/// A workspace of two modules (buf.yaml v2) with their own rules, a package in both and an
/// import across them: each module lints its own files, with and without stored findings.
#[test]
fn stored_lint_findings_of_workspace_modules_are_those_of_a_lint_without_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ws");
    let cache = dir.path().join("cache");
    write(
        &root,
        "buf.yaml",
        "version: v2\nmodules:\n  - path: one\n    lint:\n      use: [STANDARD, STABLE_PACKAGE_NO_IMPORT_UNSTABLE]\n  - path: two\n    lint:\n      use: [MINIMAL, FIELD_LOWER_SNAKE_CASE]\n",
    );
    write(
        &root,
        "one/shared/v1/x.proto",
        "syntax = \"proto3\";\npackage shared.v1;\noption go_package = \"example.com/x\";\nimport \"lib/v1/lib.proto\";\nmessage X { lib.v1.Lib lib = 1; string someField = 2; }\n",
    );
    write(
        &root,
        "two/shared/v1/y.proto",
        "syntax = \"proto3\";\npackage shared.v1;\noption go_package = \"example.com/y\";\nmessage Y { string otherField = 1; }\n",
    );
    write(
        &root,
        "two/lib/v1/lib.proto",
        "syntax = \"proto3\";\npackage lib.v1;\nmessage Lib { string id = 1; }\n",
    );
    let steps: &[(&str, Change)] = &[
        ("as written", |_| {}),
        ("unchanged, warm", |_| {}),
        ("the other module's import becomes unstable", |r| {
            edit(
                r,
                "two/lib/v1/lib.proto",
                "package lib.v1;",
                "package lib.v1beta1;",
            );
            edit(r, "one/shared/v1/x.proto", "lib.v1.Lib", "lib.v1beta1.Lib");
        }),
        ("a module's rules", |r| {
            edit(
                r,
                "buf.yaml",
                "use: [MINIMAL, FIELD_LOWER_SNAKE_CASE]",
                "use: [MINIMAL]",
            );
        }),
    ];
    let mut findings = Vec::new();
    for (name, change) in steps {
        change(&root);
        let expected = lint(&root, "json", None);
        assert!(matches!(expected.0, 0 | 1), "{name}: {}", expected.2);
        let cached = lint(&root, "json", Some(&cache));
        assert!(
            cached == expected,
            "{name}: with the cache\n{}\nwithout\n{}",
            cached.1,
            expected.1
        );
        findings.push(expected.1);
    }
    assert!(findings[0].contains("\"one/shared/v1/x.proto\""));
    assert!(findings[0].contains("otherField"), "{}", findings[0]);
    assert!(
        !findings[0].contains("PACKAGE_SAME_GO_PACKAGE"),
        "{}",
        findings[0]
    );
    assert!(
        findings.windows(2).skip(1).all(|w| w[0] != w[1]),
        "every edit changes the findings"
    );
}

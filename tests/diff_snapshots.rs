//! `protogen diff` on the fixture pairs under fixtures/diff/<case>/{old,new}, in all three
//! formats: the snapshots are the reviewed output.

use std::path::PathBuf;

use assert_cmd::Command;

const CASES: &[&str] = &["rename", "type_change", "oneof", "streaming", "mixed"];

fn case_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/diff")
        .join(case)
}

/// Runs `protogen diff old new ARGS` inside the case folder, so paths in the output are
/// the same on every machine.
fn diff(case: &str, args: &[&str]) -> String {
    let output = Command::cargo_bin("protogen")
        .unwrap()
        .current_dir(case_dir(case))
        .env_remove("NO_COLOR")
        .args(["diff", "old", "new"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn text() {
    for case in CASES {
        insta::assert_snapshot!(format!("{case}.txt"), diff(case, &["--format", "text"]));
    }
}

#[test]
fn markdown() {
    let link = "https://github.com/acme/shop/blob/0123abc/proto";
    for case in CASES {
        let out = diff(case, &["--format", "markdown", "--link-base", link]);
        insta::assert_snapshot!(format!("{case}.md"), out);
    }
}

#[test]
fn json() {
    for case in CASES {
        let out = diff(case, &["--format", "json"]);
        let parsed: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert!(parsed["changes"].is_array());
        insta::assert_snapshot!(format!("{case}.json"), out);
    }
}

#[test]
fn comment_changes_only_with_include_docs() {
    let without = diff("mixed", &["--format", "json"]);
    assert!(!without.contains("\"docs\","), "{without}");
    let with = diff("mixed", &["--format", "markdown", "--include-docs"]);
    assert!(with.contains("### Documentation (2)"), "{with}");
    insta::assert_snapshot!("mixed-docs.md", with);
}

#[test]
fn no_colour_when_piped() {
    // stdout is a pipe here, so no escape codes even without NO_COLOR.
    assert!(!diff("mixed", &[]).contains('\x1b'));
}

#[test]
fn identical_contracts_have_no_changes() {
    let output = Command::cargo_bin("protogen")
        .unwrap()
        .current_dir(case_dir("mixed"))
        .args(["diff", "new", "new", "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "**Contract changes:** no changes\n"
    );
}

#[test]
fn unreadable_input_exits_2_and_names_the_side() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.proto"),
        "syntax = \"proto3\";\nmessage A {\n  strin x = 1;\n}\n",
    )
    .unwrap();
    let output = Command::cargo_bin("protogen")
        .unwrap()
        .current_dir(case_dir("mixed"))
        .arg("diff")
        .arg(dir.path())
        .arg("new")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("old contract") || stderr.contains("baseline contract"),
        "{stderr}"
    );
    assert!(stderr.contains("a.proto:3:"), "{stderr}");
}

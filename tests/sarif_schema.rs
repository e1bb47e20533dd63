//! `--format sarif` of `check` and `lint` validated against the SARIF 2.1.0 JSON schema (the
//! copy in @microsoft/jest-sarif, installed by `cargo xtask setup`) with ajv, on Node.js.

mod common;

use std::path::Path;
use std::process::Command;

const SCHEMA: &str = ".tools/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

#[test]
fn check_and_lint_sarif_are_valid_sarif_2_1_0() {
    let (Some(node), Some(_)) = (common::peer_command("node"), common::peer(SCHEMA)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old"), dir.path().join("new"));
    write(
        &old.join("shop/v1/shop.proto"),
        "syntax = \"proto3\";\npackage shop.v1;\nmessage Item {\n  string id = 1;\n  int32 count = 2;\n}\nmessage Gone {}\n",
    );
    // A field's type changes, a message is deleted, a field has a lint finding (camelCase).
    write(
        &new.join("shop/v1/shop.proto"),
        "syntax = \"proto3\";\npackage shop.v1;\nmessage Item {\n  string id = 1;\n  string count = 2;\n  string itemName = 3;\n}\n",
    );
    let mut files = Vec::new();
    for (name, args) in [
        (
            "check.sarif",
            vec![
                "check".as_ref(),
                new.as_os_str(),
                "--against".as_ref(),
                old.as_os_str(),
            ],
        ),
        ("lint.sarif", vec!["lint".as_ref(), new.as_os_str()]),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
            .args(&args)
            .args(["--format", "sarif"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{name}: findings expected");
        let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            !log["runs"][0]["results"].as_array().unwrap().is_empty(),
            "{name}: no results to validate"
        );
        let path = dir.path().join(name);
        std::fs::write(&path, &output.stdout).unwrap();
        files.push(path);
    }
    let output = Command::new(node)
        .arg(common::project_root().join("tests/sarif/validate.js"))
        .arg(common::project_root().join(".tools"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "not valid SARIF 2.1.0:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The validator rejects what is not SARIF, so the test above can fail.
#[test]
fn the_validator_rejects_a_broken_log() {
    let (Some(node), Some(_)) = (common::peer_command("node"), common::peer(SCHEMA)) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sarif");
    std::fs::write(
        &path,
        r#"{"version":"2.1.0","runs":[{"results":[{"level":"fatal","message":{}}]}]}"#,
    )
    .unwrap();
    let output = Command::new(node)
        .arg(common::project_root().join("tests/sarif/validate.js"))
        .arg(common::project_root().join(".tools"))
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("must have required property 'tool'"));
}

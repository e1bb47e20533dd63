//! `protogen lint` from the outside: exit codes, the JSON shape, text with a caret, the other
//! formats, `--list-rules`, configuration errors and protos that do not compile.

use std::path::Path;
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;
use tempfile::TempDir;

const CLEAN: &str = "syntax = \"proto3\";\n\npackage users.v1;\n\nmessage GetUserRequest {\n  string user_id = 1;\n}\n\nmessage GetUserResponse {\n  string name = 1;\n}\n\nservice UserService {\n  rpc GetUser(GetUserRequest) returns (GetUserResponse);\n}\n";

fn module(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn lint(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    cmd.arg("lint").arg(dir).args(args);
    cmd
}

#[test]
fn a_clean_module_exits_0() {
    let dir = module(&[("users/v1/users.proto", CLEAN)]);
    lint(dir.path(), &["--format", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"findings\": []"));
}

#[test]
fn findings_exit_1_with_the_json_contract() {
    let bad = CLEAN.replace("string user_id", "string userId");
    let dir = module(&[("users/v1/users.proto", &bad)]);
    let out = lint(dir.path(), &["--format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = &report["findings"][0];
    assert_eq!(finding["rule"], "FIELD_LOWER_SNAKE_CASE");
    assert_eq!(finding["path"], "users/v1/users.proto");
    assert_eq!(finding["line"], 6);
    assert_eq!(finding["column"], 10);
    assert!(finding["message"]
        .as_str()
        .unwrap()
        .contains("such as \"user_id\""));
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn text_points_at_the_name_and_other_formats_render() {
    let bad = CLEAN.replace("service UserService", "service Users");
    let dir = module(&[("users/v1/users.proto", &bad)]);
    lint(dir.path(), &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("SERVICE_SUFFIX"))
        .stdout(predicate::str::contains("users/v1/users.proto:13:9"))
        .stdout(predicate::str::contains("service Users {"));
    for (format, marker) in [
        ("github", "::error file="),
        ("markdown", "SERVICE_SUFFIX"),
        ("sarif", "\"ruleId\": \"SERVICE_SUFFIX\""),
        ("junit", "<testsuite"),
    ] {
        lint(dir.path(), &["--format", format])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(marker));
    }
}

#[test]
fn protogen_toml_lint_settings_apply() {
    let bad = CLEAN.replace("service UserService", "service UserAPI");
    let dir = module(&[
        ("users/v1/users.proto", &bad),
        ("protogen.toml", "[lint]\nservice_suffix = \"API\"\n"),
    ]);
    lint(dir.path(), &[]).assert().code(0);
    std::fs::write(
        dir.path().join("protogen.toml"),
        "[lint]\nuse = [\"COMMENTS\"]\n",
    )
    .unwrap();
    lint(dir.path(), &["--format", "json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("COMMENT_MESSAGE"));
}

#[test]
fn bad_configuration_and_broken_protos_exit_2() {
    let dir = module(&[
        ("users/v1/users.proto", CLEAN),
        ("buf.yaml", "version: v2\nlint:\n  use: [NOT_A_RULE]\n"),
    ]);
    lint(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("NOT_A_RULE"))
        .stderr(predicate::str::contains("--list-rules"));
    // A v1beta1-only category is unknown in v2.
    std::fs::write(
        dir.path().join("buf.yaml"),
        "version: v2\nlint:\n  use: [STYLE_BASIC]\n",
    )
    .unwrap();
    lint(dir.path(), &[]).assert().code(2);
    std::fs::write(
        dir.path().join("buf.yaml"),
        "version: v1beta1\nlint:\n  use: [STYLE_BASIC]\n",
    )
    .unwrap();
    lint(dir.path(), &[]).assert().code(0);

    let broken = module(&[("users/v1/users.proto", "syntax = \"proto3\";\nmessage {\n")]);
    lint(broken.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("users/v1/users.proto"));
    lint(&broken.path().join("missing"), &[]).assert().code(2);
}

#[test]
fn workspace_module_configuration_errors_exit_2_and_name_the_module() {
    // buf.yaml v2 paths are relative to buf.yaml: a module's own ignore outside the module
    // is buf's error too, with the fix in the help.
    let dir = module(&[
        ("proto/users/v1/users.proto", CLEAN),
        ("other/other.proto", "syntax = \"proto3\";\npackage other;\n"),
        (
            "buf.yaml",
            "version: v2\nmodules:\n  - path: proto\n    lint:\n      ignore: [legacy]\n  - path: other\n",
        ),
    ]);
    lint(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("in the module at proto"))
        .stderr(predicate::str::contains("write \"proto/legacy\""));
    // An unknown rule in one directory of a buf.work.yaml names that directory.
    let work = module(&[
        ("a/users/v1/users.proto", CLEAN),
        ("a/buf.yaml", "version: v1\nlint:\n  use: [NOT_A_RULE]\n"),
        ("buf.work.yaml", "version: v1\ndirectories: [a]\n"),
    ]);
    lint(work.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("(module a)"))
        .stderr(predicate::str::contains("NOT_A_RULE"));
}

#[test]
fn list_rules_names_every_rule_with_its_categories() {
    let out = Command::cargo_bin("protogen")
        .unwrap()
        .args(["lint", "--list-rules"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for rule in protogen::lint::RULES {
        assert!(text.contains(rule.id), "{} is not listed", rule.id);
    }
    assert!(text.contains("FIELD_NO_DESCRIPTOR"));
    assert!(text.contains("MINIMAL,BASIC,DEFAULT,STANDARD"));
}

/// buf/validate/validate.proto comes from protogen when the module lacks it; an import used
/// only by its options is used (as buf sees it), and one used by nothing is not.
#[test]
fn an_import_protogen_provides_counts_its_options_as_uses() {
    let ruled = CLEAN
        .replace(
            "package users.v1;\n",
            "package users.v1;\n\nimport \"buf/validate/validate.proto\";\n",
        )
        .replace(
            "string user_id = 1;",
            "string user_id = 1 [(buf.validate.field).string.min_len = 1];",
        );
    let dir = module(&[("users/v1/users.proto", &ruled)]);
    lint(dir.path(), &["--format", "json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"findings\": []"));

    let unused = CLEAN.replace(
        "package users.v1;\n",
        "package users.v1;\n\nimport \"buf/validate/validate.proto\";\n",
    );
    let dir = module(&[("users/v1/users.proto", &unused)]);
    lint(dir.path(), &["--format", "json"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("IMPORT_USED"));
}

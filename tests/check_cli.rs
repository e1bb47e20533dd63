//! `protogen check` from the outside: exit codes, every output format, configuration
//! (protogen.toml, buf.yaml v1 and v2), acknowledged breaks, severities, git baselines.

mod common;

use common::git;

use std::path::Path;
use std::process::Command;

use assert_cmd::prelude::*;
use predicates::prelude::*;
use tempfile::TempDir;

const BEFORE: &str = r#"syntax = "proto3";
package users.v1;

message User {
  string id = 1;
  string full_name = 2;
  string role = 3;
}

service Users {
  rpc Get(User) returns (User);
  rpc Delete(User) returns (User);
}
"#;

/// Deletes field 3, renames field 2, changes RPC Get to server streaming, deletes Delete.
const AFTER: &str = r#"syntax = "proto3";
package users.v1;

message User {
  string id = 1;
  string name = 2;
}

service Users {
  rpc Get(User) returns (stream User);
}
"#;

/// A workspace with `prev/users/v1/users.proto` and `cur/users/v1/users.proto`.
fn pair(before: &str, after: &str) -> TempDir {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "prev/users/v1/users.proto", before);
    write(dir.path(), "cur/users/v1/users.proto", after);
    dir
}

fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn check(dir: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    cmd.current_dir(dir)
        .args(["check", "cur", "--against", "prev"])
        .args(extra);
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

fn rules_in_json(out: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(out).expect("one JSON object");
    value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn no_change_exits_zero() {
    let dir = pair(BEFORE, BEFORE);
    check(dir.path(), &[])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("ok: no breaking changes"));
}

#[test]
fn breaking_changes_exit_one_with_rule_ids() {
    let dir = pair(BEFORE, AFTER);
    check(dir.path(), &[])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[FIELD_NO_DELETE]"))
        .stdout(predicate::str::contains(
            " --> cur/users/v1/users.proto:4:1",
        ));
}

#[test]
fn every_format_is_stable() {
    let dir = pair(BEFORE, AFTER);
    for format in ["text", "json", "github", "markdown", "sarif", "junit"] {
        let out = stdout(&mut check(dir.path(), &["--format", format]));
        let out = out.replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(format!("format_{format}"), out);
    }
}

#[test]
fn json_has_the_fixed_keys_and_buf_locations() {
    let dir = pair(BEFORE, AFTER);
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = value["findings"].as_array().unwrap();
    let field = findings
        .iter()
        .find(|f| f["rule"] == "FIELD_NO_DELETE")
        .expect("FIELD_NO_DELETE");
    // buf points at the message that lost the field.
    assert_eq!(field["path"], "users/v1/users.proto");
    assert_eq!(field["line"], 4);
    assert_eq!(field["column"], 1);
    assert_eq!(field["element"], "users.v1.User.role");
    assert!(field["message"]
        .as_str()
        .unwrap()
        .contains("reserve 3 and \"role\""));
    let name = findings
        .iter()
        .find(|f| f["rule"] == "FIELD_SAME_NAME")
        .unwrap();
    assert_eq!(
        (name["line"].as_u64(), name["column"].as_u64()),
        (Some(6), Some(10))
    );
}

#[test]
fn broken_current_proto_names_side_file_and_line() {
    let dir = pair(
        BEFORE,
        "syntax = \"proto3\";\npackage users.v1;\nmessage User {\n  strin id = 1;\n}\n",
    );
    check(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("current"))
        .stderr(predicate::str::contains("users/v1/users.proto"))
        .stderr(predicate::str::contains("4"));
}

#[test]
fn broken_baseline_says_baseline() {
    let dir = pair("syntax = \"proto3\";\nmessage {\n", BEFORE);
    check(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("baseline"))
        .stderr(predicate::str::contains("users/v1/users.proto"));
}

#[test]
fn missing_baseline_says_baseline() {
    let dir = pair(BEFORE, BEFORE);
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    cmd.current_dir(dir.path())
        .args(["check", "cur", "--against", "no-such-thing"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("baseline"));
}

#[test]
fn list_rules_prints_all_64_with_categories() {
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    let out = stdout(cmd.args(["check", "--list-rules"]));
    assert!(out.contains("64 rules"));
    let line = out
        .lines()
        .find(|l| l.starts_with("FIELD_NO_DELETE "))
        .expect("FIELD_NO_DELETE listed");
    assert!(line.contains("CSR,FILE,PACKAGE"), "{line}");
    assert_eq!(out.lines().filter(|l| l.contains("_")).count(), 64);
}

#[test]
fn buf_yaml_v2_selects_rules_and_ignores() {
    let dir = pair(BEFORE, AFTER);
    // WIRE does not care about names: only the deleted field (number unreserved) and
    // the streaming change remain.
    write(
        dir.path(),
        "cur/buf.yaml",
        "version: v2\nmodules:\n  - path: .\nbreaking:\n  use: [WIRE]\n",
    );
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    assert_eq!(
        rules_in_json(&out),
        [
            "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
            "RPC_SAME_SERVER_STREAMING"
        ]
    );
    write(
        dir.path(),
        "cur/buf.yaml",
        "version: v2\nbreaking:\n  use: [FILE]\n  ignore: [users/v1]\n",
    );
    check(dir.path(), &[]).assert().code(0);
}

#[test]
fn buf_yaml_v1_except_and_ignore_only() {
    let dir = pair(BEFORE, AFTER);
    write(
        dir.path(),
        "cur/buf.yaml",
        "version: v1\nbreaking:\n  use: [FILE]\n  except: [FIELD_SAME_NAME, FIELD_SAME_JSON_NAME]\n  ignore_only:\n    RPC_NO_DELETE: [users/v1/users.proto]\n",
    );
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    assert_eq!(
        rules_in_json(&out),
        ["FIELD_NO_DELETE", "RPC_SAME_SERVER_STREAMING"]
    );
}

#[test]
fn unstable_packages_can_be_ignored() {
    let alpha = |s: &str| s.replace("users.v1", "users.v1alpha1");
    let dir = pair(&alpha(BEFORE), &alpha(AFTER));
    write(
        dir.path(),
        "cur/protogen.toml",
        "[breaking]\nignore_unstable_packages = true\n",
    );
    check(dir.path(), &[]).assert().code(0);
}

#[test]
fn protogen_toml_severity_and_allow() {
    let dir = pair(BEFORE, AFTER);
    write(
        dir.path(),
        "cur/protogen.toml",
        r#"[breaking]
use = ["FILE"]
[breaking.severity]
FIELD_SAME_NAME = "warn"
FIELD_SAME_JSON_NAME = "warn"
RPC_SAME_SERVER_STREAMING = "warn"
[[breaking.allow]]
rule = "FIELD_NO_DELETE"
element = "users.v1.User.role"
reason = "roles moved to the authz service"
[[breaking.allow]]
rule = "RPC_NO_DELETE"
element = "users.v1.Users.Delete"
"#,
    );
    let output = check(dir.path(), &[]).output().unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("warning[FIELD_SAME_NAME]"), "{out}");
    assert!(out.contains("roles moved to the authz service"), "{out}");
    assert!(out.contains("2 breaks acknowledged"), "{out}");
}

#[test]
fn allow_breaking_comment_acknowledges_one_element() {
    let after = AFTER.replace(
        "message User {",
        "// protogen:allow-breaking FIELD_NO_DELETE roles live in authz now\nmessage User {",
    );
    let dir = pair(BEFORE, &after);
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!rules_in_json(&out).contains(&"FIELD_NO_DELETE".to_string()));
    assert!(rules_in_json(&out).contains(&"RPC_NO_DELETE".to_string()));
    assert_eq!(value["acknowledged"][0]["rule"], "FIELD_NO_DELETE");
    assert_eq!(
        value["acknowledged"][0]["reason"],
        "roles live in authz now"
    );
}

#[test]
fn unknown_rule_in_config_is_bad_input() {
    let dir = pair(BEFORE, AFTER);
    write(
        dir.path(),
        "cur/protogen.toml",
        "[breaking]\nuse = [\"FIELD_NO_DELET\"]\n",
    );
    check(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIELD_NO_DELET"))
        .stderr(predicate::str::contains("protogen.toml"));
}

#[test]
fn git_baselines() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, "proto/users/v1/users.proto", BEFORE);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "first"]);
    let first = git(root, &["rev-parse", "HEAD"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(root, "proto/users/v1/users.proto", AFTER);
    git(root, &["commit", "-q", "-am", "second"]);

    for baseline in ["HEAD~1", "main", first.as_str()] {
        let mut cmd = Command::cargo_bin("protogen").unwrap();
        let out = cmd
            .current_dir(root)
            .args(["check", "proto", "--against", baseline, "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{baseline}");
        let rules = rules_in_json(&String::from_utf8(out.stdout).unwrap());
        assert!(
            rules.contains(&"FIELD_NO_DELETE".to_string()),
            "{baseline}: {rules:?}"
        );
    }
    // The branch tip holds the work tree's contract: nothing changed.
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    cmd.current_dir(root)
        .args(["check", "proto", "--against", "feature"])
        .assert()
        .code(0);
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    cmd.current_dir(root)
        .args(["check", "proto", "--against", "no-such-branch"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("baseline"))
        .stderr(predicate::str::contains("no-such-branch"));
}

/// A git baseline is laid out with its own buf.yaml as it was at that ref, not the work
/// tree's: a module that moved from v1beta1 `build.roots` to v1 reports only the files that
/// were really deleted, as buf does (fixtures/breaking/FILE_NO_DELETE/breaks-v1beta1-roots-to-v1
/// holds buf's findings for the same two trees as directories); `diff` lays out both sides so.
#[test]
fn git_baselines_are_laid_out_with_their_own_configuration() {
    let case =
        common::project_root().join("fixtures/breaking/FILE_NO_DELETE/breaks-v1beta1-roots-to-v1");
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    git(root, &["init", "-q", "-b", "main"]);
    common::copy_dir(&case.join("previous"), root);
    git(root, &["add", "."]);
    git(root, &["commit", "-q", "-m", "v1beta1"]);
    git(root, &["rm", "-q", "-r", "."]);
    common::copy_dir(&case.join("current"), root);
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    let out = cmd
        .current_dir(root)
        .args(["check", ".", "--against", "main", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(messages[0].contains("a/v1/b.proto") && messages[1].contains("a/v1/c.proto"));
    let mut cmd = Command::cargo_bin("protogen").unwrap();
    let out = cmd
        .current_dir(root)
        .args(["diff", "main", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Laid out with the work tree's configuration, the baseline's three files would be named
    // proto/a/v1/*.proto: three deleted, one added.
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["breaking"], 2, "{json}");
    assert_eq!(json["summary"]["added"], 0, "{json}");
}

#[test]
fn descriptor_set_baselines_match_the_directory() {
    let Some(buf) = common::buf() else { return };
    let dir = pair(
        &BEFORE.replace(
            "package users.v1;\n",
            "package users.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
        ),
        &AFTER.replace(
            "package users.v1;\n",
            "package users.v1;\nimport \"google/protobuf/timestamp.proto\";\n",
        ),
    );
    let by_dir = stdout(&mut check(dir.path(), &["--format", "json"]));
    let expected = rules_in_json(&by_dir);
    assert!(expected.contains(&"FIELD_NO_DELETE".to_string()));
    // With imports (the well-known types are not "deleted files"), without source info.
    for flags in [
        &[][..],
        &["--exclude-source-info"][..],
        &["--exclude-imports"][..],
    ] {
        let status = Command::new(&buf)
            .current_dir(dir.path().join("prev"))
            .args(["build", "-o", "../image.binpb"])
            .args(flags)
            .status()
            .unwrap();
        assert!(status.success());
        let mut cmd = Command::cargo_bin("protogen").unwrap();
        let out = stdout(cmd.current_dir(dir.path()).args([
            "check",
            "cur",
            "--against",
            "image.binpb",
            "--format",
            "json",
        ]));
        assert_eq!(rules_in_json(&out), expected, "buf build {flags:?}");
    }
}

#[test]
fn package_rules_allow_moves_between_files() {
    let dir = TempDir::new().unwrap();
    let root = dir.path();
    write(
        root,
        "prev/a.proto",
        "syntax = \"proto3\";\npackage p.v1;\nmessage A {}\nmessage B {}\n",
    );
    write(
        root,
        "cur/a.proto",
        "syntax = \"proto3\";\npackage p.v1;\nmessage A {}\n",
    );
    write(
        root,
        "cur/b.proto",
        "syntax = \"proto3\";\npackage p.v1;\nmessage B {}\n",
    );
    let out = stdout(&mut check(root, &["--format", "json"]));
    assert_eq!(rules_in_json(&out), ["MESSAGE_NO_DELETE"]);
    write(
        root,
        "cur/protogen.toml",
        "[breaking]\nuse = [\"PACKAGE\"]\n",
    );
    check(root, &[]).assert().code(0);
    // Deleting it for good is caught per package too.
    std::fs::remove_file(root.join("cur/b.proto")).unwrap();
    let out = stdout(&mut check(root, &["--format", "json"]));
    assert_eq!(rules_in_json(&out), ["PACKAGE_MESSAGE_NO_DELETE"]);
}

#[test]
fn allow_breaking_needs_the_right_rule_and_element() {
    // A trailing comment on the RPC acknowledges its streaming change; the same marker for
    // another rule does not, and it does not spill over to other elements.
    let after = AFTER.replace(
        "rpc Get(User) returns (stream User);",
        "rpc Get(User) returns (stream User); // protogen:allow-breaking RPC_SAME_SERVER_STREAMING v2 clients only\n  // protogen:allow-breaking FIELD_SAME_TYPE not this one",
    );
    let dir = pair(BEFORE, &after);
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    let rules = rules_in_json(&out);
    assert!(
        !rules.contains(&"RPC_SAME_SERVER_STREAMING".to_string()),
        "{rules:?}"
    );
    assert!(rules.contains(&"RPC_NO_DELETE".to_string()), "{rules:?}");
    assert!(rules.contains(&"FIELD_NO_DELETE".to_string()), "{rules:?}");
}

/// A proto that imports a file from a buf dependency (`deps:` in buf.yaml).
const WITH_DEP: &str = r#"syntax = "proto3";
package users.v1;

import "google/type/date.proto";

message User {
  string id = 1;
  google.type.Date born = 2;
}
"#;

const DATE: &str = r#"syntax = "proto3";
package google.type;

message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
"#;

#[test]
fn imports_from_buf_deps_that_are_not_vendored_name_the_dependency() {
    let dir = pair(WITH_DEP, WITH_DEP);
    let yaml = "version: v2\ndeps:\n  - buf.build/googleapis/googleapis\n";
    write(dir.path(), "cur/buf.yaml", yaml);
    check(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("google/type/date.proto"))
        .stderr(predicate::str::contains("buf.build/googleapis/googleapis"))
        .stderr(predicate::str::contains(
            "buf export buf.build/googleapis/googleapis -o vendor/",
        ));

    // Vendored as the help says: imports resolve, and vendor/ is not judged (deleting a
    // vendored file from the current side breaks nothing).
    write(dir.path(), "cur/vendor/google/type/date.proto", DATE);
    write(dir.path(), "prev/vendor/google/type/date.proto", DATE);
    write(
        dir.path(),
        "prev/vendor/google/type/gone.proto",
        DATE.replace("Date", "Gone").as_str(),
    );
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    assert_eq!(rules_in_json(&out), Vec::<String>::new(), "{out}");
}

#[test]
fn v1_rules_run_under_buf_yaml_v1_and_are_refused_under_v2() {
    let dir = pair(BEFORE, AFTER);
    write(
        dir.path(),
        "cur/buf.yaml",
        "version: v1\nbreaking:\n  use: [FIELD_SAME_LABEL, FIELD_NO_DELETE, MESSAGE_SAME_MESSAGE_SET_WIRE_FORMAT]\n",
    );
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    assert_eq!(rules_in_json(&out), ["FIELD_NO_DELETE"]);

    write(
        dir.path(),
        "cur/buf.yaml",
        "version: v2\nbreaking:\n  use: [FIELD_SAME_LABEL]\n",
    );
    check(dir.path(), &[])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("FIELD_SAME_LABEL"))
        .stderr(predicate::str::contains("buf.yaml"));
}

#[test]
fn build_roots_print_paths_from_the_module_root_with_the_source_line() {
    let dir = pair(BEFORE, AFTER);
    for side in ["prev", "cur"] {
        let from = dir.path().join(side).join("users");
        let to = dir.path().join(side).join("proto/users");
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::rename(from, to).unwrap();
        write(
            dir.path(),
            &format!("{side}/buf.yaml"),
            "version: v1beta1\nbuild:\n  roots: [proto]\nbreaking:\n  use: [FIELD_NO_DELETE]\n",
        );
    }
    let out = stdout(&mut check(dir.path(), &["--format", "json"]));
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["findings"][0]["path"], "proto/users/v1/users.proto");
    let text = stdout(&mut check(dir.path(), &[]));
    assert!(
        text.contains("message User {"),
        "the caret shows the source line:\n{text}"
    );
}

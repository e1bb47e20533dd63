//! The consumer scenario: one producer and two consumers scaffolded from one contract. A
//! change to a field that only consumer A's RPC reaches breaks A and leaves B safe; deleting
//! an RPC that B never calls is safe for B. Also: locks found by default, bad locks.

mod common;

use common::{copy_dir, run};

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn protogen() -> Command {
    Command::cargo_bin("protogen").unwrap()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// `work/v1` (the baseline), `work/proto` (the contract, edited by the tests), and two
/// scaffolded workspaces: `shop` (producer shop-server; consumer A, shop-client, narrowed to
/// UsersService/FindOne) and `audit` (consumer B, audit-client, calling OrdersService).
struct Scenario {
    _tmp: tempfile::TempDir,
    work: std::path::PathBuf,
}

impl Scenario {
    fn new() -> Scenario {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().to_path_buf();
        copy_dir(
            &common::project_root().join("fixtures/proto"),
            &work.join("v1"),
        );
        copy_dir(
            &common::project_root().join("fixtures/proto"),
            &work.join("proto"),
        );
        let new = |name: &str, proto: &str| {
            let (code, _, err) = run(protogen()
                .args(["new", name, "--proto", proto, "--out", name])
                .current_dir(&work));
            assert_eq!(code, 0, "{err}");
        };
        new("shop", "proto");
        new("audit", "proto/orders/v1/orders.proto");
        // Consumer A calls one RPC only: narrow it, and lock it again.
        edit(
            &work.join("shop/protogen.toml"),
            "calls = [\n    \"orders.v1.OrdersService\",\n    \"users.v1.UsersService\",\n]",
            "calls = [\n    \"users.v1.UsersService/FindOne\",\n]",
        );
        let (code, out, err) = run(protogen()
            .args(["sync", "shop", "--lock"])
            .current_dir(&work));
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains("locked shop-client/protogen.lock: consumer of 1 RPC,"),
            "{out}"
        );
        Scenario { _tmp: tmp, work }
    }

    fn check(&self, format: &str) -> (i32, String, String) {
        run(protogen()
            .args([
                "check",
                "proto",
                "--against",
                "v1",
                "--consumers",
                "*/*-client/protogen.lock",
                "--format",
                format,
            ])
            .current_dir(&self.work))
    }
}

#[test]
fn a_field_only_a_reaches_breaks_a_and_leaves_b_safe() {
    let s = Scenario::new();
    edit(
        &s.work.join("proto/users/v1/users.proto"),
        "message UserById {\n  string id = 1;",
        "message UserById {\n  int64 id = 1;",
    );
    let (code, text, err) = s.check("text");
    println!("--- text ---\n{text}{err}");
    assert_eq!(code, 1, "{err}");
    let a = text
        .lines()
        .find(|l| l.contains("shop-client (lock "))
        .expect("a line for A");
    assert!(a.contains(" breaks: users.v1.UserById.id (field 1) changed type string -> int64, reached through UsersService/FindOne request"), "{a}");
    let b = text
        .lines()
        .find(|l| l.contains("audit-client (lock "))
        .expect("a line for B");
    assert!(
        b.contains(" safe: ") && b.contains("users.v1.UserById.id"),
        "{b}"
    );

    let (code, markdown, _) = s.check("markdown");
    println!("--- markdown ---\n{markdown}");
    assert_eq!(code, 1);
    assert!(
        markdown.contains("| `shop-client` |") && markdown.contains("**breaks**"),
        "{markdown}"
    );

    let (code, json, _) = s.check("json");
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(!json["findings"].as_array().unwrap().is_empty());
    let consumers = json["consumers"].as_array().unwrap();
    let verdict = |name: &str| {
        consumers
            .iter()
            .find(|c| c["crate"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(verdict("shop-client")["status"], "breaks");
    assert_eq!(
        verdict("shop-client")["breaks"][0]["element"],
        "users.v1.UserById.id"
    );
    assert_eq!(
        verdict("shop-client")["breaks"][0]["reached_through"],
        "UsersService/FindOne request"
    );
    assert_eq!(verdict("audit-client")["status"], "safe");

    let (code, github, _) = s.check("github");
    assert_eq!(code, 1);
    assert!(github.contains("::error file=proto/users/v1/users.proto,line=18,col=3,title=shop-client breaks::shop-client (lock "), "{github}");
    assert!(
        github.contains("::notice title=audit-client safe::"),
        "{github}"
    );
    let (_, sarif, _) = s.check("sarif");
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("shop-client (lock ")),
        "{sarif}"
    );
    let (_, junit, _) = s.check("junit");
    assert!(
        junit.contains(
            "<testsuite name=\"consumers\" tests=\"2\" skipped=\"0\" errors=\"0\" failures=\"1\">"
        ),
        "{junit}"
    );
}

#[test]
fn deleting_an_rpc_b_never_calls_is_safe_for_b() {
    let s = Scenario::new();
    edit(
        &s.work.join("proto/users/v1/users.proto"),
        "  // Streams every user matching the filter.\n  rpc FindMany (UserFilter) returns (stream User) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }\n",
        "",
    );
    let (code, text, err) = s.check("text");
    println!("--- text ---\n{text}{err}");
    // The ordinary check (FILE rules) still reports RPC_NO_DELETE; no consumer breaks.
    assert_eq!(code, 1, "{err}");
    assert!(text.contains("RPC_NO_DELETE"), "{text}");
    let b = text
        .lines()
        .find(|l| l.contains("audit-client (lock "))
        .expect("a line for B");
    assert!(
        b.contains(" safe: ") && b.contains("users.v1.UsersService.FindMany"),
        "{b}"
    );
    let a = text
        .lines()
        .find(|l| l.contains("shop-client (lock "))
        .expect("a line for A");
    assert!(a.contains(" safe: "), "{a}");
    let (_, json, _) = s.check("json");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    for consumer in json["consumers"].as_array().unwrap() {
        assert_eq!(consumer["status"], "safe", "{consumer}");
    }
    let a = &json["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["crate"] == "shop-client")
        .unwrap()["unobserved"][0];
    assert_eq!(a["reason"], "not an RPC it calls");
    let b = &json["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["crate"] == "audit-client")
        .unwrap()["unobserved"][0];
    assert_eq!(b["reason"], "not an RPC it calls");
}

#[test]
fn consumer_breaks_alone_fail_the_check() {
    // The baseline is already the new contract, so the ordinary check finds nothing; the
    // deployed consumer A (locked to the old one) still breaks.
    let s = Scenario::new();
    edit(
        &s.work.join("proto/users/v1/users.proto"),
        "message UserById {\n  string id = 1;",
        "message UserById {\n  int64 id = 1;",
    );
    let (code, text, err) = run(protogen()
        .args([
            "check",
            "proto",
            "--against",
            "proto",
            "--consumers",
            "shop/*/protogen.lock",
        ])
        .current_dir(&s.work));
    assert_eq!(code, 1, "{text}{err}");
    assert!(text.contains("shop-client (lock "), "{text}");
    // The producer's lock is read and left out: only consumers are judged.
    assert!(!text.contains("shop-server (lock "), "{text}");
}

#[test]
fn bad_locks_exit_2_naming_the_file() {
    let s = Scenario::new();
    let lock = s.work.join("audit/audit-client/protogen.lock");
    std::fs::write(&lock, "{\"version\": 1}").unwrap();
    let (code, _, err) = s.check("text");
    assert_eq!(code, 2);
    assert!(
        err.contains("audit/audit-client/protogen.lock") && err.contains("protogen sync --lock"),
        "{err}"
    );

    let s = Scenario::new();
    std::fs::remove_dir_all(s.work.join("proto/users")).unwrap();
    std::fs::remove_dir_all(s.work.join("proto/orders")).unwrap();
    copy_dir(
        &common::project_root().join("fixtures/proto/orders"),
        &s.work.join("proto/orders"),
    );
    edit(
        &s.work.join("proto/orders/v1/orders.proto"),
        "import \"users/v1/users.proto\";\n",
        "",
    );
    edit(
        &s.work.join("proto/orders/v1/orders.proto"),
        "users.v1.User customer = 2;",
        "string customer = 2;",
    );
    let (code, _, err) = run(protogen()
        .args([
            "check",
            "proto",
            "--against",
            "v1",
            "--consumers",
            "shop/shop-client",
        ])
        .current_dir(&s.work));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("shop/shop-client/protogen.lock") && err.contains("package users.v1"),
        "{err}"
    );

    let (code, _, err) = run(protogen()
        .args([
            "check",
            "proto",
            "--against",
            "v1",
            "--consumers",
            "nowhere/*.lock",
        ])
        .current_dir(&s.work));
    assert_eq!(code, 2);
    assert!(err.contains("matches no lock file"), "{err}");
}

#[test]
fn without_consumers_the_locks_of_workspaces_built_from_this_contract_are_found() {
    let s = Scenario::new();
    // A workspace of another contract in the same repository is not a consumer of this one.
    let (code, _, err) = run(protogen()
        .args(["new", "other", "--proto", "v1", "--out", "other"])
        .current_dir(&s.work));
    assert_eq!(code, 0, "{err}");
    let git = Command::new("git")
        .arg("init")
        .arg("-q")
        .current_dir(&s.work)
        .status()
        .unwrap();
    assert!(git.success());
    edit(
        &s.work.join("proto/users/v1/users.proto"),
        "message UserById {\n  string id = 1;",
        "message UserById {\n  int64 id = 1;",
    );
    let (code, text, err) = run(protogen()
        .args(["check", "proto", "--against", "v1"])
        .current_dir(&s.work));
    assert_eq!(code, 1, "{err}");
    assert!(
        text.contains("consumers: 1 of 2 consumers broken"),
        "{text}"
    );
    assert!(
        text.contains("shop-client (lock ") && text.contains("audit-client (lock "),
        "{text}"
    );
    assert!(!text.contains("other-client"), "{text}");
}

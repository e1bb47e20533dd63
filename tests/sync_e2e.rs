//! `protogen sync` end to end: scaffold, write real handler bodies, grow the contract (a new
//! RPC, a new service), sync, and prove that the code a person wrote is untouched, the stubs
//! are there, sync is idempotent, bad input changes nothing, and the build fails only on the
//! new stubs (one cargo build of the generated workspace).

mod common;

use common::{copy_dir, generated_target_dir, run};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

fn protogen() -> Command {
    Command::cargo_bin("protogen").unwrap()
}

/// Every file of `dir` (skipping `target`) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != "target")
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Replaces every stub body in a handler file with a body a person might write, and adds
/// a comment, an import and a helper: all of which sync must leave alone.
fn write_bodies(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("let _ = request;\n        shop_api::unimplemented_rpc!(\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let route_start = after.find('"').unwrap() + 1;
        let route_end = route_start + after[route_start..].find('"').unwrap();
        let route = &after[route_start..route_end];
        out.push_str(&format!(
            "// Hand-written: not ready yet, say so politely.\n        let _ = request;\n        Err(Status::unavailable(format!(\"{{}} is warming up\", \"{route}\")))"
        ));
        rest = &after[route_end + 2..];
    }
    out.push_str(rest);
    let out = out.replacen(
        "use tonic::",
        "use std::fmt::Write as _; // kept by hand\nuse tonic::",
        1,
    ) + "\n// A helper a person wrote below the impl block.\n#[allow(dead_code)]\nfn helper() -> String {\n    let mut s = String::new();\n    let _ = write!(s, \"{}\", 1);\n    s\n}\n";
    std::fs::write(path, &out).unwrap();
    out
}

/// A copy of fixtures/proto and the workspace `protogen new` scaffolds from it, in a temporary
/// folder: (the folder, the copy, the workspace).
fn new_shop() -> (tempfile::TempDir, PathBuf, PathBuf) {
    new_shop_from("fixtures/proto")
}

/// [`new_shop`] from another folder of protos (relative to the project).
fn new_shop_from(fixture: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let proto = tmp.path().join("proto");
    copy_dir(&common::project_root().join(fixture), &proto);
    let shop = tmp.path().join("shop");
    let (code, _, err) = run(protogen()
        .args(["new", "shop", "--proto"])
        .arg(&proto)
        .arg("--out")
        .arg(&shop));
    assert_eq!(code, 0, "{err}");
    (tmp, proto, shop)
}

fn grow_contract(proto: &Path) {
    let users = proto.join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users).unwrap();
    let grown = text.replacen(
        "  rpc FindMany (UserFilter) returns (stream User) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }\n}",
        "  rpc FindMany (UserFilter) returns (stream User) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }\n  // Removes a user.\n  rpc Remove (UserById) returns (User);\n}\n\n// Who did what.\nservice AuditService {\n  rpc Record (stream User) returns (UserById);\n}",
        1,
    );
    assert_ne!(grown, text, "the fixture changed; update the test");
    std::fs::write(&users, grown).unwrap();
}

#[test]
fn sync_appends_stubs_keeps_code_and_fails_the_build_only_on_new_stubs() {
    let (tmp, proto, shop) = new_shop();
    assert!(shop.join("shop-client/protogen.lock").is_file());
    assert!(shop.join("shop-server/protogen.lock").is_file());

    let handlers = shop.join("shop-server/src/handlers");
    let users_file = handlers.join("users_v1_users_service.rs");
    let users_written = write_bodies(&users_file);
    write_bodies(&handlers.join("orders_v1_orders_service.rs"));
    let (code, out, _) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0);
    assert!(out.contains("nothing to change"), "{out}");

    grow_contract(&proto);
    let before = snapshot(&shop);

    // --dry-run: a patch on stdout, the report on stderr, nothing written.
    let (code, diff, report) = run(protogen().arg("sync").arg(&shop).arg("--dry-run"));
    assert_eq!(code, 0, "{report}");
    assert!(
        diff.contains("+++ b/shop-server/src/handlers/users_v1_users_service.rs"),
        "{diff}"
    );
    assert!(
        diff.contains("--- /dev/null\n+++ b/shop-server/src/handlers/users_v1_audit_service.rs"),
        "{diff}"
    );
    assert!(diff.contains("+    async fn remove("), "{diff}");
    assert!(
        report.contains("would add shop-server/src/handlers/users_v1_users_service.rs:"),
        "{report}"
    );
    assert_eq!(snapshot(&shop), before, "--dry-run wrote something");
    // The patch is exactly what sync writes: applied to a copy, it gives the same tree.
    let patched = tmp.path().join("patched");
    copy_dir(&shop, &patched);
    std::fs::write(tmp.path().join("sync.diff"), &diff).unwrap();
    let applied = Command::new("git")
        .args(["apply", "../sync.diff"])
        .current_dir(&patched)
        .status()
        .unwrap();
    assert!(
        applied.success(),
        "git apply refused the --dry-run patch:\n{diff}"
    );

    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("stub for new RPC users.v1.UsersService/Remove"),
        "{out}"
    );
    assert!(
        out.contains("handlers for new service users.v1.AuditService (1 stub)"),
        "{out}"
    );
    assert!(out.contains("behind  shop-client/protogen.lock"), "{out}");

    // The person's code is byte-for-byte where it was: the new file is the old one with
    // the stubs inserted before the impl block's closing brace, and nothing else.
    let after = std::fs::read_to_string(&users_file).unwrap();
    let insert_at = users_written
        .find("}\n\n// A helper a person wrote")
        .unwrap();
    assert!(after.starts_with(&users_written[..insert_at]));
    assert!(after.ends_with(&users_written[insert_at..]));
    let added = &after[insert_at..after.len() - (users_written.len() - insert_at)];
    assert!(
        added.contains("async fn remove(")
            && added.contains("unimplemented_rpc!(\"users.v1.UsersService/Remove\")"),
        "{added}"
    );
    assert_eq!(added.matches("async fn").count(), 1, "{added}");
    let now = snapshot(&shop);
    let changed: Vec<_> = now
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(*bytes))
        .map(|(path, _)| path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        changed,
        [
            "protogen.toml",
            "shop-server/src/handlers/mod.rs",
            "shop-server/src/handlers/users_v1_audit_service.rs",
            "shop-server/src/handlers/users_v1_users_service.rs",
            "shop-server/src/lib.rs",
        ]
    );
    for path in [
        "shop-server/src/lib.rs",
        "shop-server/src/handlers/mod.rs",
        "protogen.toml",
    ] {
        let old = String::from_utf8(before[Path::new(path)].clone()).unwrap();
        let new = String::from_utf8(now[Path::new(path)].clone()).unwrap();
        let common_prefix = old
            .bytes()
            .zip(new.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        assert!(
            new.ends_with(&old[common_prefix..]) && new.len() > old.len(),
            "{path}: sync did more than insert"
        );
    }

    assert_eq!(
        snapshot(&patched),
        now,
        "--dry-run's patch differs from what sync wrote"
    );

    // Idempotent.
    let (code, out, _) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0);
    assert!(out.contains("nothing to change"), "{out}");
    assert_eq!(snapshot(&shop), now);

    // Bad input: exit 2, the file named, nothing changed.
    let lock = shop.join("shop-client/protogen.lock");
    let lock_text = std::fs::read_to_string(&lock).unwrap();
    std::fs::write(&lock, "{ not json").unwrap();
    grow_more(&proto);
    let broken = snapshot(&shop);
    let (code, _, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 2);
    assert!(
        err.contains("shop-client/protogen.lock is not a valid protogen lock")
            && err.contains("protogen sync --lock"),
        "{err}"
    );
    assert_eq!(snapshot(&shop), broken);
    std::fs::write(&lock, &lock_text).unwrap();
    let users_now = std::fs::read_to_string(&users_file).unwrap();
    std::fs::write(
        &users_file,
        users_now.replace(
            "impl pb::users_service_server::UsersService for",
            "impl pb::users_service_server::UsersServiceExt for",
        ),
    )
    .unwrap();
    let restructured = snapshot(&shop);
    let (code, _, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 2);
    assert!(
        err.contains(
            "users_v1_users_service.rs no longer holds `impl users_service_server::UsersService"
        ),
        "{err}"
    );
    assert_eq!(snapshot(&shop), restructured);
    std::fs::write(&users_file, &users_now).unwrap();
    undo_grow_more(&proto);

    // --lock brings the locks to the contract; a second run has nothing to do.
    let (code, out, err) = run(protogen().arg("sync").arg(&shop).arg("--lock"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("locked shop-client/protogen.lock: consumer of 7 RPCs"),
        "{out}"
    );
    let (_, out, _) = run(protogen().arg("sync").arg(&shop).arg("--lock"));
    assert!(out.contains("nothing to change"), "{out}");

    // The build fails, and only on the two new stubs.
    let build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "--message-format=short"])
        .current_dir(&shop)
        .env("CARGO_TARGET_DIR", generated_target_dir())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(!build.status.success(), "the build passed:\n{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains(": error")).collect();
    assert!(errors.len() >= 2, "{stderr}");
    let routes = [
        "users.v1.UsersService/Remove",
        "users.v1.AuditService/Record",
    ];
    for error in &errors {
        assert!(
            routes.iter().any(|r| error.contains(r)),
            "an error not about a new stub: {error}\n{stderr}"
        );
    }
    for route in routes {
        assert!(
            errors.iter().any(|e| e.contains(route)),
            "no error names {route}:\n{stderr}"
        );
    }
}

/// A second change, so that sync would have work to do while its inputs are broken.
fn grow_more(proto: &Path) {
    let users = proto.join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users).unwrap();
    std::fs::write(
        &users,
        text.replacen(
            "  rpc Remove (UserById) returns (User);",
            "  rpc Remove (UserById) returns (User);\n  rpc Ban (UserById) returns (User);",
            1,
        ),
    )
    .unwrap();
}

fn undo_grow_more(proto: &Path) {
    let users = proto.join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users).unwrap();
    std::fs::write(
        &users,
        text.replacen("\n  rpc Ban (UserById) returns (User);", "", 1),
    )
    .unwrap();
}

#[test]
fn sync_reports_what_the_contract_lost_and_refuses_stale_locks_of_vanished_packages() {
    let (_tmp, proto, shop) = new_shop();
    let users = proto.join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users).unwrap();
    std::fs::write(&users, text.replacen("  // Streams every user matching the filter.\n  rpc FindMany (UserFilter) returns (stream User) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  }\n", "", 1)).unwrap();
    let orders = proto.join("orders/v1/orders.proto");
    let text = std::fs::read_to_string(&orders).unwrap();
    let start = text.find("service OrdersService {").unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    std::fs::write(&orders, format!("{}{}", &text[..start], &text[end..])).unwrap();

    let handler = "shop-server/src/handlers/users_v1_users_service.rs";
    let line = std::fs::read_to_string(shop.join(handler))
        .unwrap()
        .lines()
        .position(|l| l.contains("async fn find_many("))
        .unwrap()
        + 1;
    let before = snapshot(&shop);
    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "gone    {handler}:{line}: `find_many` matches no RPC of users.v1.UsersService"
        )),
        "{out}"
    );
    assert!(out.contains("gone    shop-server/src/handlers/orders_v1_orders_service.rs: the contract no longer has orders.v1.OrdersService"), "{out}");
    assert!(out.contains("gone    protogen.toml client.calls: the contract no longer has orders.v1.OrdersService"), "{out}");
    assert!(out.contains("nothing to change"), "{out}");
    assert_eq!(
        snapshot(&shop),
        before,
        "reporting what is gone changes nothing"
    );

    // The locks follow with --lock; then a package vanishes under a stale lock: exit 2.
    let (code, out, err) = run(protogen().arg("sync").arg(&shop).arg("--lock"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("locked shop-client/protogen.lock: consumer of 1 RPC,"),
        "{out}"
    );
    std::fs::remove_dir_all(proto.join("users")).unwrap();
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        text.replace("import \"users/v1/users.proto\";\n", "")
            .replace("users.v1.User customer = 2;", "string customer = 2;"),
    )
    .unwrap();
    let before = snapshot(&shop);
    let (code, _, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "shop-server/protogen.lock names package users.v1, which the contract no longer has"
        ) && err.contains("protogen sync --lock"),
        "{err}"
    );
    assert_eq!(snapshot(&shop), before);
}

/// The forms a person writes a TOML list in, each holding `items`; `sync` must grow `serves`
/// in every one of them and leave the other lists byte for byte.
fn list_forms(items: &[&str]) -> Vec<String> {
    let q: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    vec![
        format!("[{}]", q.join(", ")),
        format!("[{},]", q.join(", ")),
        format!(
            "[\n{}\n]",
            q.iter()
                .map(|i| format!("  {i},"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        format!(
            "[\n{}\n]",
            q.iter()
                .map(|i| format!("  {i}"))
                .collect::<Vec<_>>()
                .join(",\n")
        ),
        format!(
            "[ # listed by hand\n{}\n  # end of list\n]",
            q.iter()
                .map(|i| format!("    {i}, # why"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        format!(
            "[\n{} # the last\n]",
            q.iter()
                .map(|i| format!("\t{i}"))
                .collect::<Vec<_>>()
                .join(", # one\n")
        ),
    ]
}

#[test]
fn sync_grows_serves_in_every_toml_list_form_and_nothing_else() {
    let (tmp, proto, made) = new_shop_from("fixtures/events");
    let orders = proto.join("orders/v1/orders.proto");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        format!("{text}\nservice AuditService {{\n  rpc Record (ShipRequest) returns (ShipReply);\n}}\n"),
    )
    .unwrap();
    let new_service = "orders.v1.AuditService";
    let generated = std::fs::read_to_string(made.join("protogen.toml")).unwrap();
    let serves = list_forms(&["orders.v1.ShippingService"]);
    let calls = list_forms(&[
        "orders.v1.ShippingService",
        "orders.v1.ShippingService/Ship",
    ]);
    let publishes = list_forms(&["orders.cancelled", "orders.shipped"]);
    let subscribes = list_forms(&["orders.shipped"]);
    let forms = serves.len();
    for i in 0..forms {
        // Each list takes each form once, next to different forms of the others.
        let lists = [
            ("serves", &serves[i]),
            ("calls", &calls[(i + 1) % forms]),
            ("publishes", &publishes[(i + 2) % forms]),
            ("subscribes", &subscribes[(i + 3) % forms]),
        ];
        let mut config = generated.clone();
        for (key, list) in lists {
            let start = config.find(&format!("\n{key} = [")).unwrap() + key.len() + 4;
            let end = start + config[start..].find("\n]").unwrap() + 2;
            config.replace_range(start..end, list);
        }
        let ws = tmp.path().join(format!("form{i}"));
        copy_dir(&made, &ws);
        std::fs::write(ws.join("protogen.toml"), &config).unwrap();
        let (code, out, err) = run(protogen().arg("sync").arg(&ws));
        assert_eq!(code, 0, "form {i}:\n{config}\n{err}");
        assert!(
            out.contains(&format!("handlers for new service {new_service}")),
            "{out}"
        );
        let after = std::fs::read_to_string(ws.join("protogen.toml")).unwrap();
        // Everything before and after `serves` is as it was; `serves` gained the service.
        let at = config.find("\nserves = [").unwrap() + "\nserves = ".len();
        let old_list = &serves[i];
        assert!(after.starts_with(&config[..at]), "form {i}:\n{after}");
        assert!(
            after.ends_with(&config[at + old_list.len()..]),
            "form {i}: sync changed more than `serves`:\n{after}"
        );
        let new_list = &after[at..after.len() - (config.len() - at - old_list.len())];
        let parsed: toml::Value = toml::from_str(&format!("v = {new_list}")).unwrap();
        let items: Vec<&str> = parsed["v"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(
            items,
            ["orders.v1.ShippingService", new_service],
            "form {i}: {new_list}"
        );
        // Its comments stay where they were.
        for comment in old_list
            .match_indices('#')
            .map(|(at, _)| &old_list[at..at + old_list[at..].find('\n').unwrap()])
        {
            assert!(
                new_list.contains(comment),
                "form {i}: lost {comment:?} in {new_list}"
            );
        }
        // And the next sync reads it back: nothing left to do for the contract.
        let (code, out, err) = run(protogen().arg("sync").arg(&ws));
        assert_eq!(code, 0, "{err}");
        assert!(!out.contains("new service"), "form {i}: {out}");
    }
}

#[test]
fn a_broken_protogen_toml_is_named_at_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    let proto = tmp.path().join("proto");
    copy_dir(&common::project_root().join("fixtures/events"), &proto);
    let ws = tmp.path().join("shop");
    let (code, _, err) = run(protogen()
        .args(["new", "shop", "--proto"])
        .arg(&proto)
        .arg("--out")
        .arg(&ws));
    assert_eq!(code, 0, "{err}");
    let config = ws.join("protogen.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let duplicated = text.replacen("\n[client]\n", "\n[client]\ncrate = \"again\"\n", 1);
    std::fs::write(&config, &duplicated).unwrap();
    let line = duplicated
        .lines()
        .position(|l| l == "crate = \"again\"")
        .unwrap()
        + 2;
    let (code, _, err) = run(protogen().arg("sync").arg(&ws));
    assert_eq!(code, 2, "{err}");
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("error: ")
            && first.ends_with(&format!("protogen.toml:{line}:1: duplicate key")),
        "{err}"
    );
    assert!(!err.contains("restore it"), "{err}");
    // Without its tables it is no workspace configuration: restore it.
    std::fs::write(&config, "[contract]\nroot = \"../proto\"\n").unwrap();
    let (code, _, err) = run(protogen().arg("sync").arg(&ws));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("has no [api], [server], [client]")
            && err.contains("restore it from version control"),
        "{err}"
    );
}

/// The files under `dir/sub`, relative to `dir`.
fn files_under(dir: &Path, sub: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir)
        .into_iter()
        .filter(|(path, _)| path.starts_with(sub))
        .collect()
}

/// Without the first line when it is a protogen header naming the command that wrote it.
fn body(bytes: &[u8]) -> &[u8] {
    match bytes.iter().position(|&b| b == b'\n') {
        Some(at) if String::from_utf8_lossy(&bytes[..at]).contains("protogen owns this file") => {
            &bytes[at..]
        }
        _ => bytes,
    }
}

#[test]
fn sync_brings_a_workspace_of_the_previous_release_up_to_date() {
    let tmp = tempfile::tempdir().unwrap();
    let shop = tmp.path().join("shop");
    copy_dir(
        &common::project_root().join("fixtures/sync/shop-241c568"),
        &shop,
    );
    let handlers = shop.join("shop-server/src/handlers");
    write_bodies(&handlers.join("users_v1_users_service.rs"));
    write_bodies(&handlers.join("orders_v1_orders_service.rs"));
    // What `protogen new` writes today, from the same contract.
    let (code, _, err) = run(protogen()
        .args(["new", "shop", "--vendor", "--proto"])
        .arg(shop.join("proto"))
        .arg("--out")
        .arg(tmp.path().join("today")));
    assert_eq!(code, 0, "{err}");
    let today = tmp.path().join("today");
    let runtime = "shop-api/src/runtime";
    let runtime_today = files_under(&today, runtime);
    let runtime_then = files_under(&shop, runtime);

    // A runtime file edited by hand: refused by name, nothing written.
    let health = shop.join(runtime).join("health.rs");
    let health_then = std::fs::read(&health).unwrap();
    let mut edited = health_then.clone();
    edited.extend_from_slice(b"// my fix\n");
    std::fs::write(&health, &edited).unwrap();
    let before = snapshot(&shop);
    let (code, _, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("edited by hand")
            && err.contains("\n  shop-api/src/runtime/health.rs\n")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(snapshot(&shop), before, "a refused sync wrote something");
    std::fs::write(&health, &health_then).unwrap();
    let before = snapshot(&shop);

    // --dry-run: the diff on stdout, a line per file on stderr, nothing written.
    let (code, diff, report) = run(protogen().arg("sync").arg(&shop).arg("--dry-run"));
    assert_eq!(code, 0, "{report}");
    assert_eq!(snapshot(&shop), before, "--dry-run wrote something");
    let patched = tmp.path().join("patched");
    copy_dir(&shop, &patched);
    std::fs::write(tmp.path().join("sync.diff"), &diff).unwrap();
    let applied = Command::new("git")
        .args(["apply", "../sync.diff"])
        .current_dir(&patched)
        .status()
        .unwrap();
    assert!(applied.success(), "git apply refused the patch:\n{diff}");

    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    // One line per runtime file that differs from today's, whatever today's templates are.
    for (path, bytes) in &runtime_today {
        let file = path.to_string_lossy();
        match runtime_then.get(path) {
            None => assert!(
                out.contains(&format!("created {file} (+")),
                "{file}:\n{out}"
            ),
            Some(old) if old != bytes => {
                assert!(
                    out.contains(&format!("updated {file} (+")),
                    "{file}:\n{out}"
                )
            }
            Some(_) => assert!(!out.contains(&format!(" {file} (")), "{file}:\n{out}"),
        }
    }
    for path in runtime_then
        .keys()
        .filter(|p| !runtime_today.contains_key(*p))
    {
        let file = path.to_string_lossy();
        assert!(
            out.contains(&format!("removed {file} (-")),
            "{file}:\n{out}"
        );
    }
    let now = snapshot(&shop);
    assert_eq!(
        snapshot(&patched),
        now,
        "--dry-run's patch differs from what sync wrote"
    );
    // The runtime is today's byte for byte; protogen's other files too, but for the header
    // line naming the command that wrote them.
    assert_eq!(files_under(&shop, runtime), runtime_today);
    let record: toml::Table =
        toml::from_str(&std::fs::read_to_string(shop.join("protogen.owned.toml")).unwrap())
            .unwrap();
    assert_eq!(record["protogen"].as_str(), Some(env!("CARGO_PKG_VERSION")));
    let owned = record["files"].as_table().unwrap();
    assert!(owned.contains_key("shop-api/build.rs") && owned.contains_key("shop-api/Cargo.toml"));
    for path in owned.keys() {
        let path = Path::new(path);
        assert_eq!(
            body(&now[path]),
            body(&snapshot(&today)[path]),
            "{} is not today's",
            path.display()
        );
    }
    // The user's files are as they were: handlers, server, client, README, the contract.
    // (The previous release's runtime files are protogen's: checked above, removed ones too.)
    for (path, bytes) in &before {
        let file = path.to_string_lossy();
        if owned.contains_key(file.as_ref())
            || file == "Cargo.toml"
            || runtime_then.contains_key(path)
        {
            continue;
        }
        assert_eq!(now.get(path), Some(bytes), "sync changed {file}");
    }
    // Cargo.toml (the user's) gets today's dependencies, which the previous release wrote.
    let deps = |dir: &Path| {
        let cargo: toml::Table =
            toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).unwrap()).unwrap();
        cargo["workspace"]["dependencies"].clone()
    };
    assert_eq!(deps(&shop), deps(&today));

    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to change"), "{out}");

    // It builds: the new runtime against the handlers of the previous release.
    common::cargo_ok(&shop, &["build", "--quiet"]);

    // From now on the record tells edits apart: refused, then replaced with --force.
    let mod_rs = shop.join(runtime).join("mod.rs");
    let mut text = std::fs::read_to_string(&mod_rs).unwrap();
    text.push_str("// patched by hand\n");
    std::fs::write(&mod_rs, &text).unwrap();
    let (code, _, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("\n  shop-api/src/runtime/mod.rs\n"), "{err}");
    let (code, out, err) = run(protogen().arg("sync").arg(&shop).arg("--force"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("replaced shop-api/src/runtime/mod.rs (+0 -1)"),
        "{out}"
    );
    assert_eq!(files_under(&shop, runtime), runtime_today);
}

fn replace_in(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn sync_adds_and_updates_protogens_dependencies_and_keeps_the_users() {
    let (tmp, _proto, shop) = new_shop();
    let cargo = shop.join("Cargo.toml");
    let record = shop.join("protogen.owned.toml");
    let written = std::fs::read_to_string(&cargo).unwrap();
    // As if an older protogen had written humantime 1 and no atomic-waker; tonic pinned by hand.
    let comment = "# The forced stop of every call at the end of the shutdown grace period (one waker per call).\n";
    replace_in(&cargo, &format!("{comment}atomic-waker = \"1\"\n"), "");
    replace_in(&cargo, "humantime = \"2\"", "humantime = \"1\"");
    replace_in(&record, "humantime = \"2\"", "humantime = \"1\"");
    replace_in(
        &cargo,
        "tonic = { version = \"0.14\",",
        "tonic = { version = \"=0.14.1\",",
    );
    // A file of the user's in the runtime folder, and one protogen wrote but writes no more.
    std::fs::write(shop.join("shop-api/src/runtime/mine.rs"), "// mine\n").unwrap();
    let old =
        "// Generated by `protogen new`, the same for every contract; protogen owns this file.\n";
    std::fs::write(shop.join("shop-api/src/runtime/old.rs"), old).unwrap();
    let digest = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(old.as_bytes()))
    };
    replace_in(
        &record,
        "[files]\n",
        &format!("[files]\n\"shop-api/src/runtime/old.rs\" = \"{digest}\"\n"),
    );

    // --dry-run's patch removes, adds and edits exactly as sync then does.
    let (code, diff, err) = run(protogen().arg("sync").arg(&shop).arg("--dry-run"));
    assert_eq!(code, 0, "{err}");
    assert!(
        diff.contains("--- a/shop-api/src/runtime/old.rs\n+++ /dev/null\n"),
        "{diff}"
    );
    let patched = tmp.path().join("patched");
    copy_dir(&shop, &patched);
    std::fs::write(tmp.path().join("sync.diff"), &diff).unwrap();
    let applied = Command::new("git")
        .args(["apply", "../sync.diff"])
        .current_dir(&patched)
        .status()
        .unwrap();
    assert!(applied.success(), "git apply refused the patch:\n{diff}");
    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(
            "added Cargo.toml [workspace.dependencies] atomic-waker = \"1\": the runtime needs it"
        ),
        "{out}"
    );
    assert!(
        out.contains("updated Cargo.toml [workspace.dependencies] humantime = \"2\" (was \"1\")"),
        "{out}"
    );
    assert!(
        out.contains("kept    Cargo.toml [workspace.dependencies] tonic = { version = \"=0.14.1\""),
        "{out}"
    );
    assert!(
        out.contains("removed shop-api/src/runtime/old.rs (-1): protogen"),
        "{out}"
    );
    assert!(!shop.join("shop-api/src/runtime/old.rs").exists());
    assert_eq!(
        std::fs::read_to_string(shop.join("shop-api/src/runtime/mine.rs")).unwrap(),
        "// mine\n"
    );
    // Cargo.toml: the pin stays, humantime is back, atomic-waker (with its comment) is added
    // at the end of [workspace.dependencies], the last table; nothing else moved.
    assert!(!written.contains("\n[patch"), "the fixtures need no patch");
    let expected = written
        .replacen(&format!("{comment}atomic-waker = \"1\"\n"), "", 1)
        .replacen(
            "tonic = { version = \"0.14\",",
            "tonic = { version = \"=0.14.1\",",
            1,
        )
        + comment
        + "atomic-waker = \"1\"\n";
    assert_eq!(std::fs::read_to_string(&cargo).unwrap(), expected);
    assert_eq!(
        snapshot(&patched),
        snapshot(&shop),
        "--dry-run's patch differs"
    );
    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to change"), "{out}");
    assert!(
        out.contains("kept    Cargo.toml"),
        "a pin is reported every time:\n{out}"
    );
}

/// A contract that becomes editions: sync brings the patched compiler crates (vendor/), the
/// lowering (editions.rs) and a build.rs that runs it, and adds their `[patch.crates-io]`
/// entries and `vendor` to the workspace's exclude, keeping the rest of the user's Cargo.toml;
/// a second sync changes nothing. (The e2e of an editions workspace's build is new_e2e's.)
#[test]
fn sync_brings_a_contract_that_became_editions_its_patched_compiler() {
    let (_tmp, proto, shop) = new_shop();
    let cargo = shop.join("Cargo.toml");
    let before = std::fs::read_to_string(&cargo).unwrap();
    assert!(!before.contains("[patch.crates-io]") && !shop.join("vendor").exists());

    copy_dir(
        &common::project_root().join("fixtures/editions/editions"),
        &proto.join("editions"),
    );
    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    for line in [
        "added Cargo.toml [patch.crates-io] prost-reflect = { path = \"vendor/prost-reflect\" }: the contract has editions files",
        "created shop-api/editions.rs",
        "updated shop-api/build.rs",
        "created vendor/protox/ (16 files, +",
        "created shop-server/src/handlers/editions_v1_echo_service.rs",
    ] {
        assert!(out.contains(line), "{line:?} in:\n{out}");
    }
    let after = std::fs::read_to_string(&cargo).unwrap();
    assert!(
        after.starts_with(&before.replace(
            "members = [\"shop-api\", \"shop-server\", \"shop-client\"]\n",
            "members = [\"shop-api\", \"shop-server\", \"shop-client\"]\nexclude = [\"vendor\"]\n"
        )),
        "{after}"
    );
    assert!(after.ends_with(
        "\n[patch.crates-io]\nprotox-parse = { path = \"vendor/protox-parse\" }\n\
         protox = { path = \"vendor/protox\" }\nprost-reflect = { path = \"vendor/prost-reflect\" }\n"
    ), "{after}");
    let build = std::fs::read_to_string(shop.join("shop-api/build.rs")).unwrap();
    assert!(build.contains("editions::lower(&compiler.descriptor_pool(), &encoded)?"));
    assert!(shop
        .join("vendor/prost-reflect/src/descriptor/build/features.rs")
        .is_file());

    let files = snapshot(&shop);
    let (code, out, err) = run(protogen().arg("sync").arg(&shop));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("nothing to change"), "{out}");
    assert_eq!(snapshot(&shop), files);
}

//! The generated server under hostile clients and overload, end to end on loopback: a workspace
//! made by the previous release and brought up to date by `protogen sync`, its server binary
//! built once, then the scenarios of
//! `tests/attack_scenarios/` (slow and silent connections, HTTP/2 abuse with Python's h2,
//! oversized input, a 1,024 file limit, admission control). Prints their `FIGURE` lines.
//! Shares the generated-crates target dir with the other end-to-end tests.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::{cargo_ok, copy_dir, generated_target_dir, implement, ORDERS, USERS};

/// The workspace under attack: the previous release's (tests/sync_e2e.rs's fixture, made by
/// protogen 241c568 before the limits existed), its contract given REST routes (GET
/// /v1/users/{id}, POST /v1/orders with a JSON body), then brought up to date by `protogen
/// sync`: its runtime becomes today's, its handlers stay byte for byte the user's.
fn scaffold(dir: &Path) -> PathBuf {
    let root = common::project_root();
    let workspace = dir.join("shop");
    copy_dir(&root.join("fixtures/sync/shop-241c568"), &workspace);
    copy_dir(
        &root.join("src/contract/known/google/api"),
        &workspace.join("proto/google/api"),
    );
    let annotate = |file: &str, package: &str, anchor: &str, rule: &str| {
        let path = workspace.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let annotated = text
            .replacen(
                &format!("package {package};"),
                &format!("package {package};\nimport \"google/api/annotations.proto\";"),
                1,
            )
            .replacen(
                anchor,
                &format!("{anchor}\n    option (google.api.http) = {rule};"),
                1,
            );
        assert!(annotated.contains("google.api.http"), "{annotated}");
        std::fs::write(&path, annotated).unwrap();
    };
    annotate(
        "proto/users/v1/users.proto",
        "users.v1",
        "option idempotency_level = NO_SIDE_EFFECTS;",
        "{get: \"/v1/users/{id}\"}",
    );
    let orders = workspace.join("proto/orders/v1/orders.proto");
    let text = std::fs::read_to_string(&orders).unwrap();
    std::fs::write(
        &orders,
        text.replacen(
            "rpc CreateOrder (CreateOrderRequest) returns (Order);",
            "rpc CreateOrder (CreateOrderRequest) returns (Order) {\n  }",
            1,
        ),
    )
    .unwrap();
    annotate(
        "proto/orders/v1/orders.proto",
        "orders.v1",
        "rpc CreateOrder (CreateOrderRequest) returns (Order) {",
        "{post: \"/v1/orders\" body: \"*\"}",
    );
    let handlers = [USERS, ORDERS].map(|file| (file, std::fs::read(workspace.join(file)).unwrap()));
    let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .arg("sync")
        .arg(&workspace)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (file, bytes) in handlers {
        assert!(
            std::fs::read(workspace.join(file)).unwrap() == bytes,
            "sync changed {file}"
        );
    }
    for file in ["listener.rs", "layer.rs"] {
        assert_eq!(
            std::fs::read_to_string(workspace.join("shop-api/src/runtime").join(file)).unwrap(),
            std::fs::read_to_string(root.join("templates/runtime").join(file)).unwrap(),
            "sync did not bring today's runtime/{file}"
        );
    }
    // FindOne burns CPU for `cpu-N` (N rounds, on the blocking pool, as CPU-heavy handlers
    // should); the other RPCs the attacks call answer at once.
    implement(
        &workspace,
        USERS,
        "users.v1.UsersService/FindOne",
        r#"        let id = request.into_inner().id;
        if let Some(rounds) = id.strip_prefix("cpu-").and_then(|n| n.parse::<u64>().ok()) {
            let burnt = tokio::task::spawn_blocking(move || {
                // Below the async workers' priority (nice 10, this thread only): they answer,
                // and refuse, while the work waits for a core.
                unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
                let mut x = 0x9E37_79B9_7F4A_7C15u64;
                for i in 0..rounds {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x = x.wrapping_add(i);
                }
                std::hint::black_box(x)
            })
            .await
            .map_err(|_| Status::internal("the work panicked"))?;
            return Ok(Response::new(pb::User { id: burnt.to_string(), ..Default::default() }));
        }
        Ok(Response::new(pb::User { email: format!("{id}@example.com"), id, ..Default::default() }))
"#,
    );
    implement(
        &workspace,
        ORDERS,
        "orders.v1.OrdersService/CreateOrder",
        r#"        let order = request.into_inner();
        Ok(Response::new(pb::Order { id: format!("order-of-{}", order.user_id), ..Default::default() }))
"#,
    );

    let server_manifest = workspace.join("shop-server/Cargo.toml");
    let text = std::fs::read_to_string(&server_manifest).unwrap();
    std::fs::write(
        &server_manifest,
        text.replacen(
            "[dependencies]\n",
            "[dependencies]\nlibc.workspace = true\n",
            1,
        ),
    )
    .unwrap();

    let scenarios = root.join("tests/attack_scenarios");
    common::add_scenario_crate(&workspace, &scenarios, "attack.rs", "attack-tests");
    workspace
}

#[test]
fn generated_server_withstands_hostile_clients_and_overload() {
    // The HTTP/2 attacks are Python's h2 (`cargo xtask setup` installs it).
    let Some(python) = common::system_peer("python3") else {
        return;
    };
    let h2 = Command::new(&python)
        .args(["-c", "import h2, hpack"])
        .status()
        .unwrap();
    if !h2.success() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Python's h2 is missing: `cargo xtask setup` installs it"
        );
        eprintln!("skipped: Python's h2 is missing; run `cargo xtask setup`");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path());
    // ATTACK_RELEASE=1 builds the server and the attackers optimised, for figures comparable
    // with a production build (CI runs the debug build).
    let release = std::env::var_os("ATTACK_RELEASE").is_some_and(|v| v == "1");
    let (profile, features): (&str, &[&str]) = if release {
        (
            "release",
            &["--features", "shop-api/allow-unimplemented", "--release"],
        )
    } else {
        ("debug", &["--features", "shop-api/allow-unimplemented"])
    };
    cargo_ok(
        &workspace,
        &[&["build", "-p", "shop-server"][..], features].concat(),
    );
    // Other workspaces named `shop` build the same path in the shared target dir: the test
    // runs its own copy.
    let server = dir.path().join("shop-server");
    std::fs::copy(
        generated_target_dir().join(profile).join("shop-server"),
        &server,
    )
    .unwrap();
    cargo_ok(
        &workspace,
        &[&["test", "-p", "attack-tests", "--no-run"][..], features].concat(),
    );
    let started = std::time::Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(&workspace)
        .args(["test", "-p", "attack-tests"])
        .args(features)
        .args(["--", "--test-threads=1", "--nocapture"])
        .env("CARGO_TARGET_DIR", generated_target_dir())
        .env("PATH", common::path_without_protoc())
        .env("PROTOC", "/nonexistent/protoc")
        .env("ATTACK_SERVER", &server)
        .env(
            "ATTACK_H2_SCRIPT",
            common::project_root().join("tests/attack_scenarios/h2_attacks.py"),
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // With --nocapture a FIGURE line can follow libtest's `test NAME ... ` on its line.
    for line in stdout
        .lines()
        .filter_map(|line| line.find("FIGURE ").map(|at| &line[at..]))
    {
        eprintln!("{line}");
    }
    eprintln!(
        "attack scenarios ran in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // With --nocapture the FIGURE lines interleave with libtest's `test NAME ... ok`.
    assert!(
        stdout.contains("test result: ok. 5 passed; 0 failed"),
        "not every scenario passed:\n{stdout}"
    );
}

//! The production runtime of generated crates, end to end: one workspace made by
//! `protogen new`, built once, then the scenarios of `tests/runtime_scenarios/` (retries,
//! breaker, deadlines, trace context, shutdown, panics, health and metrics) in-process, and a
//! Node.js gRPC client (`@grpc/grpc-js`) against the generated server binary.
//! Shares the generated-crates target dir with the other end-to-end tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{copy_dir, generated_target_dir, implement, ORDERS, USERS};

/// `common::cargo` that must succeed.
fn cargo(workspace: &Path, args: &[&str]) -> Output {
    let output = common::cargo(workspace, args);
    assert!(
        output.status.success(),
        "cargo {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Handler bodies for the server binary that the Node.js client calls: a slow RPC for the
/// deadline, NOT_FOUND, a stream that ends with an error status.
fn write_handlers(workspace: &Path) {
    implement(
        workspace,
        USERS,
        "users.v1.UsersService/FindOne",
        r#"        let id = request.into_inner().id;
        match id.as_str() {
            "slow" => tokio::time::sleep(std::time::Duration::from_secs(5)).await,
            "missing" => return Err(Status::not_found("no user `missing`")),
            _ => {}
        }
        Ok(Response::new(pb::User { email: format!("{id}@example.com"), id, ..Default::default() }))
"#,
    );
    implement(
        workspace,
        USERS,
        "users.v1.UsersService/FindMany",
        r#"        let filter = request.into_inner();
        Ok(Response::new(shop_api::runtime::stream::spawn(16, move |tx| async move {
            for i in 0..filter.limit {
                tx.send(pb::User { id: format!("u{i}"), role: filter.role.clone(), ..Default::default() }).await?;
            }
            if filter.role == "fail" {
                return Err(Status::failed_precondition("the user index is being rebuilt"));
            }
            Ok(())
        })))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/CreateOrder",
        r#"        let order = request.into_inner();
        Ok(Response::new(pb::Order { id: format!("order-of-{}", order.user_id), ..Default::default() }))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/ListOrders",
        r#"        let _ = request;
        Ok(Response::new(Box::pin(tokio_stream::iter(vec![Ok(pb::Order::default())]))))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/UploadItems",
        r#"        let mut incoming = request.into_inner();
        let mut items = Vec::new();
        while let Some(item) = incoming.message().await? {
            items.push(item);
        }
        Ok(Response::new(pb::Order { items, ..Default::default() }))
"#,
    );
    implement(
        workspace,
        ORDERS,
        "orders.v1.OrdersService/TrackOrders",
        r#"        let mut incoming = request.into_inner();
        Ok(Response::new(shop_api::runtime::stream::spawn(16, |tx| async move {
            while let Some(track) = incoming.message().await? {
                tx.send(pb::OrderEvent { order_id: track.order_id, ..Default::default() }).await?;
            }
            Ok(())
        })))
"#,
    );
}

/// Scaffolds the fixtures, adds the scenario crate and a per-RPC override in protogen.toml.
fn scaffold(dir: &Path) -> PathBuf {
    copy_dir(
        &common::project_root().join("fixtures/proto"),
        &dir.join("proto"),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_protogen"))
        .current_dir(dir)
        .args(["new", "shop", "--proto", "proto"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let workspace = dir.join("shop");
    write_handlers(&workspace);

    let scenarios = common::project_root().join("tests/runtime_scenarios");
    let crate_dir = workspace.join("runtime-tests");
    std::fs::create_dir_all(crate_dir.join("tests")).unwrap();
    std::fs::create_dir_all(crate_dir.join("src")).unwrap();
    std::fs::copy(
        scenarios.join("Cargo.toml.in"),
        crate_dir.join("Cargo.toml"),
    )
    .unwrap();
    std::fs::write(
        crate_dir.join("src/lib.rs"),
        "//! Scenarios live in tests/.\n",
    )
    .unwrap();
    std::fs::copy(
        scenarios.join("scenarios.rs"),
        crate_dir.join("tests/scenarios.rs"),
    )
    .unwrap();
    let manifest = workspace.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let members = "members = [\"shop-api\", \"shop-server\", \"shop-client\"";
    assert!(text.contains(members), "{text}");
    std::fs::write(
        &manifest,
        text.replace(members, &format!("{members}, \"runtime-tests\"")),
    )
    .unwrap();

    // A per-RPC override, which the configuration scenario expects to find embedded.
    let config = workspace.join("protogen.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[client.rpc.\"users.v1.UsersService/FindOne\"]\ndeadline = \"2s\"\n");
    std::fs::write(&config, text).unwrap();
    workspace
}

#[test]
fn generated_runtime_behaves_in_production_shape() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path());
    cargo(&workspace, &["build", "-p", "shop-server"]);
    let tested = cargo(
        &workspace,
        &["test", "-p", "runtime-tests", "-p", "shop-api"],
    );
    let stdout = String::from_utf8_lossy(&tested.stdout);
    for scenario in [
        "idempotent_rpc_is_retried_and_a_non_idempotent_one_is_not",
        "breaker_opens_fails_fast_and_recovers_after_a_probe",
        "slow_handlers_hit_the_deadline_on_both_sides",
        "traceparent_reaches_the_handler_and_the_next_hop",
        "graceful_shutdown_finishes_an_in_flight_stream",
        "shutdown_ends_streams_that_outlive_the_grace_period",
        "panics_become_internal_and_stream_errors_keep_their_status",
        "health_readiness_and_metrics_over_http_and_grpc",
        "reflection_lists_the_contracts_services",
        "every_rpc_kind_goes_through_the_typed_clients",
        "configuration_comes_from_flags_env_and_protogen_toml",
        // The runtime's own unit tests, in the generated api crate.
        "runtime::breaker::tests::opens_after_consecutive_failures_probes_once_and_closes",
        "runtime::retry::tests::backoff_grows_exponentially_is_capped_and_jittered",
        "runtime::trace::tests::traceparent_parses_and_formats_per_w3c",
        "runtime::deadline::tests::grpc_timeout_round_trips_and_rejects_garbage",
    ] {
        assert!(
            stdout.contains(&format!("test {scenario} ... ok")),
            "{scenario} did not pass:\n{stdout}"
        );
    }

    interop_with_a_node_client(&workspace);
}

/// `@grpc/grpc-js` calls the generated server binary: unary, server streaming, bidirectional
/// streaming, a deadline and error statuses; then SIGTERM stops the server cleanly.
fn interop_with_a_node_client(workspace: &Path) {
    let Some(modules) = common::peer(".tools/node_modules/@grpc/grpc-js") else {
        return;
    };
    let node_path = modules.parent().unwrap().parent().unwrap().to_path_buf();
    let mut server = Command::new(generated_target_dir().join("debug/shop-server"))
        .current_dir(workspace)
        .env("SHOP_ADDR", "127.0.0.1:0")
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let addr = first_line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(
        first_line.starts_with("shop-server listening on"),
        "{first_line:?}"
    );

    let client = Command::new("node")
        .arg(common::project_root().join("tests/interop/client.js"))
        .arg(&addr)
        .arg(workspace.parent().unwrap().join("proto"))
        .env("NODE_PATH", &node_path)
        .output()
        .expect("node runs");
    let stop = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stop.success());
    let exited = wait_with_timeout(&mut server, Duration::from_secs(10));
    assert!(
        client.status.success(),
        "the Node.js client failed:\n{}",
        String::from_utf8_lossy(&client.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&client.stdout).unwrap();

    assert_eq!(seen["unary"]["code"], 0, "{seen}");
    assert_eq!(seen["unary"]["response"]["email"], "u7@example.com");
    assert_eq!(seen["stream"]["code"], 0, "{seen}");
    assert_eq!(seen["stream"]["received"].as_array().unwrap().len(), 5);
    assert_eq!(seen["stream"]["received"][4]["id"], "u4");
    // A stream that fails after two messages: both arrive, then FAILED_PRECONDITION (9).
    assert_eq!(seen["stream_error"]["code"], 9, "{seen}");
    assert_eq!(
        seen["stream_error"]["details"],
        "the user index is being rebuilt"
    );
    assert_eq!(
        seen["stream_error"]["received"].as_array().unwrap().len(),
        2
    );
    // A 300 ms deadline on a 5 s handler: DEADLINE_EXCEEDED (4), on time.
    assert_eq!(seen["deadline"]["code"], 4, "{seen}");
    assert!(seen["deadline"]["elapsed_ms"].as_u64().unwrap() < 2000);
    assert_eq!(seen["not_found"]["code"], 5, "{seen}");
    assert_eq!(seen["not_found"]["details"], "no user `missing`");
    assert_eq!(seen["bidi"]["code"], 0, "{seen}");
    assert_eq!(seen["bidi"]["received"][1]["orderId"], "b");

    let status = exited.expect("the server exits within 10 s of SIGTERM");
    assert!(status.success(), "the server exited with {status}");
}

fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Option<std::process::ExitStatus> {
    let until = Instant::now() + timeout;
    while Instant::now() < until {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

//! Events end to end, on a real NATS server with JetStream (Debian's nats-server): a publisher
//! and a subscriber workspace made by `protogen new` from one contract (fixtures/events/); the
//! unwritten subscriber fails the build by name; written, it receives events published by the
//! publisher's crate (typed publisher, and from a gRPC handler) and by a Node.js client (`nats`
//! npm package), events published while it is stopped after its restart, and a failing event is
//! retried, then dead-lettered. Nothing is lost: every event sent is handled.
//! Shares the generated-crates target dir with the other end-to-end tests.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{cargo_ok, copy_dir, generated_target_dir};

/// Replaces the stub of `route` in `workspace`'s only handler file with `body`.
fn implement(workspace: &Path, name: &str, route: &str, body: &str) {
    let path = workspace.join(format!(
        "{name}-server/src/handlers/orders_v1_shipping_service.rs"
    ));
    let text = std::fs::read_to_string(&path).unwrap();
    let stub =
        format!("        let _ = request;\n        {name}_api::unimplemented_rpc!(\"{route}\")\n");
    assert!(
        text.contains(&stub),
        "no stub for {route} in {}",
        path.display()
    );
    std::fs::write(&path, text.replace(&stub, body)).unwrap();
}

fn protogen(dir: &Path, args: &[&str]) -> (i32, String, String) {
    common::run(
        Command::new(env!("CARGO_BIN_EXE_protogen"))
            .current_dir(dir)
            .args(args),
    )
}

/// A child process killed when dropped, so a failing assertion leaves nothing running.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// nats-server with JetStream on a free loopback port, storing in `store`.
fn start_nats(binary: &Path, store: &Path) -> (Running, String) {
    // nats-server needs a fixed port: take a free one from the OS first.
    let port = free_port();
    let child = Command::new(binary)
        .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nats-server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (running, format!("nats://127.0.0.1:{port}"))
}

/// The order ids the subscriber's handler saw, with how many times each.
fn handled(log: &Path) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for line in std::fs::read_to_string(log).unwrap_or_default().lines() {
        let id = line.split(' ').next().unwrap_or_default().to_string();
        *seen.entry(id).or_insert(0) += 1;
    }
    seen
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts the built server binary `name` and waits for its "listening on ADDR" line.
fn start_server(target: &Path, name: &str, envs: &[(&str, &str)]) -> (Running, String) {
    let mut child = Command::new(target.join("debug").join(name))
        .envs(envs.iter().copied())
        .env("HTTP_ADDR", "off")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .split_once("listening on ")
        .map(|(_, addr)| addr.to_string())
        .unwrap_or_else(|| panic!("{name} did not start: {line:?}"));
    (Running(child), addr)
}

fn stop(mut server: Running) {
    let pid = server.0.id().to_string();
    // SIGTERM: graceful shutdown, handlers finish.
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.0.wait().unwrap();
    assert!(
        status.success(),
        "the server did not stop cleanly: {status}"
    );
}

const SUBSCRIBER_BODY: &str = r#"        // The test reads this log: order id, attempt, trace id, parent span.
        use std::io::Write;
        let line = format!(
            "{} {} {:032x} {:016x}\n",
            event.order_id,
            metadata.attempt,
            metadata.trace.trace_id,
            metadata.trace.parent_span_id.unwrap_or(0)
        );
        let log = std::env::var("HANDLED_LOG").map_err(|_| "HANDLED_LOG is not set")?;
        std::fs::OpenOptions::new().create(true).append(true).open(log)?.write_all(line.as_bytes())?;
        if event.order_id.starts_with("fail") {
            return Err(format!("order {} cannot be billed", event.order_id).into());
        }
        Ok(())
"#;

/// Publishes `count` events through the api crate's typed publisher, the first one inside a
/// known trace so the subscriber's side can be checked against it.
const PUBLISH_EXAMPLE: &str = r#"use warehouse_api::orders::v1::OrderShipped;
use warehouse_api::runtime::events::Publisher;
use warehouse_api::runtime::{trace, TraceContext};

#[tokio::main]
async fn main() -> Result<(), warehouse_api::runtime::BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let (url, prefix, count) = (&args[1], &args[2], args[3].parse::<usize>()?);
    let publisher = Publisher::connect(url).await?;
    let root = TraceContext::new_root();
    println!("{:032x} {:016x}", root.trace_id, root.span_id);
    for i in 0..count {
        let event = OrderShipped { order_id: format!("{prefix}-{i}"), user_id: "u1".into() };
        trace::scope(root, publisher.publish(&event)).await?;
    }
    Ok(())
}
"#;

/// A client of the warehouse's gRPC service: its handler publishes an event per call.
const SHIP_EXAMPLE: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap();
    let target = warehouse_client::warehouse_api::runtime::Target::connect(format!("http://{addr}")).await?;
    let mut client = warehouse_client::orders::v1::ShippingServiceClient::new(target);
    client
        .ship(warehouse_client::warehouse_api::orders::v1::ShipRequest { order_id: "grpc-0".into(), user_id: "u2".into() })
        .await?;
    Ok(())
}
"#;

#[test]
fn events_flow_between_workspaces_over_jetstream() {
    let Some(nats_server) = common::system_peer("nats-server") else {
        return;
    };
    let Some(node_nats) = common::peer(".tools/node_modules/nats") else {
        return;
    };
    let _ = node_nats;
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    copy_dir(&common::project_root().join("fixtures/events"), &proto);
    for name in ["warehouse", "billing"] {
        let (code, _, err) = protogen(dir.path(), &["new", name, "--proto", "proto"]);
        assert_eq!(code, 0, "{err}");
    }
    let warehouse = dir.path().join("warehouse");
    let billing = dir.path().join("billing");

    // The subscriber: billing handles orders.shipped and publishes nothing.
    let config = billing.join("protogen.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text = text
        .replace(
            "publishes = [\n    \"orders.cancelled\",\n    \"orders.shipped\",\n]",
            "publishes = [\n]",
        )
        .replace(
            "subscribes = [\n]",
            "subscribes = [\n    \"orders.shipped\",\n]",
        );
    std::fs::write(&config, text).unwrap();
    let (code, out, err) = protogen(&billing, &["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("billing-server/src/subscribers.rs:")
            && out.contains("stub for new event orders.shipped (orders.v1.OrderShipped)"),
        "{out}"
    );

    implement(
        &billing,
        "billing",
        "orders.v1.ShippingService/Ship",
        "        let _ = request;\n        Ok(Response::new(pb::ShipReply {}))\n",
    );
    // Unwritten, the stub fails the build, naming the event at its line.
    let failed = common::cargo(&billing, &["build", "-p", "billing-server"]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "the stub compiled");
    assert!(
        stderr.contains(
            "the handler of event `orders.shipped` (orders.v1.OrderShipped) is not written yet"
        ) && stderr.contains("billing-server/src/subscribers.rs:"),
        "{stderr}"
    );
    let handlers = billing.join("billing-server/src/subscribers.rs");
    let text = std::fs::read_to_string(&handlers).unwrap();
    let stub = "        let _ = (event, metadata);\n        billing_api::unimplemented_event!(\"orders.shipped\", \"orders.v1.OrderShipped\")\n";
    assert!(text.contains(stub), "{text}");
    std::fs::write(&handlers, text.replace(stub, SUBSCRIBER_BODY)).unwrap();

    // The publisher: warehouse's Ship handler publishes; an example publishes in bulk.
    implement(
        &warehouse,
        "warehouse",
        "orders.v1.ShippingService/Ship",
        r#"        let order = request.into_inner();
        let event = pb::OrderShipped { order_id: order.order_id, user_id: order.user_id };
        warehouse_api::events::publish(&event).await.map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Response::new(pb::ShipReply {}))
"#,
    );
    std::fs::create_dir_all(warehouse.join("warehouse-server/examples")).unwrap();
    std::fs::write(
        warehouse.join("warehouse-server/examples/publish.rs"),
        PUBLISH_EXAMPLE,
    )
    .unwrap();
    std::fs::write(
        warehouse.join("warehouse-client/examples/ship.rs"),
        SHIP_EXAMPLE,
    )
    .unwrap();

    cargo_ok(&billing, &["build", "-p", "billing-server"]);
    cargo_ok(
        &warehouse,
        &[
            "build",
            "-p",
            "warehouse-server",
            "--bins",
            "--example",
            "publish",
        ],
    );
    cargo_ok(
        &warehouse,
        &["build", "-p", "warehouse-client", "--example", "ship"],
    );
    let target = generated_target_dir();

    // Without NATS the services refuse to start, saying what to set.
    let refused = Command::new(target.join("debug/warehouse-server"))
        .env_remove("NATS_URL")
        .env("WAREHOUSE_ADDR", "127.0.0.1:0")
        .env("HTTP_ADDR", "off")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("warehouse publishes [orders.cancelled, orders.shipped]")
            && said.contains("pass --nats-url or set NATS_URL"),
        "{said}"
    );

    let store = dir.path().join("nats-store");
    let (_nats, url) = start_nats(&nats_server, &store);
    let log = dir.path().join("handled.log");
    let log_text = log.display().to_string();
    let billing_env = [
        ("NATS_URL", url.as_str()),
        ("BILLING_ADDR", "127.0.0.1:0"),
        ("HANDLED_LOG", log_text.as_str()),
        ("EVENT_MAX_ATTEMPTS", "3"),
        ("EVENT_RETRY_BACKOFF", "100ms"),
    ];
    let (subscriber, _) = start_server(&target, "billing-server", &billing_env);

    // From the Rust publisher, in a known trace.
    let published = Command::new(target.join("debug/examples/publish"))
        .args([&url, "rust", "20"])
        .output()
        .unwrap();
    assert!(
        published.status.success(),
        "{}",
        String::from_utf8_lossy(&published.stderr)
    );
    let root = String::from_utf8_lossy(&published.stdout)
        .trim()
        .to_string();
    let (root_trace, root_span) = root.split_once(' ').unwrap();

    // From Node.js, encoded with protobufjs from the same .proto file.
    let node = Command::new("node")
        .arg(common::project_root().join("tests/events/client.js"))
        .args(["publish", &url])
        .arg(&proto)
        .args(["node", "5"])
        .env(
            "NODE_PATH",
            common::project_root().join(".tools/node_modules"),
        )
        .output()
        .unwrap();
    assert!(
        node.status.success(),
        "{}",
        String::from_utf8_lossy(&node.stderr)
    );

    // One that the handler refuses: retried, then dead-lettered after 3 attempts.
    let failing = Command::new(target.join("debug/examples/publish"))
        .args([&url, "fail", "1"])
        .output()
        .unwrap();
    assert!(failing.status.success());

    // From the warehouse's gRPC handler, through the server's own connection.
    let (_warehouse_server, warehouse_addr) = start_server(
        &target,
        "warehouse-server",
        &[
            ("NATS_URL", url.as_str()),
            ("WAREHOUSE_ADDR", "127.0.0.1:0"),
        ],
    );
    let shipped = Command::new(target.join("debug/examples/ship"))
        .arg(&warehouse_addr)
        .output()
        .unwrap();
    assert!(
        shipped.status.success(),
        "{}",
        String::from_utf8_lossy(&shipped.stderr)
    );

    let expected_online: Vec<String> = (0..20)
        .map(|i| format!("rust-{i}"))
        .chain((0..5).map(|i| format!("node-{i}")))
        .chain(["grpc-0".to_string()])
        .collect();
    wait_for(
        "the events published online",
        Duration::from_secs(60),
        || {
            let seen = handled(&log);
            expected_online.iter().all(|id| seen.contains_key(id)) && seen.get("fail-0") == Some(&3)
        },
    );

    // The handler's span continues the publisher's trace, as a child of the publishing span.
    let text = std::fs::read_to_string(&log).unwrap();
    let rust_0 = text.lines().find(|l| l.starts_with("rust-0 ")).unwrap();
    let fields: Vec<&str> = rust_0.split(' ').collect();
    assert_eq!(fields[2], root_trace, "{rust_0}");
    assert_ne!(
        fields[3], root_span,
        "the publish is a span of its own under the caller's"
    );
    assert_ne!(fields[3], "0000000000000000");

    // The dead letter is stored, with the error.
    let count = Command::new("node")
        .arg(common::project_root().join("tests/events/client.js"))
        .args(["count", &url, "EVENTS_DEAD_LETTERS"])
        .env(
            "NODE_PATH",
            common::project_root().join(".tools/node_modules"),
        )
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&count.stdout).trim(),
        "1",
        "{}",
        String::from_utf8_lossy(&count.stderr)
    );

    // Published while the subscriber is down: delivered once it is back.
    stop(subscriber);
    let offline = Command::new(target.join("debug/examples/publish"))
        .args([&url, "offline", "10"])
        .output()
        .unwrap();
    assert!(offline.status.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !handled(&log).contains_key("offline-0"),
        "handled while stopped"
    );
    let (_subscriber, _) = start_server(&target, "billing-server", &billing_env);
    let expected_offline: Vec<String> = (0..10).map(|i| format!("offline-{i}")).collect();
    wait_for(
        "the events published while stopped",
        Duration::from_secs(60),
        || {
            let seen = handled(&log);
            expected_offline.iter().all(|id| seen.contains_key(id))
        },
    );

    // Nothing lost, nothing handled twice: every event sent was handled once (the failing one
    // three times).
    let seen = handled(&log);
    let sent = expected_online.len() + expected_offline.len();
    let once = seen
        .iter()
        .filter(|(id, n)| !id.starts_with("fail") && **n == 1)
        .count();
    assert_eq!(once, sent, "{seen:?}");
    assert_eq!(seen.len(), sent + 1, "{seen:?}");
}

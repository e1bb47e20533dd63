//! The production runtime of generated crates, end to end: one workspace made by
//! `protogen new`, built once, then the scenarios of `tests/runtime_scenarios/` (retries,
//! breaker, deadlines, trace context, shutdown, panics, health and metrics) in-process, and a
//! Node.js gRPC client (`@grpc/grpc-js`) against the generated server binary.
//! Shares the generated-crates target dir with the other end-to-end tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{cargo_ok, copy_dir, generated_target_dir, implement, ORDERS, USERS};

/// Handler bodies for the server binary that the Node.js client calls: a slow RPC for the
/// deadline, NOT_FOUND, a stream that ends with an error status.
fn write_handlers(workspace: &Path) {
    implement(
        workspace,
        USERS,
        "users.v1.UsersService/FindOne",
        r#"        let id = request.into_inner().id;
        tracing::warn!(%id, "looking up the user");
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
                if filter.role == "ticker" {
                    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
                }
                tx.send(pb::User { id: format!("u{i}"), role: filter.role.clone(), ..Default::default() }).await?;
            }
            tracing::warn!(count = filter.limit, "stream produced");
            if filter.role == "idle" {
                std::future::pending::<()>().await;
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
    // FindOne gets a REST route (GET /v1/users/{id}), so the guard is seen on a REST call of
    // the hybrid service; the google/api files sit next to the contract for the Node.js client.
    copy_dir(
        &common::project_root().join("src/contract/known/google/api"),
        &dir.join("proto/google/api"),
    );
    let users = dir.join("proto/users/v1/users.proto");
    let text = std::fs::read_to_string(&users).unwrap();
    let annotated = text
        .replacen(
            "package users.v1;",
            "package users.v1;\nimport \"google/api/annotations.proto\";",
            1,
        )
        .replacen(
            "option idempotency_level = NO_SIDE_EFFECTS;",
            "option idempotency_level = NO_SIDE_EFFECTS;\n    option (google.api.http) = {get: \"/v1/users/{id}\"};",
            1,
        );
    assert!(annotated.contains("google.api.http"), "{annotated}");
    std::fs::write(&users, annotated).unwrap();
    let workspace = common::new_shop(dir);
    write_handlers(&workspace);

    let scenarios = common::project_root().join("tests/runtime_scenarios");
    common::add_scenario_crate(&workspace, &scenarios, "scenarios.rs", "runtime-tests");

    // A per-RPC override, which the configuration scenario expects to find embedded, and
    // the scopes the guard asks for when JWT_SECRET turns it on.
    let config = workspace.join("protogen.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[client.rpc.\"users.v1.UsersService/FindOne\"]\ndeadline = \"2s\"\n");
    text.push_str(concat!(
        "\n[server.auth]\npublic = [\"/livez\", \"/readyz\", \"/grpc.health.v1.Health/\"]\n",
        "[server.auth.scopes]\n\"orders.v1.OrdersService/CreateOrder\" = [\"orders:write\"]\n",
        "\"/metrics\" = [\"ops\"]\n",
    ));
    std::fs::write(&config, text).unwrap();
    workspace
}

#[test]
fn generated_runtime_behaves_in_production_shape() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = scaffold(dir.path());
    cargo_ok(&workspace, &["build", "-p", "shop-server"]);
    let tested = cargo_ok(
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
        "connections_get_goaway_at_max_connection_age",
        "panics_become_internal_and_stream_errors_keep_their_status",
        "health_readiness_and_metrics_over_http_and_grpc",
        "reflection_lists_the_contracts_services",
        "every_rpc_kind_goes_through_the_typed_clients",
        "configuration_comes_from_flags_env_and_protogen_toml",
        "streams_live_while_they_produce_and_idle_ones_end",
        "one_guard_covers_grpc_calls_and_http_routes",
        "a_guard_may_await_io_before_it_decides",
        "server_settings_come_from_protogen_toml",
        // The runtime's own unit tests, in the generated api crate.
        "runtime::breaker::tests::opens_after_consecutive_failures_probes_once_and_closes",
        "runtime::retry::tests::backoff_grows_exponentially_is_capped_and_jittered",
        "runtime::trace::tests::traceparent_parses_and_formats_per_w3c",
        "runtime::deadline::tests::grpc_timeout_round_trips_and_rejects_garbage",
        "runtime::guard::tests::jwt_guard_authenticates_authorizes_and_leaves_probes_open",
        "runtime::listener::tests::preface_and_settings_mark_an_http2_client_as_spoken",
        "runtime::rest::json::tests::depth_is_counted_outside_strings_only",
        "runtime::naming::tests::targets_parse_in_grpc_naming_syntax",
        "runtime::naming::tests::bad_targets_are_refused_with_the_target_and_the_reason",
    ] {
        assert!(
            stdout.contains(&format!("test {scenario} ... ok")),
            "{scenario} did not pass:\n{stdout}"
        );
    }

    interop_with_a_node_client(&workspace);
    production_with_a_node_client(&workspace);
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

/// The generated server binary, started with `env`: its child process, gRPC and HTTP
/// addresses, and the file its log (stderr) goes to.
struct ServerProcess {
    child: std::process::Child,
    grpc: String,
    http: String,
    log: tempfile::NamedTempFile,
}

impl ServerProcess {
    fn start(workspace: &Path, env: &[(&str, &str)]) -> ServerProcess {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(generated_target_dir().join("debug/shop-server"))
            .current_dir(workspace)
            .env("SHOP_ADDR", "127.0.0.1:0")
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut address = |prefix: &str| {
            let line = lines
                .next()
                .expect("the server prints its addresses")
                .unwrap();
            line.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{line:?} does not start with {prefix:?}"))
                .to_owned()
        };
        let grpc = address("shop-server listening on ");
        let http = address("shop-server HTTP on ");
        ServerProcess {
            child,
            grpc,
            http,
            log,
        }
    }

    /// The log lines written so far that contain `text`.
    fn log_lines_with(&self, text: &str) -> Vec<String> {
        std::fs::read_to_string(self.log.path())
            .unwrap()
            .lines()
            .filter(|line| line.contains(text))
            .map(str::to_owned)
            .collect()
    }

    /// SIGTERM, then the exit status (within 10 s).
    fn stop(mut self) -> std::process::ExitStatus {
        self.terminate();
        self.wait()
    }

    /// SIGTERM: the server starts its graceful shutdown.
    fn terminate(&mut self) {
        let stop = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(stop.success());
    }

    /// The exit status, within 10 s.
    fn wait(mut self) -> std::process::ExitStatus {
        wait_with_timeout(&mut self.child, Duration::from_secs(10))
            .expect("the server exits within 10 s of SIGTERM")
    }
}

/// `node tests/interop/production.js MODE ADDR PROTO_ROOT ARGS...`: what the client saw.
fn node(
    workspace: &Path,
    node_path: &Path,
    mode: &str,
    addr: &str,
    args: &[&str],
) -> serde_json::Value {
    let output = node_command(workspace, node_path, mode, addr, args)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "node {mode} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn node_command(
    workspace: &Path,
    node_path: &Path,
    mode: &str,
    addr: &str,
    args: &[&str],
) -> Command {
    let mut command = Command::new("node");
    command
        .arg(common::project_root().join("tests/interop/production.js"))
        .arg(mode)
        .arg(addr)
        .arg(workspace.parent().unwrap().join("proto"))
        .args(args)
        .env("NODE_PATH", node_path);
    command
}

/// A plain HTTP/1.1 GET: status and body.
fn http_get(addr: &str, path: &str, bearer: Option<&str>) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let auth = bearer.map_or_else(String::new, |token| {
        format!("Authorization: Bearer {token}\r\n")
    });
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The production behaviour of the generated server binary, seen by `@grpc/grpc-js`: mutual
/// TLS (and renewed certificates), OpenTelemetry export, bounded metrics, streams and
/// deadlines, shutdown, and the guard on both listeners.
fn production_with_a_node_client(workspace: &Path) {
    let Some(modules) = common::peer(".tools/node_modules/@grpc/grpc-js") else {
        return;
    };
    let node_path = modules.parent().unwrap().parent().unwrap().to_path_buf();
    let node = |mode: &str, addr: &str, args: &[&str]| -> serde_json::Value {
        node(workspace, &node_path, mode, addr, args)
    };

    // Bounded metrics: 500 calls to made-up services add one `unknown` series, not 500.
    let server = ServerProcess::start(workspace, &[]);
    let (_, before) = http_get(&server.http, "/metrics", None);
    let seen = node("unknown", &server.grpc, &["500"]);
    assert_eq!(seen["codes"]["12"], 500, "all UNIMPLEMENTED: {seen}");
    let (status, after) = http_get(&server.http, "/metrics", None);
    assert_eq!(status, 200);
    let grown = after.lines().count() as i64 - before.lines().count() as i64;
    assert!(
        grown <= 25,
        "/metrics grew by {grown} lines for 500 unknown methods:\n{after}"
    );
    assert!(!after.contains("grpc.fake"), "{after}");
    let unknown = after
        .lines()
        .find(|line| {
            line.starts_with("grpc_server_handled_total{")
                && line.contains(r#"grpc_service="unknown""#)
                && line.contains(r#"grpc_code="UNIMPLEMENTED""#)
        })
        .unwrap_or_else(|| panic!("no series for unknown methods:\n{after}"));
    assert!(unknown.ends_with(" 500"), "{unknown}");

    // Streams and deadlines: without a caller deadline, a stream that outlives the default
    // maximum delivers every message; a unary call gets the maximum.
    assert!(server.stop().success());
    let server = ServerProcess::start(workspace, &[("MAX_DEADLINE", "300ms")]);
    let seen = node("ticker", &server.grpc, &[]);
    assert_eq!(seen["stream"]["code"], 0, "{seen}");
    assert_eq!(
        seen["stream"]["received"].as_array().unwrap().len(),
        5,
        "{seen}"
    );
    assert!(
        seen["stream"]["elapsed_ms"].as_u64().unwrap() >= 600,
        "{seen}"
    );
    assert_eq!(seen["unary"]["code"], 4, "DEADLINE_EXCEEDED: {seen}");
    assert!(
        seen["unary"]["elapsed_ms"].as_u64().unwrap() < 2000,
        "{seen}"
    );
    // The runtime's line for the call that ran out of time names it the same way.
    let failed = server.log_lines_with("call failed");
    assert!(
        failed
            .iter()
            .any(|line| line.contains(r#"code="DEADLINE_EXCEEDED""#)
                && line.contains(" rpc=/users.v1.UsersService/FindOne trace_id=")),
        "{failed:?}"
    );
    // The log lines of a handler, and of the task producing its stream, name the call.
    for (message, rpc) in [
        ("looking up the user", "FindOne"),
        ("stream produced", "FindMany"),
    ] {
        let lines = server.log_lines_with(message);
        assert_eq!(lines.len(), 1, "{lines:?}");
        let (_, fields) = lines[0]
            .split_once(&format!(" rpc=/users.v1.UsersService/{rpc} trace_id="))
            .unwrap_or_else(|| panic!("no rpc and trace_id in {:?}", lines[0]));
        assert!(
            fields.len() == 32 && fields.bytes().all(|b| b.is_ascii_hexdigit()),
            "{:?}",
            lines[0]
        );
    }
    assert!(server.stop().success());

    // JSON log lines carry them as keys; the caller's traceparent gives the trace id.
    let server = ServerProcess::start(workspace, &[("LOG_FORMAT", "json")]);
    let caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let seen = node("trace", &server.grpc, &[caller, "vendor=opaque"]);
    assert_eq!(seen["unary"]["code"], 0, "{seen}");
    let lines = server.log_lines_with("looking up the user");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let line: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(line["rpc"], "/users.v1.UsersService/FindOne", "{line}");
    assert_eq!(
        line["trace_id"], "0af7651916cd43dd8448eb211c80319c",
        "{line}"
    );
    assert_eq!(line["id"], "u1", "{line}");
    assert!(server.stop().success());

    // Forced shutdown: an idle stream still open at the end of the grace period ends with
    // UNAVAILABLE, and the process exits 0.
    let server = ServerProcess::start(workspace, &[("SHUTDOWN_GRACE", "300ms")]);
    let mut client = node_command(workspace, &node_path, "idle", &server.grpc, &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(client.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let started = Instant::now();
    let exit = server.stop();
    let seen: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(seen["stream"]["code"], 14, "UNAVAILABLE: {seen}");
    assert_eq!(
        seen["stream"]["received"].as_array().unwrap().len(),
        1,
        "{seen}"
    );
    assert!(exit.success(), "the server exited with {exit}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(client.wait().unwrap().success());

    // The guard: one JWT check for gRPC calls and HTTP routes, off until configured.
    let server = ServerProcess::start(workspace, &[("JWT_SECRET", "s3cret")]);
    let seen = node("guard", &server.grpc, &["s3cret"]);
    assert_eq!(seen["no_token"]["code"], 16, "UNAUTHENTICATED: {seen}");
    assert_eq!(seen["forged"]["code"], 16, "UNAUTHENTICATED: {seen}");
    assert_eq!(seen["reader"]["code"], 0, "{seen}");
    assert_eq!(
        seen["reader_creates"]["code"], 7,
        "PERMISSION_DENIED: {seen}"
    );
    assert_eq!(seen["writer_creates"]["code"], 0, "{seen}");
    assert_eq!(seen["health"]["code"], 0, "health is public: {seen}");
    let reader = seen["tokens"]["reader"].as_str().unwrap();
    assert_eq!(http_get(&server.http, "/metrics", None).0, 401);
    assert_eq!(http_get(&server.http, "/metrics", Some(reader)).0, 403);
    assert_eq!(http_get(&server.http, "/livez", None).0, 200);
    // A REST call of the same RPC passes the same guard.
    let (status, body) = http_get(&server.http, "/v1/users/u1", None);
    assert_eq!(status, 401, "a REST call without a token: {body}");
    let (status, body) = http_get(&server.http, "/v1/users/u1", Some(reader));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("u1@example.com"), "{body}");
    assert!(server.stop().success());

    tls_with_a_node_client(workspace, &node_path, &node);
    opentelemetry_export(workspace, &node);
}

/// Mutual TLS with certificates made by openssl: accepted with the client certificate,
/// refused without it and in plaintext; a renewed certificate is served without a restart;
/// unreadable files stop the server at start with exit code 2.
fn tls_with_a_node_client(
    workspace: &Path,
    node_path: &Path,
    node: &dyn Fn(&str, &str, &[&str]) -> serde_json::Value,
) {
    let Some(openssl) = common::peer("/usr/bin/openssl") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pki = Pki::new(&openssl, dir.path());
    pki.issue(
        "server",
        "server-one",
        "serverAuth",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
    );
    pki.issue(
        "client",
        "client-one",
        "clientAuth",
        "subjectAltName=DNS:client",
    );
    let file = |name: &str| dir.path().join(name).display().to_string();
    let (ca, cert, key) = (file("ca.pem"), file("server.pem"), file("server.key"));
    let client = [file("ca.pem"), file("client.pem"), file("client.key")];
    let client: Vec<&str> = client.iter().map(String::as_str).collect();

    let server = ServerProcess::start(
        workspace,
        &[
            ("TLS_CERT", &cert),
            ("TLS_KEY", &key),
            ("TLS_CLIENT_CA", &ca),
            ("TLS_RELOAD_INTERVAL", "100ms"),
            ("HTTP_TLS", "off"),
        ],
    );
    let seen = node("mtls", &server.grpc, &client);
    assert_eq!(seen["with_cert"]["code"], 0, "{seen}");
    assert_eq!(seen["with_cert"]["response"]["email"], "u1@example.com");
    assert_eq!(
        seen["without_cert"]["code"], 14,
        "refused without a client certificate: {seen}"
    );
    assert_eq!(
        seen["plaintext"]["code"], 14,
        "refused in plaintext: {seen}"
    );
    assert_eq!(node("peer", &server.grpc, &client)["cn"], "server-one");
    // HTTP_TLS=off: probes stay plain HTTP.
    assert_eq!(http_get(&server.http, "/livez", None).0, 200);

    // Shutdown over TLS: at SIGTERM both listeners (gRPC, and HTTP over TLS) refuse new
    // connections at once, while an open mTLS stream lives on until the grace period ends
    // it with UNAVAILABLE.
    assert!(server.stop().success());
    let mut server = ServerProcess::start(
        workspace,
        &[
            ("TLS_CERT", &cert),
            ("TLS_KEY", &key),
            ("TLS_CLIENT_CA", &ca),
            ("SHUTDOWN_GRACE", "2s"),
        ],
    );
    let mut idle = node_command(workspace, node_path, "idle", &server.grpc, &client)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(idle.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let started = Instant::now();
    server.terminate();
    std::thread::sleep(Duration::from_millis(300));
    for addr in [&server.grpc, &server.http] {
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "{addr} still accepts connections during the shutdown"
        );
    }
    let seen: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        seen["stream"]["code"], 14,
        "UNAVAILABLE at the end of the grace: {seen}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert!(server.wait().success());
    assert!(idle.wait().unwrap().success());

    let server = ServerProcess::start(
        workspace,
        &[
            ("TLS_CERT", &cert),
            ("TLS_KEY", &key),
            ("TLS_CLIENT_CA", &ca),
            ("TLS_RELOAD_INTERVAL", "100ms"),
            ("HTTP_TLS", "off"),
        ],
    );
    // Renewal: new files in place, picked up by the next connections.
    pki.issue(
        "server",
        "server-two",
        "serverAuth",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
    );
    let renewed = (0..50).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        node("peer", &server.grpc, &client)["cn"] == "server-two"
    });
    assert!(
        renewed,
        "the renewed certificate is served without a restart"
    );
    assert!(server.stop().success());

    // Bad files: a clear error naming the file, exit code 2, nothing served.
    for (env, value, expected) in [
        ("TLS_CERT", file("missing.pem"), "missing.pem"),
        ("TLS_KEY", file("ca.pem"), "private key"),
    ] {
        let mut vars = vec![("TLS_CERT", cert.as_str()), ("TLS_KEY", key.as_str())];
        vars.retain(|(name, _)| *name != env);
        vars.push((env, &value));
        let output = Command::new(generated_target_dir().join("debug/shop-server"))
            .current_dir(workspace)
            .env("SHOP_ADDR", "127.0.0.1:0")
            .env("HTTP_ADDR", "off")
            .envs(vars)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{env}={value}: {stderr}");
        assert!(stderr.contains(expected), "{env}={value}: {stderr}");
    }
}

/// A certificate authority made with the openssl command line.
struct Pki<'a> {
    openssl: &'a Path,
    dir: &'a Path,
}

impl<'a> Pki<'a> {
    fn new(openssl: &'a Path, dir: &'a Path) -> Self {
        let pki = Pki { openssl, dir };
        pki.run(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=protogen test CA",
        ]);
        pki
    }

    /// `NAME.pem` and `NAME.key`, signed by the CA, for `usage` (serverAuth, clientAuth).
    fn issue(&self, name: &str, cn: &str, usage: &str, san: &str) {
        let ext = self.dir.join(format!("{name}.ext"));
        std::fs::write(
            &ext,
            format!("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage={usage}\n{san}\n"),
        )
        .unwrap();
        let (key, csr, pem) = (
            format!("{name}.key.new"),
            format!("{name}.csr"),
            format!("{name}.pem.new"),
        );
        self.run(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={cn}"),
        ]);
        self.run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            &pem,
            "-days",
            "2",
            "-extfile",
            ext.to_str().unwrap(),
        ]);
        // Renamed into place, as cert-manager and friends do.
        std::fs::rename(self.dir.join(&key), self.dir.join(format!("{name}.key"))).unwrap();
        std::fs::rename(self.dir.join(&pem), self.dir.join(format!("{name}.pem"))).unwrap();
    }

    fn run(&self, args: &[&str]) {
        let output = Command::new(self.openssl)
            .current_dir(self.dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// A local OTLP/HTTP receiver (a few lines of HTTP/1.1) gets the server's span, in the trace
/// of the caller's traceparent, flushed at shutdown.
fn opentelemetry_export(workspace: &Path, node: &dyn Fn(&str, &str, &[&str]) -> serde_json::Value) {
    use std::io::{Read, Write};
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", receiver.local_addr().unwrap());
    let (sender, received) = std::sync::mpsc::channel::<(String, Vec<u8>)>();
    std::thread::spawn(move || {
        for stream in receiver.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            loop {
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
                    break;
                }
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                    if let Some((name, value)) = header.split_once(':') {
                        if name.eq_ignore_ascii_case("content-length") {
                            length = value.trim().parse().unwrap();
                        }
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let _ = sender.send((request_line, body));
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n");
            }
        }
    });

    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let server = ServerProcess::start(
        workspace,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_SERVICE_NAME", "shop-e2e"),
        ],
    );
    let seen = node(
        "trace",
        &server.grpc,
        &[&format!("00-{trace_id}-{caller_span}-01"), "vendor=opaque"],
    );
    assert_eq!(seen["unary"]["code"], 0, "{seen}");
    // The handler's log line names the call once: its exported span stays out of the log.
    let lines = server.log_lines_with("looking up the user");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].ends_with(&format!(
            " id=u1 rpc=/users.v1.UsersService/FindOne trace_id={trace_id}"
        )),
        "{:?}",
        lines[0]
    );
    assert!(!lines[0].contains("rpc{"), "{:?}", lines[0]);
    // Spans are exported in batches off the call's path: the call did not wait for them;
    // shutdown flushes them.
    assert!(server.stop().success());
    let hex = |text: &str| -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    };
    let (trace_bytes, parent_bytes) = (hex(trace_id), hex(caller_span));
    let contains = |body: &[u8], part: &[u8]| body.windows(part.len()).any(|window| window == part);
    let mut bodies = Vec::new();
    while let Ok((request_line, body)) = received.recv_timeout(Duration::from_secs(5)) {
        assert!(
            request_line.starts_with("POST /v1/traces "),
            "{request_line:?}"
        );
        bodies.push(body);
        if bodies.iter().any(|body| contains(body, &trace_bytes)) {
            break;
        }
    }
    let span = bodies
        .iter()
        .find(|body| contains(body, &trace_bytes))
        .expect("a span in the caller's trace reached the collector");
    assert!(
        contains(span, &parent_bytes),
        "the caller's span is the parent"
    );
    assert!(
        contains(span, b"shop-e2e"),
        "OTEL_SERVICE_NAME names the service"
    );
    assert!(contains(span, b"/users.v1.UsersService/FindOne"));
    assert!(contains(span, b"vendor=opaque"), "tracestate is kept");
}

//! Events end to end on each broker, one scenario run on NATS JetStream (Debian's nats-server),
//! Kafka (nisshi, a Kafka-compatible broker from crates.io) and RabbitMQ (Debian's
//! rabbitmq-server), each started on loopback: a workspace made by `protogen new` from
//! fixtures/events/ that publishes orders.shipped and subscribes to it. The unwritten handler
//! fails the build by name; a replica started before its broker waits for it (alive, /readyz
//! says so); events from the Rust publisher, from a gRPC handler and from a non-Rust client
//! (Node.js on NATS, Python on the others) are handled with the publisher's trace; a failing
//! event is retried, dead-lettered and read back by the non-Rust client; events published while
//! the subscriber is stopped are handled after its restart; two replicas share the work and
//! one is killed with SIGKILL half-way: nothing is lost, and the duplicates are counted; the
//! broker is killed and started again: the replica survives, unready meanwhile, and handles
//! the events published after. Handlers see the publisher's `tracestate`.
//! One generated-workspace build per broker, in the shared target dir.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::{cargo, cargo_ok, copy_dir, generated_target_dir};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Broker {
    Nats,
    Kafka,
    Rabbitmq,
}

impl Broker {
    fn name(self) -> &'static str {
        match self {
            Broker::Nats => "nats",
            Broker::Kafka => "kafka",
            Broker::Rabbitmq => "rabbitmq",
        }
    }

    /// The broker's program, installed by `cargo xtask setup`; `None` skips (outside CI).
    fn program(self) -> Option<PathBuf> {
        match self {
            Broker::Nats => common::system_peer("nats-server"),
            Broker::Kafka => {
                let home = std::env::var_os("HOME").map(PathBuf::from)?;
                let nisshi = home.join(".cargo/bin/nisshi");
                if nisshi.is_file() {
                    return Some(nisshi);
                }
                common::peer_command("nisshi")
            }
            Broker::Rabbitmq => {
                let server = PathBuf::from("/usr/lib/rabbitmq/bin/rabbitmq-server");
                if server.is_file() {
                    return Some(server);
                }
                common::system_peer("rabbitmq-server")
            }
        }
    }

    fn url(self, port: u16) -> String {
        match self {
            Broker::Nats => format!("nats://127.0.0.1:{port}"),
            Broker::Kafka => format!("kafka://127.0.0.1:{port}"),
            // A user, password and vhost of its own: the server must honour all three.
            Broker::Rabbitmq => format!("amqp://protogen:secret@127.0.0.1:{port}/shop"),
        }
    }

    /// Starts the broker on `port` (loopback), with its files under `dir`.
    fn start(self, program: &Path, port: u16, dir: &Path) -> Group {
        std::fs::create_dir_all(dir).unwrap();
        let log = std::fs::File::create(dir.join("broker.log")).unwrap();
        let mut command = Command::new(program);
        command
            .current_dir(dir)
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        match self {
            Broker::Nats => {
                command
                    .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
                    .arg(dir.join("store"));
            }
            Broker::Kafka => {
                // nisshi reads a .env from where it starts: `dir` is empty.
                let listener = format!("tcp://127.0.0.1:{port}");
                command.args([
                    "broker",
                    "--listener-url",
                    &listener,
                    "--advertised-listener-url",
                    &listener,
                    "--storage-engine",
                    "memory://nisshi/",
                ]);
            }
            Broker::Rabbitmq => {
                let config = dir.join("rabbitmq.conf");
                std::fs::write(
                    &config,
                    format!(
                        "listeners.tcp.default = 127.0.0.1:{port}\ndefault_vhost = shop\n\
                         default_user = protogen\ndefault_pass = secret\n"
                    ),
                )
                .unwrap();
                std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
                command
                    .env("HOME", dir) // the Erlang cookie
                    .env("RABBITMQ_NODENAME", format!("protogen{port}@localhost"))
                    .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                    .env("RABBITMQ_NODE_PORT", port.to_string())
                    .env("RABBITMQ_DIST_PORT", free_port().to_string())
                    .env("RABBITMQ_MNESIA_BASE", dir.join("mnesia"))
                    .env("RABBITMQ_LOG_BASE", dir.join("log"))
                    .env("RABBITMQ_CONFIG_FILE", &config)
                    .env("RABBITMQ_ENABLED_PLUGINS_FILE", dir.join("enabled_plugins"))
                    .env("ERL_EPMD_ADDRESS", "127.0.0.1");
            }
        }
        let running = Group(command.process_group(0).spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(90);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{} did not start: {}",
                self.name(),
                std::fs::read_to_string(dir.join("broker.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        running
    }
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

/// A broker started in a process group of its own, killed whole when dropped (rabbitmq-server
/// is a script whose Erlang VM would outlive it).
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .status();
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

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Status and body of `GET path` on a plain HTTP listener.
fn http_get(addr: &str, path: &str) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// One line per handled delivery: order id, attempt, trace id, parent span, replica,
/// tracestate (`-` when none).
struct Handled {
    lines: Vec<Vec<String>>,
}

impl Handled {
    fn read(log: &Path) -> Self {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        Handled {
            lines: text
                .lines()
                .map(|l| l.split(' ').map(String::from).collect())
                .collect(),
        }
    }

    /// How many times each order id was handled.
    fn counts(&self) -> BTreeMap<String, usize> {
        let mut seen = BTreeMap::new();
        for line in &self.lines {
            *seen.entry(line[0].clone()).or_insert(0) += 1;
        }
        seen
    }

    fn has_all(&self, ids: &[String]) -> bool {
        let seen = self.counts();
        ids.iter().all(|id| seen.contains_key(id))
    }

    /// Deliveries of ids starting with `prefix`, per replica.
    fn by_replica(&self, prefix: &str) -> BTreeMap<String, usize> {
        let mut split = BTreeMap::new();
        for line in self.lines.iter().filter(|l| l[0].starts_with(prefix)) {
            *split.entry(line[4].clone()).or_insert(0) += 1;
        }
        split
    }
}

fn ids(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|i| format!("{prefix}-{i}")).collect()
}

/// A replica of the subscribing server, with its gRPC and HTTP addresses.
struct Replica {
    running: Running,
    grpc: String,
    http: String,
}

fn start_replica(binary: &Path, replica: &str, envs: &[(&str, String)]) -> Replica {
    let mut child = Command::new(binary)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_str())))
        .env("REPLICA", replica)
        .env("HTTP_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    let mut second = String::new();
    reader.read_line(&mut first).unwrap();
    reader.read_line(&mut second).unwrap();
    let after = |line: &str, marker: &str| {
        line.trim()
            .split_once(marker)
            .map(|(_, addr)| addr.to_string())
            .unwrap_or_else(|| panic!("{replica} did not start: {line:?}"))
    };
    Replica {
        grpc: after(&first, "listening on "),
        http: after(&second, "HTTP on "),
        running: Running(child),
    }
}

/// SIGTERM: graceful shutdown, running handlers finish; the exit is clean.
fn stop(mut replica: Replica) {
    let pid = replica.running.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = replica.running.0.wait().unwrap();
    assert!(
        status.success(),
        "the server did not stop cleanly: {status}"
    );
}

const SUBSCRIBER_BODY: &str = r#"        // The test reads this log: order id, attempt, trace id, parent span, replica, tracestate.
        use std::io::Write;
        let delay = std::env::var("HANDLER_DELAY_MS").ok().and_then(|d| d.parse().ok()).unwrap_or(0);
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        let line = format!(
            "{} {} {:032x} {:016x} {} {}\n",
            event.order_id,
            metadata.attempt,
            metadata.trace.trace_id,
            metadata.trace.parent_span_id.unwrap_or(0),
            std::env::var("REPLICA").unwrap_or_default(),
            if metadata.tracestate.is_empty() { "-" } else { &metadata.tracestate },
        );
        let log = std::env::var("HANDLED_LOG").map_err(|_| "HANDLED_LOG is not set")?;
        std::fs::OpenOptions::new().create(true).append(true).open(log)?.write_all(line.as_bytes())?;
        if event.order_id.starts_with("fail") {
            return Err(format!("order {} cannot be billed", event.order_id).into());
        }
        Ok(())
"#;

/// Publishes `count` events through the api crate's typed publisher (with `pause_ms` between
/// them), inside a known trace and trace state so the subscriber's side can be checked
/// against them.
const PUBLISH_EXAMPLE: &str = r#"use WS_api::orders::v1::OrderShipped;
use WS_api::runtime::events::{with_tracestate, Publisher};
use WS_api::runtime::{trace, TraceContext};

#[tokio::main]
async fn main() -> Result<(), WS_api::runtime::BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let (url, prefix, count) = (&args[1], &args[2], args[3].parse::<usize>()?);
    let pause = std::time::Duration::from_millis(args.get(4).map_or(Ok(0), |p| p.parse())?);
    let publisher = Publisher::connect(url).await?;
    let root = TraceContext::new_root();
    println!("{:032x} {:016x}", root.trace_id, root.span_id);
    for i in 0..count {
        let event = OrderShipped { order_id: format!("{prefix}-{i}"), user_id: "u1".into() };
        let publish = trace::scope(root, publisher.publish(&event));
        with_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", publish).await?;
        tokio::time::sleep(pause).await;
    }
    publisher.close().await;
    Ok(())
}
"#;

/// A client of the gRPC service: its handler publishes an event per call.
const SHIP_EXAMPLE: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).unwrap();
    let target = WS_client::WS_api::runtime::Target::connect(format!("http://{addr}")).await?;
    let mut client = WS_client::orders::v1::ShippingServiceClient::new(target);
    client
        .ship(WS_client::WS_api::orders::v1::ShipRequest { order_id: "grpc-0".into(), user_id: "u2".into() })
        .await?;
    Ok(())
}
"#;

/// The non-Rust client: Node.js (`nats` npm package) on NATS, Python elsewhere.
fn foreign(broker: Broker, args: &[&str], proto: &Path) -> std::process::Output {
    let root = common::project_root();
    let output = match broker {
        Broker::Nats => {
            let mut command = Command::new("node");
            command
                .arg(root.join("tests/events/client.js"))
                .env("NODE_PATH", root.join(".tools/node_modules"));
            match args {
                ["publish", url, prefix, count] => command
                    .args(["publish", url])
                    .arg(proto)
                    .args([prefix, count]),
                _ => command.args(args),
            };
            command.output().unwrap()
        }
        _ => Command::new("python3")
            .arg(root.join("tests/events/broker_client.py"))
            .args(args)
            .output()
            .unwrap(),
    };
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The scenario, on `broker`; `replica_events` is the number published while two replicas
/// share the work (one of them killed half-way).
fn scenario(broker: Broker, replica_events: usize) {
    let Some(program) = broker.program() else {
        return;
    };
    let foreign_peer = match broker {
        Broker::Nats => common::peer(".tools/node_modules/nats"),
        _ => common::peer_command("python3"),
    };
    if foreign_peer.is_none() {
        return;
    }
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let proto = dir.path().join("proto");
    copy_dir(&common::project_root().join("fixtures/events"), &proto);
    // One workspace per broker (crate names differ, so the shared target dir keeps each).
    let name = format!("ev-{}", broker.name());
    let ident = name.replace('-', "_");
    let (code, _, err) = protogen(dir.path(), &["new", &name, "--proto", "proto"]);
    assert_eq!(code, 0, "{err}");
    let ws = dir.path().join(&name);

    // It publishes and subscribes to orders.shipped, over `broker`.
    let config = ws.join("protogen.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("broker = \"nats\""), "{text}");
    let text = text
        .replace(
            "broker = \"nats\"",
            &format!("broker = \"{}\"", broker.name()),
        )
        .replace(
            "subscribes = [\n]",
            "subscribes = [\n    \"orders.shipped\",\n]",
        );
    std::fs::write(&config, text).unwrap();
    let (code, out, err) = protogen(&ws, &["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("{name}-server/src/subscribers.rs:"))
            && out.contains("stub for new event orders.shipped (orders.v1.OrderShipped)"),
        "{out}"
    );
    let api_manifest = std::fs::read_to_string(ws.join(format!("{name}-api/Cargo.toml"))).unwrap();
    assert!(
        api_manifest.contains(&format!("default = [\"{}\"]", broker.name())),
        "{api_manifest}"
    );

    let handlers = ws.join(format!(
        "{name}-server/src/handlers/orders_v1_shipping_service.rs"
    ));
    let text = std::fs::read_to_string(&handlers).unwrap();
    let stub = format!(
        "        let _ = request;\n        {ident}_api::unimplemented_rpc!(\"orders.v1.ShippingService/Ship\")\n"
    );
    assert!(text.contains(&stub), "{text}");
    // The Ship handler publishes through the server's own connection.
    let ship = format!(
        r#"        let order = request.into_inner();
        let event = pb::OrderShipped {{ order_id: order.order_id, user_id: order.user_id }};
        {ident}_api::events::publish(&event).await.map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Response::new(pb::ShipReply {{}}))
"#
    );
    std::fs::write(&handlers, text.replace(&stub, &ship)).unwrap();

    // Unwritten, the event handler's stub fails the build, naming the event at its line.
    let failed = cargo(&ws, &["build", "-p", &format!("{name}-server")]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "the stub compiled");
    assert!(
        stderr.contains(
            "the handler of event `orders.shipped` (orders.v1.OrderShipped) is not written yet"
        ) && stderr.contains(&format!("{name}-server/src/subscribers.rs:")),
        "{stderr}"
    );
    let subscribers = ws.join(format!("{name}-server/src/subscribers.rs"));
    let text = std::fs::read_to_string(&subscribers).unwrap();
    let stub = format!("        let _ = (event, metadata);\n        {ident}_api::unimplemented_event!(\"orders.shipped\", \"orders.v1.OrderShipped\")\n");
    assert!(text.contains(&stub), "{text}");
    std::fs::write(&subscribers, text.replace(&stub, SUBSCRIBER_BODY)).unwrap();
    std::fs::create_dir_all(ws.join(format!("{name}-server/examples"))).unwrap();
    std::fs::write(
        // Example names are unique per broker: the target dir is shared.
        ws.join(format!(
            "{name}-server/examples/publish_{}.rs",
            broker.name()
        )),
        PUBLISH_EXAMPLE.replace("WS", &ident),
    )
    .unwrap();
    std::fs::write(
        ws.join(format!("{name}-client/examples/ship_{}.rs", broker.name())),
        SHIP_EXAMPLE.replace("WS", &ident),
    )
    .unwrap();
    cargo_ok(
        &ws,
        &[
            "build",
            "-p",
            &format!("{name}-server"),
            "-p",
            &format!("{name}-client"),
            "--bins",
            "--examples",
        ],
    );
    let built = started.elapsed();
    let target = generated_target_dir().join("debug");
    let server = target.join(format!("{name}-server"));
    let publish = target.join(format!("examples/publish_{}", broker.name()));
    let ship = target.join(format!("examples/ship_{}", broker.name()));

    let addr_env = format!("{}_ADDR", ident.to_uppercase());
    // Without a URL the server refuses to start, saying what to set.
    let refused = Command::new(&server)
        .env_remove("NATS_URL")
        .env_remove("EVENTS_URL")
        .env(&addr_env, "127.0.0.1:0")
        .env("HTTP_ADDR", "off")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains(&format!(
            "{name} publishes [orders.cancelled, orders.shipped] and subscribes to [orders.shipped]"
        )) && said.contains("pass --events-url or set EVENTS_URL"),
        "{said}"
    );

    let port = free_port();
    let url = broker.url(port);
    let log = dir.path().join("handled.log");
    let envs = vec![
        ("EVENTS_URL", url.clone()),
        (addr_env.as_str(), "127.0.0.1:0".to_string()),
        ("HANDLED_LOG", log.display().to_string()),
        ("EVENT_MAX_ATTEMPTS", "3".to_string()),
        ("EVENT_RETRY_BACKOFF", "100ms".to_string()),
        ("EVENT_SESSION_TIMEOUT", "6s".to_string()),
        ("HANDLER_DELAY_MS", "5".to_string()),
    ];

    // Started before its broker: alive, not ready, retrying.
    let first = start_replica(&server, "a", &envs);
    std::thread::sleep(Duration::from_secs(2));
    let (status, body) = http_get(&first.http, "/readyz");
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("events"), "{body}");
    let mut running_broker = broker.start(&program, port, &dir.path().join("broker"));
    wait_for(
        "readiness once the broker is up",
        Duration::from_secs(90),
        || http_get(&first.http, "/readyz").0 == 200,
    );

    // From the Rust publisher, in a known trace.
    let published = Command::new(&publish)
        .args([&url, "rust", "200"])
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
    // From another language, by the wire mapping alone.
    foreign(broker, &["publish", &url, "foreign", "10"], &proto);
    // One the handler refuses: retried, then dead-lettered after 3 attempts.
    let failing = Command::new(&publish)
        .args([&url, "fail", "1"])
        .output()
        .unwrap();
    assert!(failing.status.success());
    // From a gRPC handler, through the server's connection.
    let shipped = Command::new(&ship).arg(&first.grpc).output().unwrap();
    assert!(
        shipped.status.success(),
        "{}",
        String::from_utf8_lossy(&shipped.stderr)
    );
    let online: Vec<String> = ids("rust", 200)
        .into_iter()
        .chain(ids("foreign", 10))
        .chain(["grpc-0".to_string()])
        .collect();
    wait_for(
        "the events published online",
        Duration::from_secs(90),
        || {
            let handled = Handled::read(&log);
            handled.has_all(&online) && handled.counts().get("fail-0") == Some(&3)
        },
    );

    // The handler's span continues the publisher's trace, as a child of the publishing span,
    // with its trace state (from Rust and from the other language alike).
    let handled = Handled::read(&log);
    let line = |id: &str| handled.lines.iter().find(|l| l[0] == id).unwrap().clone();
    let rust_0 = line("rust-0");
    assert_eq!(rust_0[2], root_trace, "{rust_0:?}");
    assert_ne!(rust_0[3], root_span, "the publish is a span of its own");
    assert_ne!(rust_0[3], "0000000000000000");
    assert_eq!(
        rust_0[5], "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "{rust_0:?}"
    );
    let foreign_0 = line("foreign-0");
    assert_eq!(foreign_0[5], "foreign=t61rcWkgMzE", "{foreign_0:?}");
    let grpc_0 = line("grpc-0");
    assert_eq!(grpc_0[5], "-", "a call without trace state: {grpc_0:?}");

    // The dead letter is stored, with the error, and readable from another language.
    match broker {
        Broker::Nats => {
            let count = foreign(broker, &["count", &url, "EVENTS_DEAD_LETTERS"], &proto);
            assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "1");
        }
        _ => {
            let read = foreign(broker, &["dead-letters", &url, &name], &proto);
            let text = String::from_utf8_lossy(&read.stdout);
            assert_eq!(
                text.trim(),
                "fail-0 orders.v1.OrderShipped order fail-0 cannot be billed",
                "{text}"
            );
        }
    }

    // Published while the subscriber is down: handled once it is back.
    stop(first);
    let offline = Command::new(&publish)
        .args([&url, "offline", "100"])
        .output()
        .unwrap();
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stderr)
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !Handled::read(&log).counts().contains_key("offline-0"),
        "handled while stopped"
    );

    // Two replicas share the work; one is killed with SIGKILL half-way through.
    let first = start_replica(&server, "a", &envs);
    let second = start_replica(&server, "b", &envs);
    for replica in [&first, &second] {
        wait_for("the replicas' readiness", Duration::from_secs(60), || {
            http_get(&replica.http, "/readyz").0 == 200
        });
    }
    wait_for(
        "the events published while stopped",
        Duration::from_secs(90),
        || Handled::read(&log).has_all(&ids("offline", 100)),
    );
    // Published at a steady pace, so the kill lands mid-stream and mid-handling.
    let mut publishing = Running(
        Command::new(&publish)
            .args([&url, "shared", &replica_events.to_string(), "10"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(
        "half of the shared events",
        Duration::from_secs(120),
        || {
            Handled::read(&log)
                .by_replica("shared-")
                .values()
                .sum::<usize>()
                >= replica_events / 2
        },
    );
    let before_kill = Handled::read(&log).by_replica("shared-");
    let mut killed = second;
    killed.running.0.kill().unwrap(); // SIGKILL
    let _ = killed.running.0.wait();
    assert!(publishing.0.wait().unwrap().success());
    wait_for(
        "every shared event, after the kill",
        Duration::from_secs(120),
        || Handled::read(&log).has_all(&ids("shared", replica_events)),
    );
    {
        // The broker goes away: the replica stays up, /readyz says so, and once the broker is
        // back it reconnects and handles new events. NATS and RabbitMQ come back with their
        // files; nisshi keeps everything in memory, so Kafka comes back empty (the server
        // declares its topics again).
        drop(running_broker);
        wait_for(
            "unreadiness without the broker",
            Duration::from_secs(30),
            || {
                let (status, body) = http_get(&first.http, "/readyz");
                status == 503 && body.contains("events")
            },
        );
        running_broker = broker.start(&program, port, &dir.path().join("broker"));
        wait_for(
            "readiness once the broker is back",
            Duration::from_secs(90),
            || http_get(&first.http, "/readyz").0 == 200,
        );
        let again = Command::new(&publish)
            .args([&url, "again", "5"])
            .output()
            .unwrap();
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stderr)
        );
        wait_for(
            "the events after the reconnection",
            Duration::from_secs(60),
            || Handled::read(&log).has_all(&ids("again", 5)),
        );
    }
    let _ = &running_broker;
    stop(first);

    // Nothing lost; duplicates only where a replica was killed, and counted.
    let handled = Handled::read(&log);
    let counts = handled.counts();
    let expected: Vec<String> = online
        .iter()
        .cloned()
        .chain(ids("offline", 100))
        .chain(ids("shared", replica_events))
        .chain(ids("again", 5))
        .collect();
    for id in &expected {
        assert!(counts.contains_key(id), "{id} was never handled");
    }
    assert_eq!(
        counts.len(),
        expected.len() + 1,
        "unexpected ids: {counts:?}"
    );
    let duplicates = |prefix: &str| -> usize {
        counts
            .iter()
            .filter(|(id, _)| id.starts_with(prefix))
            .map(|(_, n)| n - 1)
            .sum()
    };
    let shared_duplicates = duplicates("shared-");
    let other_duplicates: usize = ["rust-", "foreign-", "grpc-", "offline-"]
        .iter()
        .map(|p| duplicates(p))
        .sum();
    let split = handled.by_replica("shared-");
    eprintln!(
        "events on {}: {} events handled, {} duplicates after the SIGKILL ({} before it), split before the kill {:?}, after {:?}; build {:.0}s, scenario {:.0}s",
        broker.name(),
        expected.len() + 1,
        shared_duplicates,
        other_duplicates,
        before_kill,
        split,
        built.as_secs_f64(),
        (started.elapsed() - built).as_secs_f64()
    );
    assert_eq!(
        other_duplicates, 0,
        "handled twice without a kill: {counts:?}"
    );
    assert!(
        before_kill.get("a").copied().unwrap_or(0) > 0
            && before_kill.get("b").copied().unwrap_or(0) > 0,
        "the replicas did not share the work: {before_kill:?}"
    );
    // At most what the killed replica had taken and not acknowledged.
    assert!(
        shared_duplicates <= 64 * 2,
        "{shared_duplicates} duplicates: more than the killed replica had in flight"
    );
}

#[test]
fn events_over_nats() {
    // #20: two replicas on one stream, 1,000 events, one killed half-way.
    scenario(Broker::Nats, 1000);
}

#[test]
fn events_over_kafka() {
    scenario(Broker::Kafka, 600 - 311);
}

#[test]
fn events_over_rabbitmq() {
    scenario(Broker::Rabbitmq, 600 - 311);
}

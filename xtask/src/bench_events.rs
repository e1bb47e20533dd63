//! The events part of `cargo xtask bench-server`: events published and handled through the
//! runtime of a workspace generated from fixtures/events, against each broker's plain client
//! (async-nats, rdkafka, lapin) in the same run, each side on a fresh broker on loopback
//! (nats-server with JetStream, nisshi for Kafka, rabbitmq-server).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};

use super::bench_server::{free_addr, fresh_proto, protogen_new_shop};
use super::{cargo, run as run_command};

const COUNT: &str = "20000";
const IN_FLIGHT: &str = "64";
/// Rounds of both sides, alternating which goes first.
const ROUNDS: usize = 3;

pub fn run(root: &Path) -> anyhow::Result<()> {
    let rounds = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(ROUNDS);
    let target = std::env::var_os("PROTOGEN_GEN_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/generated"));
    let dir = target.join("bench-events");
    let workspace = scaffold(root, &dir)?;
    eprintln!("bench-server: building the events benchmark (release)");
    run_command(
        Command::new(cargo())
            .current_dir(&workspace)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--release", "-p", "events-bench"]),
    )?;
    let binary = target.join("release/events-bench");
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let brokers = [
        (
            "nats",
            ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
                .context("nats-server is missing: `cargo xtask setup` installs it")?,
            "async-nats",
        ),
        (
            "kafka",
            Some(home.join(".cargo/bin/nisshi"))
                .filter(|p| p.is_file())
                .context("nisshi is missing: `cargo xtask setup` builds it")?,
            "rdkafka",
        ),
        (
            "rabbitmq",
            Some(PathBuf::from("/usr/lib/rabbitmq/bin/rabbitmq-server"))
                .filter(|p| p.is_file())
                .context("rabbitmq-server is missing: `cargo xtask setup` installs it")?,
            "lapin",
        ),
    ];
    let only = std::env::var("BENCH_BROKERS").unwrap_or_default();
    println!("\n| events ({COUNT}, {IN_FLIGHT} publishes in flight, publish → handled) | side | events/s | p50 (µs) | p99 (µs) |");
    println!("|---|---|---:|---:|---:|");
    for (broker, program, client) in brokers {
        if !only.is_empty() && !only.split(',').any(|b| b == broker) {
            continue;
        }
        // samples[side] = (events/s, p50 µs, p99 µs); side 0 plain, 1 generated, 2 the plain
        // client without the wire mapping's headers (what they cost, for the reader).
        let mut samples = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..rounds {
            let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [1, 0, 2] };
            for side in order {
                // A fresh broker each time, so neither side sees the other's events.
                let store = tempfile_dir(&dir, broker, round, side)?;
                let port = free_addr()?
                    .rsplit_once(':')
                    .map_or(4222, |(_, p)| p.parse().unwrap_or(4222));
                let (mut server, url) = start_broker(broker, &program, port, &store)?;
                let output = Command::new(&binary)
                    .args([
                        url.as_str(),
                        ["plain", "generated", "bare"][side],
                        COUNT,
                        IN_FLIGHT,
                    ])
                    .output();
                // The whole group: rabbitmq-server is a script whose Erlang VM outlives it.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", server.id())])
                    .status();
                let _ = server.wait();
                let _ = std::fs::remove_dir_all(&store);
                let output = output?;
                if !output.status.success() {
                    bail!(
                        "events-bench on {broker} failed: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                let text = String::from_utf8(output.stdout)?;
                let fields: Vec<f64> = text
                    .split_whitespace()
                    .map(str::parse)
                    .collect::<Result<_, _>>()
                    .with_context(|| format!("unexpected events-bench output {text:?}"))?;
                let [rate, p50, p99] = fields[..] else {
                    bail!("unexpected events-bench output {text:?}");
                };
                samples[side].push((rate, p50, p99));
            }
        }
        let mut medians = Vec::new();
        for (side, name) in [
            format!("plain {client}, same headers"),
            "generated (runtime)".to_string(),
            format!("plain {client}, no headers"),
        ]
        .iter()
        .enumerate()
        {
            let median = |field: fn(&(f64, f64, f64)) -> f64| {
                let mut values: Vec<f64> = samples[side].iter().map(field).collect();
                values.sort_by(f64::total_cmp);
                values[values.len() / 2]
            };
            let row = (median(|s| s.0), median(|s| s.1), median(|s| s.2));
            println!(
                "| events on {broker} | {name} | {:.0} | {:.0} | {:.0} |",
                row.0, row.1, row.2
            );
            medians.push(row);
        }
        println!(
            "| events on {broker} | generated / plain (same headers) | {:.2} | {:.2} | {:.2} |",
            medians[1].0 / medians[0].0,
            medians[1].1 / medians[0].1,
            medians[1].2 / medians[0].2
        );
    }
    println!("\nmedians of {rounds} rounds (BENCH_ROUNDS to change; BENCH_BROKERS=nats,kafka,rabbitmq to pick)");
    Ok(())
}

/// Starts `broker` on loopback `port` with its files in `store`; waits until it listens.
fn start_broker(
    broker: &str,
    program: &Path,
    port: u16,
    store: &Path,
) -> anyhow::Result<(std::process::Child, String)> {
    let mut command = Command::new(program);
    command
        .current_dir(store)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let url = match broker {
        "nats" => {
            command
                .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
                .arg(store.join("js"));
            format!("nats://127.0.0.1:{port}")
        }
        "kafka" => {
            // nisshi reads a .env from where it starts: `store` is empty.
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
            format!("kafka://127.0.0.1:{port}")
        }
        _ => {
            let config = store.join("rabbitmq.conf");
            std::fs::write(
                &config,
                format!("listeners.tcp.default = 127.0.0.1:{port}\n"),
            )?;
            std::fs::write(store.join("enabled_plugins"), "[].\n")?;
            let dist = free_addr()?
                .rsplit_once(':')
                .map_or(25672, |(_, p)| p.parse().unwrap_or(25672));
            command
                .env("HOME", store)
                .env("RABBITMQ_NODENAME", format!("bench{port}@localhost"))
                .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
                .env("RABBITMQ_NODE_PORT", port.to_string())
                .env("RABBITMQ_DIST_PORT", dist.to_string())
                .env("RABBITMQ_MNESIA_BASE", store.join("mnesia"))
                .env("RABBITMQ_LOG_BASE", store.join("log"))
                .env("RABBITMQ_CONFIG_FILE", &config)
                .env(
                    "RABBITMQ_ENABLED_PLUGINS_FILE",
                    store.join("enabled_plugins"),
                )
                .env("ERL_EPMD_ADDRESS", "127.0.0.1");
            format!("amqp://guest:guest@127.0.0.1:{port}/%2f")
        }
    };
    let mut child = command
        .process_group(0)
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    for _ in 0..1200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok((child, url));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
    bail!("{broker} did not start on port {port}")
}

fn tempfile_dir(dir: &Path, broker: &str, round: usize, side: usize) -> anyhow::Result<PathBuf> {
    let store = dir.join(format!("{broker}-{round}-{side}"));
    if store.exists() {
        std::fs::remove_dir_all(&store)?;
    }
    std::fs::create_dir_all(&store)?;
    Ok(store)
}

/// A fresh `protogen new shop` of fixtures/events with the benchmark crate added.
fn scaffold(root: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    fresh_proto(root, dir, "fixtures/events")?;
    let workspace = protogen_new_shop(root, dir)?;
    let source = root.join("xtask/bench_events");
    let bench = workspace.join("events-bench");
    std::fs::create_dir_all(bench.join("src"))?;
    std::fs::copy(source.join("Cargo.toml.in"), bench.join("Cargo.toml"))?;
    std::fs::copy(source.join("src/main.rs"), bench.join("src/main.rs"))?;
    let manifest = workspace.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)?;
    let members = "\"shop-client\"]";
    if !text.contains(members) {
        bail!("unexpected members in {}", manifest.display());
    }
    std::fs::write(
        &manifest,
        text.replace(members, "\"shop-client\", \"events-bench\"]"),
    )?;
    Ok(workspace)
}

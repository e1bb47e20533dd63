//! The events part of `cargo xtask bench-server`: events published and handled through the
//! runtime of a workspace generated from fixtures/events, against a plain async-nats publisher
//! and pull consumer, in the same run, each on a fresh nats-server with JetStream.

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
    let nats = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .context("nats-server is missing: `cargo xtask setup` installs it")?;

    // samples[side] = (events/s, p50 µs, p99 µs); side 0 plain, 1 generated
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let store = tempfile_dir(&dir, round, side)?;
            let addr = free_addr()?;
            let port = addr.rsplit_once(':').map_or("4222", |(_, p)| p).to_string();
            let mut server = Command::new(&nats)
                .args(["-a", "127.0.0.1", "-p", &port, "-js", "-sd"])
                .arg(&store)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start nats-server")?;
            let mut up = false;
            for _ in 0..100 {
                if std::net::TcpStream::connect(&addr).is_ok() {
                    up = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let output = up.then(|| {
                Command::new(&binary)
                    .args([
                        format!("nats://{addr}").as_str(),
                        ["plain", "generated"][side],
                        COUNT,
                        IN_FLIGHT,
                    ])
                    .output()
            });
            let _ = server.kill();
            let _ = server.wait();
            let _ = std::fs::remove_dir_all(&store);
            let Some(output) = output else {
                bail!("nats-server did not start on {addr}");
            };
            let output = output?;
            if !output.status.success() {
                bail!(
                    "events-bench failed: {}",
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

    println!("\n| events ({COUNT}, {IN_FLIGHT} publishes in flight, publish → handled) | side | events/s | p50 (µs) | p99 (µs) |");
    println!("|---|---|---:|---:|---:|");
    let mut medians = Vec::new();
    for (side, name) in ["plain async-nats", "generated (runtime)"]
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
            "| events | {name} | {:.0} | {:.0} | {:.0} |",
            row.0, row.1, row.2
        );
        medians.push(row);
    }
    println!(
        "| events | generated / plain | {:.2} | {:.2} | {:.2} |",
        medians[1].0 / medians[0].0,
        medians[1].1 / medians[0].1,
        medians[1].2 / medians[0].2
    );
    println!("\nmedians of {rounds} rounds (BENCH_ROUNDS to change)");
    Ok(())
}

fn tempfile_dir(dir: &Path, round: usize, side: usize) -> anyhow::Result<PathBuf> {
    let store = dir.join(format!("nats-{round}-{side}"));
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

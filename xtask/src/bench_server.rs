//! `cargo xtask bench-server`: the server `protogen new` generates, with its whole runtime on,
//! against a plain hand-written tonic server running the same handlers (built twice: with the
//! system allocator, as plain servers usually are, and with the generated server's mimalloc,
//! which isolates the runtime's own cost), under the same load generator, on loopback: unary calls at 64 in flight, 100-message server streams at 16; and
//! the generated server's REST + JSON route for the same RPC (HTTP/1.1 and h2c) against its
//! own gRPC path, measured alternately on one server process.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};

use super::{cargo, run as run_command};

pub(crate) const SECONDS: &str = "5";
const ROUNDS: usize = 7;
/// The REST rows, all at 64 in flight on one generated server: its gRPC path (4 HTTP/2
/// connections, the unary row's client), then the REST route over HTTP/1.1 keep-alive (a
/// connection per caller, as browsers and most HTTP clients do) and over h2c (4 connections).
const REST_CONCURRENCY: &str = "64";
const REST_SCENARIOS: [(&str, &str); 3] = [
    ("unary", "gRPC unary (same server)"),
    ("rest", "REST + JSON unary, HTTP/1.1"),
    ("rest-h2", "REST + JSON unary, h2c"),
];
const SCENARIOS: [(&str, &str, &str); 2] = [
    ("unary", "64", "unary, 64 in flight"),
    ("stream", "16", "stream of 100, 16 in flight"),
];

pub fn run(root: &Path) -> anyhow::Result<()> {
    let release = build(root)?;

    // The machine may be shared: the load average says how much the figures can be trusted.
    let load_before = load_average();
    // rows[scenario][server] = samples of (calls/s, p50 µs, p99 µs, server CPU µs per call);
    // servers: plain (system allocator), plain (mimalloc), generated.
    let mut rows = vec![[Vec::new(), Vec::new(), Vec::new()]; SCENARIOS.len()];
    // rest[scenario] = samples of REST_SCENARIOS on one generated server per round.
    let mut rest = vec![Vec::new(); REST_SCENARIOS.len()];
    for round in 0..ROUNDS {
        rest_round(&release, round, &mut rest)?;
        for (index, (scenario, concurrency, _)) in SCENARIOS.iter().enumerate() {
            // Alternate the order, so no server always runs on a warmer machine.
            let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
            for server in order {
                let addr = free_addr()?;
                let child = match server {
                    0 => start(
                        pinned_server(&release.join("plain")).arg(&addr),
                        &addr,
                        false,
                    )?,
                    1 => start(
                        pinned_server(&release.join("plain_mimalloc")).arg(&addr),
                        &addr,
                        false,
                    )?,
                    _ => start(
                        pinned_server(&release.join("shop-server"))
                            .env("SHOP_ADDR", &addr)
                            .env("HTTP_ADDR", free_addr()?),
                        &addr,
                        true,
                    )?,
                };
                let sample = measure(&release, child, &addr, scenario, concurrency)?;
                rows[index][server].push(sample);
            }
        }
    }

    println!("| scenario | server | calls/s | p50 (µs) | p99 (µs) | server CPU (µs/call) |");
    println!("|---|---|---:|---:|---:|---:|");
    for (index, (_, _, label)) in SCENARIOS.iter().enumerate() {
        let mut medians = Vec::new();
        let servers = [
            "plain tonic (system allocator)",
            "plain tonic (mimalloc)",
            "generated (runtime on)",
        ];
        for (server, name) in servers.iter().enumerate() {
            let samples = &rows[index][server];
            let median = |field: fn(&Sample) -> f64| {
                let mut values: Vec<f64> = samples.iter().map(field).collect();
                values.sort_by(f64::total_cmp);
                values[values.len() / 2]
            };
            let row = (
                median(|s| s.rate),
                median(|s| s.p50),
                median(|s| s.p99),
                median(|s| s.cpu_per_call),
            );
            println!(
                "| {label} | {name} | {:.0} | {:.0} | {:.0} | {:.1} |",
                row.0, row.1, row.2, row.3
            );
            medians.push(row);
        }
        for (baseline, name) in [(0, "system allocator"), (1, "mimalloc")] {
            println!(
                "| {label} | generated / plain ({name}) | {:.2} | {:.2} | {:.2} | {:.2} |",
                medians[2].0 / medians[baseline].0,
                medians[2].1 / medians[baseline].1,
                medians[2].2 / medians[baseline].2,
                medians[2].3 / medians[baseline].3
            );
        }
    }
    let median = |field: fn(&Sample) -> f64, samples: &[Sample]| {
        let mut values: Vec<f64> = samples.iter().map(field).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let grpc = &rest[0];
    for ((_, label), samples) in REST_SCENARIOS.iter().zip(&rest) {
        println!(
            "| {label}, {REST_CONCURRENCY} in flight | generated (runtime on) | {:.0} | {:.0} | {:.0} | {:.1} |",
            median(|s| s.rate, samples),
            median(|s| s.p50, samples),
            median(|s| s.p99, samples),
            median(|s| s.cpu_per_call, samples)
        );
    }
    for ((_, label), samples) in REST_SCENARIOS.iter().zip(&rest).skip(1) {
        println!(
            "| {label} | REST / gRPC of the same server | {:.2} | {:.2} | {:.2} | {:.2} |",
            median(|s| s.rate, samples) / median(|s| s.rate, grpc),
            median(|s| s.p50, samples) / median(|s| s.p50, grpc),
            median(|s| s.p99, samples) / median(|s| s.p99, grpc),
            median(|s| s.cpu_per_call, samples) / median(|s| s.cpu_per_call, grpc)
        );
    }
    println!(
        "\nmedians of {ROUNDS} alternating rounds of {SECONDS} s each; the generated server runs with its \
         defaults (TLS, JWT and OpenTelemetry export off); goal: generated/plain >= 0.95 for calls/s, <= 1.10 for p99; \
         REST/gRPC >= 0.50 for calls/s (the REST rows share one server process per round, order rotating); \
         load average (1 min) {load_before} before, {} after; {}",
        load_average(),
        match pinning() {
            Some(cpus) => format!("servers on CPUs {}, the load generator on {}", cpus.servers, cpus.load),
            None => "unpinned (taskset missing or a single CPU)".to_owned(),
        }
    );
    Ok(())
}

/// The target dir of the benchmarks' generated workspaces.
fn generated_target(root: &Path) -> PathBuf {
    std::env::var_os("PROTOGEN_GEN_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/generated"))
}

/// Where [`build`] puts the release binaries.
pub(crate) fn release_dir(root: &Path) -> PathBuf {
    generated_target(root).join("release")
}

/// Scaffolds the benchmark's workspace and builds its binaries (release); returns their folder.
pub(crate) fn build(root: &Path) -> anyhow::Result<PathBuf> {
    let target = generated_target(root);
    let dir = target.join("bench-server");
    let workspace = scaffold(root, &dir)?;
    eprintln!("bench-server: building the generated server, the baseline and the load generator (release)");
    run_command(
        Command::new(cargo())
            .current_dir(&workspace)
            .env("CARGO_TARGET_DIR", &target)
            .args(["build", "--release", "-p", "shop-server", "-p", "bench"]),
    )?;
    Ok(release_dir(root))
}

/// The server's limits on against off, on the normal path (`--limits-only`): the generated
/// server with admission control (MAX_CONCURRENT_CALLS far above the load), a connection age
/// and the idle timeout, against the same binary with those off; HEADER_READ_TIMEOUT,
/// MAX_CONNECTIONS and hyper's HTTP/2 limits cannot be off and run in both. Unary calls at 64
/// in flight, alternating rounds.
pub fn run_limits(root: &Path) -> anyhow::Result<()> {
    let release = build(root)?;
    let load_before = load_average();
    let on: [(&str, &str); 3] = [
        ("MAX_CONCURRENT_CALLS", "100000"),
        ("MAX_CONNECTION_AGE", "1h"),
        ("IDLE_CONNECTION_TIMEOUT", "5m"),
    ];
    let off: [(&str, &str); 3] = [
        ("MAX_CONCURRENT_CALLS", "off"),
        ("MAX_CONNECTION_AGE", "off"),
        ("IDLE_CONNECTION_TIMEOUT", "off"),
    ];
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let addr = free_addr()?;
            let env = if which == 0 { &on } else { &off };
            let child = start(
                pinned_server(&release.join("shop-server"))
                    .env("SHOP_ADDR", &addr)
                    .env("HTTP_ADDR", free_addr()?)
                    .envs(env.iter().copied()),
                &addr,
                true,
            )?;
            samples[which].push(measure(&release, child, &addr, "unary", "64")?);
        }
    }
    let median = |field: fn(&Sample) -> f64, samples: &[Sample]| {
        let mut values: Vec<f64> = samples.iter().map(field).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!("| scenario | server | calls/s | p50 (µs) | p99 (µs) | server CPU (µs/call) |");
    println!("|---|---|---:|---:|---:|---:|");
    for (which, name) in [(0, "limits on"), (1, "limits off")] {
        let s = &samples[which];
        println!(
            "| unary, 64 in flight | generated, {name} | {:.0} | {:.0} | {:.0} | {:.1} |",
            median(|s| s.rate, s),
            median(|s| s.p50, s),
            median(|s| s.p99, s),
            median(|s| s.cpu_per_call, s)
        );
    }
    let ratio = |field: fn(&Sample) -> f64| median(field, &samples[0]) / median(field, &samples[1]);
    println!(
        "| unary, 64 in flight | on / off | {:.2} | {:.2} | {:.2} | {:.2} |",
        ratio(|s| s.rate),
        ratio(|s| s.p50),
        ratio(|s| s.p99),
        ratio(|s| s.cpu_per_call)
    );
    println!(
        "\nmedians of {ROUNDS} alternating rounds of {SECONDS} s each; goal: on/off >= 0.98 for calls/s; \
         load average (1 min) {load_before} before, {} after",
        load_average()
    );
    Ok(())
}

/// One round of the REST rows: one generated server, the gRPC path and both REST clients
/// measured one after the other, the order rotating so none always runs first.
fn rest_round(release: &Path, round: usize, samples: &mut [Vec<Sample>]) -> anyhow::Result<()> {
    let (grpc, http) = (free_addr()?, free_addr()?);
    let mut server = start(
        pinned_server(&release.join("shop-server"))
            .env("SHOP_ADDR", &grpc)
            .env("HTTP_ADDR", &http),
        &http,
        true,
    )?;
    let mut result = Ok(());
    for offset in 0..REST_SCENARIOS.len() {
        let index = (round + offset) % REST_SCENARIOS.len();
        let (scenario, _) = REST_SCENARIOS[index];
        let addr = if scenario == "unary" { &grpc } else { &http };
        match measure_on(release, server.id(), addr, scenario, REST_CONCURRENCY) {
            Ok(sample) => samples[index].push(sample),
            Err(error) => {
                result = Err(error);
                break;
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// The 1-minute load average (Linux `/proc/loadavg`; `?` elsewhere).
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

#[derive(Clone, Copy)]
pub(crate) struct Sample {
    pub(crate) rate: f64,
    pub(crate) p50: f64,
    pub(crate) p99: f64,
    pub(crate) cpu_per_call: f64,
}

/// Empties `dir` and copies the contract folder `fixture` into `dir/proto`, which it returns:
/// the first step of every server benchmark's workspace.
pub fn fresh_proto(root: &Path, dir: &Path, fixture: &str) -> anyhow::Result<PathBuf> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir)?;
    let proto = dir.join("proto");
    run_command(
        Command::new("cp")
            .arg("-r")
            .arg(root.join(fixture))
            .arg(&proto),
    )?;
    Ok(proto)
}

/// Runs this checkout's `protogen new shop --proto proto` in `dir`; returns the workspace.
pub fn protogen_new_shop(root: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    run_command(
        Command::new(cargo())
            .current_dir(dir)
            .arg("run")
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .args([
                "--quiet", "-p", "protogen", "--", "new", "shop", "--proto", "proto",
            ]),
    )?;
    Ok(dir.join("shop"))
}

/// A fresh `protogen new shop` of the fixtures, with the benchmark's handler bodies and the
/// baseline crate added.
fn scaffold(root: &Path, dir: &Path) -> anyhow::Result<PathBuf> {
    let proto = fresh_proto(root, dir, "fixtures/proto")?;
    // FindOne gets a REST route, for the REST row (the fixture itself stays gRPC only).
    let users = proto.join("users/v1/users.proto");
    let text = std::fs::read_to_string(&users)?;
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
    if !annotated.contains("google.api.http") {
        bail!("cannot add a REST route to {}", users.display());
    }
    std::fs::write(&users, annotated)?;
    let workspace = protogen_new_shop(root, dir)?;
    let handlers = workspace.join("shop-server/src/handlers");
    implement(
        &handlers.join("users_v1_users_service.rs"),
        &[
            (
                "users.v1.UsersService/FindOne",
                "Ok(Response::new(pb::User { email: format!(\"{}@example.com\", request.get_ref().id), id: request.into_inner().id, name: \"Ada Lovelace\".into(), role: \"admin\".into() }))",
            ),
            (
                "users.v1.UsersService/FindMany",
                "let filter = request.into_inner(); let users: Vec<Result<pb::User, Status>> = (0..filter.limit).map(|i| Ok(pb::User { id: format!(\"u{i}\"), email: format!(\"u{i}@example.com\"), name: \"Ada Lovelace\".into(), role: filter.role.clone() })).collect(); Ok(Response::new(Box::pin(tokio_stream::iter(users))))",
            ),
        ],
    )?;
    implement(
        &handlers.join("orders_v1_orders_service.rs"),
        &[
            (
                "orders.v1.OrdersService/CreateOrder",
                "let _ = request; Ok(Response::new(pb::Order::default()))",
            ),
            (
                "orders.v1.OrdersService/ListOrders",
                "let _ = request; Ok(Response::new(Box::pin(tokio_stream::iter(Vec::new()))))",
            ),
            (
                "orders.v1.OrdersService/UploadItems",
                "let _ = request; Ok(Response::new(pb::Order::default()))",
            ),
            (
                "orders.v1.OrdersService/TrackOrders",
                "let _ = request; Ok(Response::new(Box::pin(tokio_stream::iter(Vec::new()))))",
            ),
        ],
    )?;
    let baseline = root.join("xtask/bench_server");
    let bench = workspace.join("bench");
    std::fs::create_dir_all(bench.join("src/bin"))?;
    std::fs::copy(baseline.join("Cargo.toml.in"), bench.join("Cargo.toml"))?;
    for file in [
        "src/lib.rs",
        "src/bin/plain.rs",
        "src/bin/plain_mimalloc.rs",
        "src/bin/load.rs",
    ] {
        std::fs::copy(baseline.join(file), bench.join(file))?;
    }
    let manifest = workspace.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)?;
    let members = "\"shop-client\"]";
    if !text.contains(members) {
        bail!("unexpected members in {}", manifest.display());
    }
    std::fs::write(
        &manifest,
        text.replace(members, "\"shop-client\", \"bench\"]"),
    )?;
    Ok(workspace)
}

pub fn implement(file: &Path, bodies: &[(&str, &str)]) -> anyhow::Result<()> {
    let mut text = std::fs::read_to_string(file)?;
    for (route, body) in bodies {
        let stub = format!(
            "        let _ = request;\n        shop_api::unimplemented_rpc!(\"{route}\")\n"
        );
        if !text.contains(&stub) {
            bail!("no stub for {route} in {}", file.display());
        }
        text = text.replace(&stub, &format!("        {body}\n"));
    }
    std::fs::write(file, text)?;
    Ok(())
}

/// Which CPUs the servers and the load generator run on: the first and the second half of the
/// machine's. Unpinned on 2 cores, the load generator took the servers' CPU time, and the p99
/// measured how the scheduler shared the cores more than how fast a server answered.
pub(crate) struct Pinning {
    pub(crate) servers: String,
    pub(crate) load: String,
}

/// The pinning of this machine, or `None` with fewer than 2 CPUs or without `taskset`.
pub(crate) fn pinning() -> Option<&'static Pinning> {
    static PINNING: std::sync::OnceLock<Option<Pinning>> = std::sync::OnceLock::new();
    PINNING
        .get_or_init(|| {
            let cpus = std::thread::available_parallelism().ok()?.get();
            let half = cpus / 2;
            if half == 0 {
                return None;
            }
            let range = |first: usize, last: usize| match first == last {
                true => first.to_string(),
                false => format!("{first}-{last}"),
            };
            let pinning = Pinning {
                servers: range(0, half - 1),
                load: range(half, cpus - 1),
            };
            // taskset execs the program: the child's pid is the program's, for its CPU time.
            let works = Command::new("taskset")
                .args(["-c", &pinning.load, "true"])
                .status()
                .is_ok_and(|status| status.success());
            works.then_some(pinning)
        })
        .as_ref()
}

/// `program`, on `cpus` if given.
pub(crate) fn pinned(program: &Path, cpus: Option<&String>) -> Command {
    match cpus {
        Some(cpus) => {
            let mut command = Command::new("taskset");
            command.arg("-c").arg(cpus).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// A server `program`, on the servers' CPUs.
pub(crate) fn pinned_server(program: &Path) -> Command {
    pinned(program, pinning().map(|cpus| &cpus.servers))
}

pub fn free_addr() -> anyhow::Result<String> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.to_string())
}

/// Starts a server and waits until it accepts connections.
pub fn start(command: &mut Command, addr: &str, prints_addr: bool) -> anyhow::Result<Child> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start a server")?;
    if prints_addr {
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    }
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(child);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    bail!("the server on {addr} did not start")
}

fn measure(
    release: &Path,
    mut server: Child,
    addr: &str,
    scenario: &str,
    concurrency: &str,
) -> anyhow::Result<Sample> {
    let sample = measure_on(release, server.id(), addr, scenario, concurrency);
    let _ = server.kill();
    let _ = server.wait();
    sample
}

/// One run of the load generator against the running server `pid`.
pub(crate) fn measure_on(
    release: &Path,
    pid: u32,
    addr: &str,
    scenario: &str,
    concurrency: &str,
) -> anyhow::Result<Sample> {
    let cpu_before = cpu_ticks(pid);
    let output = pinned(&release.join("load"), pinning().map(|cpus| &cpus.load))
        .args([addr, scenario, concurrency, SECONDS])
        .output()?;
    let cpu_after = cpu_ticks(pid);
    let [rate, p50, p99, errors] = load_figures(&output)?;
    if errors > 0.0 {
        bail!("{errors} calls failed against {addr}");
    }
    // Calls in the measured window plus the warm-up (a fifth of it), as the CPU counter saw.
    let seconds: f64 = SECONDS.parse()?;
    let calls = rate * seconds * 1.2;
    let cpu_per_call = match (cpu_before, cpu_after) {
        (Some(before), Some(after)) => (after - before) as f64 * 1e6 / ticks_per_second() / calls,
        _ => f64::NAN,
    };
    Ok(Sample {
        rate,
        p50,
        p99,
        cpu_per_call,
    })
}

/// User plus system CPU time of a process, in clock ticks (Linux `/proc`; `None` elsewhere).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The load generator's line: calls/s, p50 µs, p99 µs, failed calls.
pub(crate) fn load_figures(output: &std::process::Output) -> anyhow::Result<[f64; 4]> {
    if !output.status.success() {
        bail!("load failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<f64> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("unexpected load output {text:?}"))?;
    match fields[..] {
        [rate, p50, p99, errors] => Ok([rate, p50, p99, errors]),
        _ => bail!("unexpected load output {text:?}"),
    }
}

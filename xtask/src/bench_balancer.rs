//! `cargo xtask bench-server`'s balancer row: the generated client (`runtime::Target`, typed
//! unary calls at 64 in flight) against one generated server, through a `dns:` target that a
//! local dnsmasq resolves to it, against a plain `http://` target, and against a `Target` over
//! one hand-built tonic channel (no resolution, no pick): the cost of the balancer itself.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{bail, Context};

use super::bench_server::{free_addr, load_average, measure_on, pinned_server, start, Sample};

const ROUNDS: usize = 7;
const CONCURRENCY: &str = "64";
/// (load generator scenario, what the target string is, label).
const CLIENTS: [(&str, &str, &str); 3] = [
    (
        "client-channel",
        "http",
        "Target over one tonic channel (no balancer)",
    ),
    ("client", "http", "Target `http://127.0.0.1:PORT`"),
    (
        "client",
        "dns",
        "Target `dns://DNS/bench.test:PORT` (dnsmasq)",
    ),
];

pub fn run(release: &Path) -> anyhow::Result<()> {
    let dnsmasq = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
        .into_iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .context("dnsmasq is missing: `cargo xtask setup` installs it")?;
    let dir = std::env::temp_dir().join(format!("protogen-bench-dns-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let dns = Dns::start(&dnsmasq, &dir)?;
    let load_before = load_average();
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); CLIENTS.len()];
    for round in 0..ROUNDS {
        let (grpc, http) = (free_addr()?, free_addr()?);
        let mut server = start(
            pinned_server(&release.join("shop-server"))
                .env("SHOP_ADDR", &grpc)
                .env("HTTP_ADDR", &http),
            &grpc,
            true,
        )?;
        let port = grpc.rsplit(':').next().unwrap_or_default().to_owned();
        let mut result = Ok(());
        // The order rotates, so no client always runs first on a fresh server.
        for offset in 0..CLIENTS.len() {
            let index = (round + offset) % CLIENTS.len();
            let (scenario, naming, _) = CLIENTS[index];
            let target = match naming {
                "dns" => format!("dns://127.0.0.1:{}/bench.test:{port}", dns.port),
                _ => format!("http://{grpc}"),
            };
            match measure_on(release, server.id(), &target, scenario, CONCURRENCY) {
                Ok(sample) => samples[index].push(sample),
                Err(error) => {
                    result = Err(error);
                    break;
                }
            }
        }
        let _ = server.kill();
        let _ = server.wait();
        result?;
    }
    drop(dns);
    let _ = std::fs::remove_dir_all(&dir);
    let median = |field: fn(&Sample) -> f64, samples: &[Sample]| {
        let mut values: Vec<f64> = samples.iter().map(field).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!("\n| typed unary calls, {CONCURRENCY} in flight | client | calls/s | p50 (µs) | p99 (µs) | server CPU (µs/call) |");
    println!("|---|---|---:|---:|---:|---:|");
    for ((_, _, label), samples) in CLIENTS.iter().zip(&samples) {
        println!(
            "| generated server | {label} | {:.0} | {:.0} | {:.0} | {:.1} |",
            median(|s| s.rate, samples),
            median(|s| s.p50, samples),
            median(|s| s.p99, samples),
            median(|s| s.cpu_per_call, samples)
        );
    }
    let ratio = |over: usize, under: usize, name: &str| {
        println!(
            "| generated server | {name} | {:.2} | {:.2} | {:.2} | {:.2} |",
            median(|s| s.rate, &samples[over]) / median(|s| s.rate, &samples[under]),
            median(|s| s.p50, &samples[over]) / median(|s| s.p50, &samples[under]),
            median(|s| s.p99, &samples[over]) / median(|s| s.p99, &samples[under]),
            median(|s| s.cpu_per_call, &samples[over])
                / median(|s| s.cpu_per_call, &samples[under])
        );
    };
    ratio(2, 1, "dns: / http://");
    ratio(2, 0, "dns: / one channel");
    println!(
        "\nmedians of {ROUNDS} rounds of {} s each, the three clients one after the other on one server \
         per round (order rotating); goal: dns: / http:// >= 0.95 for calls/s, <= 1.10 for p99; \
         load average (1 min) {load_before} before, {} after",
        super::bench_server::SECONDS,
        load_average()
    );
    Ok(())
}

/// dnsmasq on a free loopback port, answering `bench.test` with 127.0.0.1.
struct Dns {
    child: Child,
    port: u16,
}

impl Dns {
    fn start(dnsmasq: &Path, dir: &Path) -> anyhow::Result<Dns> {
        // dnsmasq started as root reads its files as `nobody`.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
        let hosts = dir.join("hosts");
        std::fs::write(&hosts, "127.0.0.1 bench.test\n")?;
        std::fs::set_permissions(&hosts, std::fs::Permissions::from_mode(0o644))?;
        let port = free_addr()?
            .rsplit(':')
            .next()
            .unwrap_or_default()
            .parse::<u16>()?;
        let child = Command::new(dnsmasq)
            .args([
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                &format!("--addn-hosts={}", hosts.display()),
                &format!("--port={port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--pid-file=",
                "--cache-size=0",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start dnsmasq")?;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Dns { child, port });
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        bail!("dnsmasq did not listen on port {port}")
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

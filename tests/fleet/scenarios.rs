//! Fleet scenarios on loopback: replicas of the generated server (the shop-server binary) on
//! 127.0.0.2-4 with one port, a real dnsmasq answering for their name, and the generated
//! client calling `dns://127.0.0.1:DNS_PORT/users.test:PORT`. Run by tests/fleet_e2e.rs, which
//! passes FLEET_SERVER and FLEET_DNSMASQ; each scenario prints a `FLEET` line with its figures.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use shop_api::runtime::metrics::Metrics;
use shop_api::runtime::{ClientSettings, ReplicaState, Target};
use shop_client::users::v1::{UserById, UsersServiceClient};
use tonic::Code;

const NAMES: [&str; 3] = ["a", "b", "c"];
const IPS: [&str; 3] = ["127.0.0.2", "127.0.0.3", "127.0.0.4"];

/// Short settings, so that each scenario takes seconds: re-resolution every second, a breaker
/// that opens after 3 failures and probes after 1 s (also the longest reconnect backoff).
fn settings(extra: &str) -> ClientSettings {
    ClientSettings::from_protogen_toml(&format!(
        r#"
        [client]
        deadline = "3s"
        resolve_interval = "1s"
        {extra}
        [client.retry]
        max_attempts = 3
        initial_backoff = "10ms"
        max_backoff = "50ms"
        [client.breaker]
        failures = 3
        cooldown = "1s"
        "#
    ))
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The processes: dnsmasq and the replicas.

struct Fleet {
    dir: PathBuf,
    port: u16,
    dns_port: u16,
    dnsmasq: Child,
    replicas: BTreeMap<usize, Child>,
}

impl Fleet {
    /// Replicas `running` started, the name answering with `in_dns`.
    fn start(in_dns: &[usize], running: &[usize]) -> Fleet {
        Self::start_with(in_dns, running, &[])
    }

    /// [`Fleet::start`] with the replicas' environment.
    fn start_with(in_dns: &[usize], running: &[usize], env: &[(&str, &str)]) -> Fleet {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fleet-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        // dnsmasq started as root reads the file as `nobody`.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let port = free_port_on_every_replica_address();
        let dns_port = free_dns_port();
        let hosts = dir.join("hosts");
        write_hosts(&hosts, in_dns);
        let dnsmasq = Command::new(std::env::var("FLEET_DNSMASQ").expect("FLEET_DNSMASQ"))
            .args([
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                &format!("--addn-hosts={}", hosts.display()),
                &format!("--port={dns_port}"),
                "--listen-address=127.0.0.1",
                "--bind-interfaces",
                "--pid-file=",
                "--cache-size=0",
                "--log-facility=-",
            ])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("dnsmasq.log")).unwrap())
            .spawn()
            .expect("dnsmasq starts");
        let until = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", dns_port)).is_err() {
            assert!(
                Instant::now() < until,
                "dnsmasq did not listen on {dns_port}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut fleet = Fleet {
            dir,
            port,
            dns_port,
            dnsmasq,
            replicas: BTreeMap::new(),
        };
        for &index in running {
            fleet.start_replica(index, env);
        }
        fleet
    }

    fn target(&self) -> String {
        format!("dns://127.0.0.1:{}/users.test:{}", self.dns_port, self.port)
    }

    fn address(&self, index: usize) -> SocketAddr {
        format!("{}:{}", IPS[index], self.port).parse().unwrap()
    }

    /// The name now answers with these replicas (the file rewritten, dnsmasq reloaded).
    fn set_dns(&self, members: &[usize]) {
        write_hosts(&self.dir.join("hosts"), members);
        let reloaded = Command::new("kill")
            .args(["-HUP", &self.dnsmasq.id().to_string()])
            .status()
            .unwrap();
        assert!(reloaded.success());
    }

    fn start_replica(&mut self, index: usize, env: &[(&str, &str)]) {
        let log = std::fs::File::create(self.dir.join(format!("{}.log", NAMES[index]))).unwrap();
        let mut child = Command::new(std::env::var("FLEET_SERVER").expect("FLEET_SERVER"))
            .env("SHOP_ADDR", self.address(index).to_string())
            .env("HTTP_ADDR", "off")
            .env("REPLICA", NAMES[index])
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("shop-server listening on"),
            "replica {} did not start: {line:?}, see {}",
            NAMES[index],
            self.dir.display()
        );
        self.replicas.insert(index, child);
    }

    /// SIGKILL: no goodbye, no GOAWAY.
    fn kill(&mut self, index: usize) {
        let mut child = self.replicas.remove(&index).expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in self.replicas.values_mut().chain([&mut self.dnsmasq]) {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_hosts(path: &std::path::Path, members: &[usize]) {
    let text: String = members
        .iter()
        .map(|&index| format!("{} users.test\n", IPS[index]))
        .collect();
    let staged = path.with_extension("new");
    std::fs::write(&staged, text).unwrap();
    std::fs::rename(&staged, path).unwrap();
}

/// A port free on 127.0.0.2, .3 and .4 alike.
fn free_port_on_every_replica_address() -> u16 {
    for _ in 0..50 {
        let port = TcpListener::bind((IPS[0], 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if IPS.iter().all(|ip| TcpListener::bind((*ip, port)).is_ok()) {
            return port;
        }
    }
    panic!("no port free on every replica address");
}

/// A port free for UDP and TCP on 127.0.0.1.
fn free_dns_port() -> u16 {
    for _ in 0..50 {
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for DNS");
}

// ---------------------------------------------------------------------------------------------
// The client side: load, logs, metrics.

/// Calls of FindOne in a loop on `concurrency` tasks: who served each, and each failure.
struct Load {
    served: Arc<Mutex<Vec<(Instant, String)>>>,
    failed: Arc<Mutex<Vec<(Code, String)>>>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(target: &Target, concurrency: usize) -> Load {
        let load = Load {
            served: Arc::default(),
            failed: Arc::default(),
            stop: Arc::default(),
            tasks: Vec::new(),
        };
        let tasks = (0..concurrency)
            .map(|_| {
                let mut client = UsersServiceClient::new(target.clone());
                let (served, failed, stop) =
                    (load.served.clone(), load.failed.clone(), load.stop.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::SeqCst) {
                        match client.find_one(UserById { id: "u".into() }).await {
                            Ok(user) => served
                                .lock()
                                .unwrap()
                                .push((Instant::now(), user.into_inner().name)),
                            Err(status) => failed
                                .lock()
                                .unwrap()
                                .push((status.code(), status.message().to_owned())),
                        }
                    }
                })
            })
            .collect();
        Load { tasks, ..load }
    }

    async fn stop(self) -> (Vec<(Instant, String)>, Vec<(Code, String)>) {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.unwrap();
        }
        let served = std::mem::take(&mut *self.served.lock().unwrap());
        let failed = std::mem::take(&mut *self.failed.lock().unwrap());
        (served, failed)
    }

    /// Who served the calls that ended in [from, to), by replica name.
    fn served_between(&self, from: Instant, to: Instant) -> BTreeMap<String, usize> {
        count(
            self.served
                .lock()
                .unwrap()
                .iter()
                .filter(|(at, _)| *at >= from && *at < to)
                .map(|(_, name)| name.clone()),
        )
    }
}

fn count(names: impl Iterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for name in names {
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

/// Each replica's share in percent, as `a=33.1% b=...`, and whether all are within ±10
/// points of a fair share among `expected` replicas.
fn shares(counts: &BTreeMap<String, usize>, expected: &[usize]) -> (String, bool) {
    let total: usize = counts.values().sum();
    let fair = 100.0 / expected.len() as f64;
    let mut fair_for_all = counts.len() == expected.len() && total > 0;
    let mut text = Vec::new();
    for &index in expected {
        let share = 100.0 * *counts.get(NAMES[index]).unwrap_or(&0) as f64 / total.max(1) as f64;
        fair_for_all &= (share - fair).abs() <= 10.0;
        text.push(format!("{}={share:.1}%", NAMES[index]));
    }
    (format!("{} of {total}", text.join(" ")), fair_for_all)
}

/// The log lines of the runtime, captured in memory (info and above).
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        struct Capture;
        impl Write for Capture {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                logs().lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let _ = tracing_subscriber::fmt()
            .with_writer(|| Capture)
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .try_init();
        Mutex::default()
    })
}

/// How many captured log lines contain every one of `parts`.
fn log_lines(parts: &[&str]) -> usize {
    String::from_utf8_lossy(&logs().lock().unwrap())
        .lines()
        .filter(|line| parts.iter().all(|part| line.contains(part)))
        .count()
}

/// The value of the series of `name` with these labels, from the process's /metrics text.
fn metric(name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    Metrics::global()
        .render()
        .lines()
        .find(|line| {
            line.starts_with(&format!("{name}{{"))
                && labels
                    .iter()
                    .all(|(key, value)| line.contains(&format!("{key}=\"{value}\"")))
        })
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

async fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < within, "waited {within:?} for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

fn ready(target: &Target) -> usize {
    target
        .replicas()
        .iter()
        .filter(|replica| replica.state == ReplicaState::Ready)
        .count()
}

// ---------------------------------------------------------------------------------------------
// The scenarios.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_spread_over_the_replicas_a_dns_server_names() {
    logs();
    let fleet = Fleet::start(&[0, 1, 2], &[0, 1, 2]);
    let target = Target::connect_with_settings(fleet.target(), settings(""))
        .await
        .unwrap();
    wait_for("3 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 3
    })
    .await;
    let client = UsersServiceClient::new(target.clone());
    let mut names = Vec::new();
    let mut failed = 0;
    // 12 calls at a time, 3,000 in all.
    for _ in 0..250 {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let mut client = client.clone();
            batch.spawn(async move { client.find_one(UserById { id: "u".into() }).await });
        }
        while let Some(answer) = batch.join_next().await {
            match answer.unwrap() {
                Ok(user) => names.push(user.into_inner().name),
                Err(_) => failed += 1,
            }
        }
    }
    let counts = count(names.into_iter());
    let (text, fair) = shares(&counts, &[0, 1, 2]);
    println!("FLEET spread: {text} calls, {failed} failed");
    assert_eq!(failed, 0);
    assert!(fair, "not within ±10 points of a third: {text}");

    // Visible: ready replicas and calls per replica, joins logged once each.
    let uri = fleet.target();
    assert_eq!(
        metric("grpc_client_ready_replicas", &[("target", &uri)]),
        Some(3.0)
    );
    for index in 0..3 {
        let replica = fleet.address(index).to_string();
        let calls = metric(
            "grpc_client_replica_calls_total",
            &[("target", &uri), ("replica", &replica)],
        )
        .unwrap_or(0.0);
        assert_eq!(calls as usize, counts[NAMES[index]], "{replica}");
        assert_eq!(
            log_lines(&["replica joined", &uri, &format!("replica={replica}")]),
            1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_replica_is_ejected_and_no_idempotent_call_fails() {
    logs();
    let mut fleet = Fleet::start(&[0, 1, 2], &[0, 1, 2]);
    let uri = fleet.target();
    let target = Target::connect_with_settings(uri.clone(), settings(""))
        .await
        .unwrap();
    wait_for("3 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 3
    })
    .await;
    let load = Load::start(&target, 8);
    tokio::time::sleep(Duration::from_millis(700)).await;

    let b = fleet.address(1);
    // Returns once b is dead and reaped.
    fleet.kill(1);
    let ejected_after = wait_for("b ejected", Duration::from_secs(5), || {
        target.replicas().iter().any(|replica| {
            replica.address == b && matches!(replica.state, ReplicaState::Ejected { .. })
        })
    })
    .await;
    let ejected_at = Instant::now();
    let calls_to_b = |label: &str| {
        metric(
            "grpc_client_replica_calls_total",
            &[("target", &uri), ("replica", label)],
        )
        .unwrap_or(0.0)
    };
    let at_ejection = calls_to_b(&b.to_string());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let after = calls_to_b(&b.to_string());
    // From the ejection on, with a margin: a call b answered just before it died may be
    // recorded by its caller's task a little after the client saw the connection end.
    let after_kill = load.served_between(ejected_at + Duration::from_millis(250), Instant::now());
    let (served, failed) = load.stop().await;
    println!(
        "FLEET sigkill: {} calls served, {} failed, b ejected {} ms after the kill, {} calls sent to b after its ejection; after it: {:?}",
        served.len(),
        failed.len(),
        ejected_after.as_millis(),
        after - at_ejection,
        after_kill
    );
    assert!(failed.is_empty(), "idempotent calls failed: {failed:?}");
    assert_eq!(after, at_ejection, "calls went to the ejected replica");
    assert!(!after_kill.contains_key("b"));
    assert!(after_kill["a"] > 0 && after_kill["c"] > 0, "{after_kill:?}");
    // Ejected once, although every probe since has failed too.
    assert_eq!(
        log_lines(&["replica ejected", &uri, &format!("replica={b}")]),
        1
    );
    assert_eq!(
        metric("grpc_client_ready_replicas", &[("target", &uri)]),
        Some(2.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_answering_unavailable_is_ejected_by_its_breaker() {
    logs();
    let mut fleet = Fleet::start(&[0, 1, 2], &[0, 1]);
    fleet.start_replica(2, &[("ANSWER_UNAVAILABLE", "1")]);
    let uri = fleet.target();
    let target = Target::connect_with_settings(uri.clone(), settings(""))
        .await
        .unwrap();
    wait_for("3 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 3
    })
    .await;
    let load = Load::start(&target, 4);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (served, failed) = load.stop().await;
    let c = fleet.address(2).to_string();
    let attempts_to_c = metric(
        "grpc_client_replica_calls_total",
        &[("target", &uri), ("replica", &c)],
    )
    .unwrap_or(0.0);
    println!(
        "FLEET unavailable replica: {} calls served by a and b, {} failed, {attempts_to_c} attempts to c in 1.5 s (breaker: 3 failures, 1 s cool-down)",
        served.len(),
        failed.len()
    );
    // Retried on another replica: no call fails; c gets its failures and a probe per cool-down.
    assert!(failed.is_empty(), "{failed:?}");
    assert!(served.iter().all(|(_, name)| name != "c"));
    assert!(attempts_to_c <= 8.0, "{attempts_to_c} attempts to c");
    assert!(log_lines(&["circuit breaker opened", &format!("replica {c} of {uri}")]) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_added_to_dns_takes_a_share_and_a_removed_one_leaves() {
    logs();
    let fleet = Fleet::start(&[0, 1], &[0, 1, 2]);
    let uri = fleet.target();
    let target = Target::connect_with_settings(uri.clone(), settings(""))
        .await
        .unwrap();
    wait_for("2 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 2
    })
    .await;
    let load = Load::start(&target, 8);
    tokio::time::sleep(Duration::from_millis(500)).await;

    let changed = Instant::now();
    fleet.set_dns(&[0, 1, 2]);
    // Within one resolve interval (1 s) and the time to connect; debug builds on a busy
    // machine get slack.
    let joined_after = wait_for("c to take calls", Duration::from_secs(6), || {
        load.served_between(changed, Instant::now())
            .contains_key("c")
    })
    .await;
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (scaled_up, fair) = shares(&load.served_between(window, Instant::now()), &[0, 1, 2]);

    let a = fleet.address(0).to_string();
    let removed = Instant::now();
    fleet.set_dns(&[1, 2]);
    let left_after = wait_for("a to leave", Duration::from_secs(6), || {
        target
            .replicas()
            .iter()
            .all(|replica| replica.address.to_string() != a)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let quiet = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_leaving = load.served_between(quiet, Instant::now());
    let (served, failed) = load.stop().await;
    println!(
        "FLEET scale-up: c took calls {} ms after the DNS change (resolve interval 1 s); next 2 s: {scaled_up}; a left {} ms after removal, then {after_leaving:?}; {} calls, {} failed",
        joined_after.as_millis(),
        left_after.as_millis(),
        served.len(),
        failed.len()
    );
    let _ = removed;
    assert!(fair, "not within ±10 points of a third: {scaled_up}");
    assert!(failed.is_empty(), "{failed:?}");
    assert!(!after_leaving.contains_key("a"), "{after_leaving:?}");
    assert_eq!(
        log_lines(&["replica left", &uri, &format!("replica={a}")]),
        1
    );
    // A gone replica's series are dropped.
    assert_eq!(
        metric(
            "grpc_client_replica_calls_total",
            &[("target", &uri), ("replica", &a)]
        ),
        None
    );
}

/// Without periodic resolution, a scale-up is found when the servers' MAX_CONNECTION_AGE ends
/// a connection with GOAWAY: the client connects again and resolves the name again (at most
/// every 5 s), with no failed call on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connection_age_lets_a_client_without_resolve_interval_find_a_scale_up() {
    logs();
    let fleet = Fleet::start_with(
        &[0, 1],
        &[0, 1, 2],
        &[
            ("MAX_CONNECTION_AGE", "2s"),
            ("MAX_CONNECTION_AGE_GRACE", "1s"),
        ],
    );
    let uri = fleet.target();
    let mut settings = settings("");
    settings.resolve_interval = None;
    let target = Target::connect_with_settings(uri.clone(), settings)
        .await
        .unwrap();
    wait_for("2 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 2
    })
    .await;
    let load = Load::start(&target, 8);
    let changed = Instant::now();
    fleet.set_dns(&[0, 1, 2]);
    // MAX_CONNECTION_AGE (2 s) and the resolution floor (5 s), with slack for a busy machine.
    let joined_after = wait_for("c to take calls", Duration::from_secs(12), || {
        load.served_between(changed, Instant::now())
            .contains_key("c")
    })
    .await;
    // Two connection ages long: each replica's connection is replaced every ~2 s, and a
    // 2 s window on a loaded machine once caught one replica mid-replacement (a=15.8%).
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (scaled_up, fair) = shares(&load.served_between(window, Instant::now()), &[0, 1, 2]);
    let (served, failed) = load.stop().await;
    println!(
        "FLEET scale-up by MAX_CONNECTION_AGE=2s, resolve_interval off: c took calls {} ms after the DNS change; next 4 s: {scaled_up}; {} calls, {} failed",
        joined_after.as_millis(),
        served.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "{failed:?}");
    assert!(fair, "not within ±10 points of a third: {scaled_up}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replica_down_fails_fast_and_one_back_restores_service() {
    logs();
    let mut fleet = Fleet::start(&[0, 1, 2], &[0, 1, 2]);
    let uri = fleet.target();
    let target = Target::connect_with_settings(uri.clone(), settings(""))
        .await
        .unwrap();
    wait_for("3 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 3
    })
    .await;
    let mut client = UsersServiceClient::new(target.clone());
    for index in 0..3 {
        fleet.kill(index);
    }
    let mut slowest = Duration::ZERO;
    let mut message = String::new();
    for _ in 0..20 {
        let started = Instant::now();
        let status = client
            .find_one(UserById { id: "u".into() })
            .await
            .expect_err("every replica is down");
        slowest = slowest.max(started.elapsed());
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        message = status.message().to_owned();
    }
    assert!(message.contains(&uri), "{message}");
    assert!(message.contains("no replica"), "{message}");
    // The deadline is 3 s: failing fast means well under it.
    assert!(slowest < Duration::from_millis(1500), "{slowest:?}");

    let restarted = Instant::now();
    fleet.start_replica(1, &[]);
    let restored_after = loop {
        if client.find_one(UserById { id: "u".into() }).await.is_ok() {
            break restarted.elapsed();
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(10),
            "service not restored"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut served_by = Vec::new();
    for _ in 0..50 {
        served_by.push(
            client
                .find_one(UserById { id: "u".into() })
                .await
                .unwrap()
                .into_inner()
                .name,
        );
    }
    println!(
        "FLEET all down: 20 calls failed fast with UNAVAILABLE (slowest {} ms): {message}; service back {} ms after one replica restarted",
        slowest.as_millis(),
        restored_after.as_millis()
    );
    assert!(served_by.iter().all(|name| name == "b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_lists_and_plain_http_targets_keep_working() {
    logs();
    let fleet = Fleet::start(&[], &[0, 1, 2]);
    let list = format!(
        "ipv4:{},{},{}",
        fleet.address(0),
        fleet.address(1),
        fleet.address(2)
    );
    let target = Target::connect_with_settings(list.clone(), settings(""))
        .await
        .unwrap();
    wait_for("3 ready replicas", Duration::from_secs(10), || {
        ready(&target) == 3
    })
    .await;
    let mut client = UsersServiceClient::new(target);
    let mut names = Vec::new();
    for _ in 0..300 {
        names.push(
            client
                .find_one(UserById { id: "u".into() })
                .await
                .unwrap()
                .into_inner()
                .name,
        );
    }
    let (listed, fair) = shares(&count(names.into_iter()), &[0, 1, 2]);
    assert!(fair, "{listed}");

    // pick_first, per target: every call to the first address while it is up.
    let pick_first = settings(&format!(
        "[client.target.\"{list}\"]\nload_balancing = \"pick_first\""
    ));
    let mut client = UsersServiceClient::new(
        Target::connect_with_settings(list.clone(), pick_first)
            .await
            .unwrap(),
    );
    for _ in 0..30 {
        let name = client
            .find_one(UserById { id: "u".into() })
            .await
            .unwrap()
            .into_inner()
            .name;
        assert_eq!(name, "a");
    }

    let plain = format!("http://{}", fleet.address(2));
    let mut client = UsersServiceClient::new(
        Target::connect_with_settings(plain, settings(""))
            .await
            .unwrap(),
    );
    for _ in 0..30 {
        let name = client
            .find_one(UserById { id: "u".into() })
            .await
            .unwrap()
            .into_inner()
            .name;
        assert_eq!(name, "c");
    }

    // A target that names the DNS server but not the service is refused, naming it.
    let bad = format!("dns://127.0.0.1:{}", fleet.dns_port);
    let error = Target::lazy_with_settings(bad.clone(), settings("")).expect_err("no name");
    assert!(error.0.contains(&bad), "{error}");
    println!(
        "FLEET ipv4 list: {listed}; pick_first: 30/30 to a; http://: 30/30 to c; `{bad}`: {error}"
    );
}

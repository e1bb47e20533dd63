//! Hostile clients and overload against the generated server binary (`$ATTACK_SERVER`), on
//! loopback: slow and silent connections, HTTP/2 abuse, oversized input, a low file limit,
//! and more calls than it can serve. Figures go to stdout as `FIGURE name value` lines.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shop_api::users::v1::users_service_client::UsersServiceClient;
use shop_api::users::v1::UserById;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tonic::transport::Channel;
use tonic::Code;

fn figure(name: &str, value: impl std::fmt::Display) {
    println!("FIGURE {name} {value}");
}

/// Raises this process's soft file limit to its hard limit: the attacks open thousands of
/// sockets.
fn raise_file_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a struct we own.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max.min(65_536);
        assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &limit), 0);
    }
    limit.rlim_cur
}

/// Raises the scheduling priority (nice -10) of every thread of this process, if allowed
/// (root): on a shared machine, other processes' load must not decide latency figures.
/// Servers get the same in their `pre_exec`.
fn raise_priority() {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return;
    };
    for task in tasks.flatten() {
        if let Ok(tid) = task.file_name().to_string_lossy().parse::<libc::id_t>() {
            // SAFETY: a plain syscall; failure (not root) leaves the priority as it was.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, tid, -10) };
        }
    }
}

/// The server binary, started with `env` (and a file limit, if given).
struct Server {
    child: Child,
    grpc: SocketAddr,
    http: SocketAddr,
    log: std::path::PathBuf,
}

impl Server {
    fn start(name: &str, env: &[(&str, &str)], file_limit: Option<u64>) -> Server {
        let binary = std::env::var("ATTACK_SERVER").expect("ATTACK_SERVER names the server binary");
        let log = std::env::temp_dir().join(format!("attack-{}-{name}.log", std::process::id()));
        let mut command = Command::new(binary);
        command
            .env("SHOP_ADDR", "127.0.0.1:0")
            .env("HTTP_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                // Best effort, as `raise_priority`.
                libc::setpriority(libc::PRIO_PROCESS, 0, -10);
                Ok(())
            });
        }
        if let Some(files) = file_limit {
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    let limit = libc::rlimit {
                        rlim_cur: files,
                        rlim_max: files,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut address = || {
            let line = lines.next().unwrap().unwrap();
            line.rsplit(' ')
                .next()
                .unwrap()
                .parse::<SocketAddr>()
                .unwrap()
        };
        let grpc = address();
        let http = address();
        Server {
            child,
            grpc,
            http,
            log,
        }
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("server log:\n{}", self.log());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

fn channel(addr: SocketAddr) -> Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .connect_lazy()
}

fn find_one(id: &str, timeout: Duration) -> tonic::Request<UserById> {
    let mut request = tonic::Request::new(UserById { id: id.into() });
    request.set_timeout(timeout);
    request
}

/// One HTTP/1.1 request on a fresh connection: the status code, and the body.
async fn http(addr: SocketAddr, request: &[u8]) -> std::io::Result<(u16, String)> {
    let (status, _, body) = http_with_head(addr, request).await?;
    Ok((status, body))
}

/// One HTTP/1.1 request on a fresh connection: the status code, the head, and the body.
async fn http_with_head(
    addr: SocketAddr,
    request: &[u8],
) -> std::io::Result<(u16, String, String)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(request).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response
        .get(9..12)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {response:?}")))?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    Ok((status, head.to_owned(), body.to_owned()))
}

/// Legitimate callers while the attacks run: a gRPC call and a REST call every 20 ms.
struct Legit {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<Vec<String>>,
}

impl Legit {
    fn start(server: &Server) -> Legit {
        let (grpc, http_addr) = (server.grpc, server.http);
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let (stopping, counted) = (stop.clone(), ok.clone());
        let task = tokio::spawn(async move {
            let mut client = UsersServiceClient::new(channel(grpc));
            let mut failures = Vec::new();
            let rest = format!(
                "GET /v1/users/u1 HTTP/1.1\r\nHost: {http_addr}\r\nConnection: close\r\n\r\n"
            );
            while !stopping.load(Ordering::Relaxed) {
                match client
                    .find_one(find_one("u1", Duration::from_secs(3)))
                    .await
                {
                    Ok(_) => counted.fetch_add(1, Ordering::Relaxed),
                    Err(status) => {
                        failures.push(format!("gRPC: {status:?}"));
                        0
                    }
                };
                let answer =
                    tokio::time::timeout(Duration::from_secs(3), http(http_addr, rest.as_bytes()))
                        .await;
                match answer {
                    Ok(Ok((200, _))) => counted.fetch_add(1, Ordering::Relaxed),
                    other => {
                        failures.push(format!("REST: {other:?}"));
                        0
                    }
                };
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            failures
        });
        Legit { stop, ok, task }
    }

    async fn finish(self) -> (u64, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let failures = self.task.await.unwrap();
        (self.ok.load(Ordering::Relaxed), failures)
    }
}

/// `count` connections to `addr` that send `first` (nothing, or a request head that never
/// ends) and then one header line every `every`: how long each stayed open (`None`: still
/// open after `cap`; zero: refused or closed at once).
async fn slow_connections(
    addr: SocketAddr,
    count: usize,
    first: &'static [u8],
    every: Option<Duration>,
    cap: Duration,
) -> Vec<Option<Duration>> {
    let tasks: Vec<_> = (0..count)
        .map(|index| {
            tokio::spawn(async move {
                // Spread over a second: a burst would overflow the listen backlog, and the
                // kernel drops such connections without telling a client that never writes.
                tokio::time::sleep(Duration::from_micros(500) * index as u32).await;
                let Ok(mut stream) = TcpStream::connect(addr).await else {
                    return Some(Duration::ZERO);
                };
                let opened = Instant::now();
                if !first.is_empty() && stream.write_all(first).await.is_err() {
                    return Some(opened.elapsed());
                }
                let mut buffer = [0u8; 512];
                let every = every.unwrap_or(cap * 2);
                let mut next_line = opened + every;
                loop {
                    tokio::select! {
                        read = stream.read(&mut buffer) => match read {
                            Ok(0) | Err(_) => return Some(opened.elapsed()),
                            Ok(_) => {}
                        },
                        () = tokio::time::sleep_until(next_line.into()) => {
                            next_line += every;
                            if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
                                return Some(opened.elapsed());
                            }
                        }
                        () = tokio::time::sleep_until((opened + cap).into()) => return None,
                    }
                }
            })
        })
        .collect();
    let mut lifetimes = Vec::with_capacity(count);
    for task in tasks {
        lifetimes.push(task.await.unwrap());
    }
    lifetimes
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// How far over its baseline the server's memory may stay after the attacks.
const RSS_BOUND_KIB: u64 = 16 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_connections_and_input_leave_legitimate_callers_served() {
    raise_file_limit();
    raise_priority();
    let timeout = Duration::from_secs(2);
    let server = Server::start("attacks", &[("HEADER_READ_TIMEOUT", "2s")], None);
    let legit = Legit::start(&server);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = server.rss_kib();
    figure("rss_baseline_kib", baseline);

    // 2,000 slowloris connections on the HTTP listener (a header line every 500 ms, the head
    // never ends) and 2,000 silent ones on the gRPC port, at once.
    let started = Instant::now();
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampling = {
        let (peak, pid) = (peak.clone(), server.child.id());
        tokio::spawn(async move {
            loop {
                if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                    if let Some(kib) = status
                        .lines()
                        .find_map(|line| line.strip_prefix("VmRSS:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                    {
                        peak.fetch_max(kib, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let cap = Duration::from_secs(10);
    let slowloris = tokio::spawn(slow_connections(
        server.http,
        2000,
        b"GET /livez HTTP/1.1\r\nHost: attack\r\n",
        Some(Duration::from_millis(500)),
        cap,
    ));
    let silent = tokio::spawn(slow_connections(server.grpc, 2000, b"", None, cap));
    let (slowloris, silent) = (slowloris.await.unwrap(), silent.await.unwrap());
    for (name, lifetimes) in [("slowloris_http", &slowloris), ("silent_grpc", &silent)] {
        let closed: Vec<Duration> = lifetimes.iter().flatten().copied().collect();
        let mut sorted = closed.clone();
        sorted.sort();
        figure(
            &format!("{name}_closed"),
            format!("{}/{}", closed.len(), lifetimes.len()),
        );
        figure(&format!("{name}_closed_after_min_ms"), ms(sorted[0]));
        figure(
            &format!("{name}_closed_after_max_ms"),
            ms(*sorted.last().unwrap()),
        );
        assert_eq!(
            closed.len(),
            2000,
            "{name}: connections still open after {cap:?}"
        );
        // Closed by the timeout, not refused at accept (the client notes a connection's
        // start when its task next runs, up to a few hundred ms late with 4,000 of them),
        // and within the timeout plus scheduling slack.
        assert!(sorted[0] >= timeout / 2, "{name}: {:?}", sorted[0]);
        assert!(
            *sorted.last().unwrap() <= timeout + Duration::from_millis(1500),
            "{name}: {:?}",
            sorted.last()
        );
    }
    figure(
        "connection_attacks_seconds",
        format!("{:.1}", started.elapsed().as_secs_f64()),
    );

    // HTTP/2 abuse on the gRPC port (Python's h2 and raw frames).
    let script = std::env::var("ATTACK_H2_SCRIPT").expect("ATTACK_H2_SCRIPT");
    let output = Command::new("python3")
        .arg(&script)
        .arg("127.0.0.1")
        .arg(server.grpc.port().to_string())
        .args([
            "rapid_reset",
            "continuation_flood",
            "window_update_overflow",
            "ping_flood",
            "settings_flood",
            "window_update_flood",
            "empty_data_flood",
        ])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let attack = |name: &str| -> std::collections::HashMap<String, String> {
        let line = report
            .lines()
            .find(|line| line.starts_with(&format!("attack={name} ")))
            .unwrap_or_else(|| panic!("no {name} line in {report}"));
        line.split(' ')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    for line in report.lines() {
        figure("h2", line);
    }
    // Rapid reset: GOAWAY ENHANCE_YOUR_CALM (11) long before 20,000 resets.
    let reset = attack("rapid_reset");
    assert_eq!(reset["outcome"], "goaway", "{report}");
    assert_eq!(reset["code"], "11", "{report}");
    assert!(reset["sent"].parse::<u32>().unwrap() < 20_000, "{report}");
    // CONTINUATION flood: cut before a megabyte of header block.
    let flood = attack("continuation_flood");
    assert!(flood["outcome"] != "open", "{report}");
    assert!(flood["sent"].parse::<u64>().unwrap() < 1 << 20, "{report}");
    // A window update past 2^31-1: GOAWAY FLOW_CONTROL_ERROR (3).
    let window = attack("window_update_overflow");
    assert_eq!(
        (window["outcome"].as_str(), window["code"].as_str()),
        ("goaway", "3")
    );
    // Control-frame floods h2 would answer or absorb without end: cut by the listener's
    // sniffer after about 100 frames (GOAWAY, then closed; `sent` also counts what the
    // sockets' buffers took before the GOAWAY was read). /metrics counts them below.
    for name in ["ping_flood", "settings_flood", "window_update_flood"] {
        assert!(attack(name)["outcome"] != "open", "{name}: {report}");
    }
    // Empty DATA frames: h2's own limit, GOAWAY ENHANCE_YOUR_CALM.
    let empty = attack("empty_data_flood");
    assert_eq!(
        (empty["outcome"].as_str(), empty["code"].as_str()),
        ("goaway", "11"),
        "{report}"
    );

    // Oversized and deep input.
    let mut client = UsersServiceClient::new(channel(server.grpc));
    let mut bomb = find_one("u1", Duration::from_secs(3));
    let value = "a".repeat(1 << 20);
    bomb.metadata_mut().insert("x-bomb", value.parse().unwrap());
    let refused = client.find_one(bomb).await.unwrap_err();
    // h2 refuses the header list past MAX_HEADER_BYTES: RESOURCE_EXHAUSTED (431), or a broken
    // pipe when the server has answered before tonic finished writing the megabyte.
    figure("grpc_1mib_metadata", format!("{:?}", refused.code()));
    assert!(
        matches!(
            refused.code(),
            Code::ResourceExhausted | Code::Internal | Code::Unavailable | Code::Unknown
        ),
        "{refused:?}"
    );
    let head = format!(
        "GET /livez HTTP/1.1\r\nHost: attack\r\nX-Bomb: {value}\r\nConnection: close\r\n\r\n"
    );
    // hyper answers 431 once the head outgrows its buffer, and closes: the rest of the
    // megabyte can meet a closed socket first (seen in release builds), as on the gRPC port.
    match http(server.http, head.as_bytes()).await {
        Ok((status, _)) => {
            figure("http_1mib_header_status", status);
            assert_eq!(status, 431);
        }
        Err(error) => {
            figure(
                "http_1mib_header_status",
                format!("closed mid-write ({error})"),
            );
            assert!(
                matches!(
                    error.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "{error}"
            );
        }
    }
    let deep = "[".repeat(200_000) + &"]".repeat(200_000);
    let request = format!(
        "POST /v1/orders HTTP/1.1\r\nHost: attack\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{deep}",
        deep.len()
    );
    let (status, body) = http(server.http, request.as_bytes()).await.unwrap();
    figure("rest_200000_deep_json_status", status);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("MAX_JSON_DEPTH"), "{body}");
    let huge = "x".repeat(5 << 20);
    let refused = client
        .find_one(find_one(&huge, Duration::from_secs(5)))
        .await
        .unwrap_err();
    figure("grpc_5mib_message", format!("{:?}", refused.code()));
    assert!(
        matches!(refused.code(), Code::ResourceExhausted | Code::OutOfRange),
        "{refused:?}"
    );
    // The server still answers on the same channel.
    client
        .find_one(find_one("u1", Duration::from_secs(3)))
        .await
        .unwrap();

    // Memory: back near the baseline once the attackers are gone. mimalloc frees a page when
    // the thread that owns it allocates again (the legitimate calls go on), and the runtime
    // (memory.rs) has it purge at once: within seconds, not at once.
    let attackers_gone = Instant::now();
    let mut after = server.rss_kib();
    while after > baseline + RSS_BOUND_KIB && attackers_gone.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(250)).await;
        after = server.rss_kib();
    }
    let returned_in = attackers_gone.elapsed();
    sampling.abort();
    figure("rss_peak_kib", peak.load(Ordering::Relaxed));
    figure("rss_after_kib", after);
    figure("rss_returned_after_ms", ms(returned_in));
    let (ok, failures) = legit.finish().await;
    figure("legit_calls_ok", ok);
    figure("legit_calls_failed", failures.len());
    assert!(failures.is_empty(), "legitimate calls failed: {failures:?}");
    assert!(ok > 50, "only {ok} legitimate calls");
    // Every attacker's connection is gone on the server's side too.
    let (_, metrics) = http(
        server.http,
        b"GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    for listener in ["grpc", "http"] {
        let series = format!("server_connections_open{{listener=\"{listener}\"}} ");
        let open: f64 = metrics
            .lines()
            .find_map(|line| line.strip_prefix(&series))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(f64::NAN);
        figure(&format!("open_connections_after_{listener}"), open);
        assert!(open <= 3.0, "{listener}: {open} connections still open");
    }
    assert_eq!(
        counter(
            &metrics,
            "server_connections_closed_total{listener=\"grpc\",reason=\"flood\"}"
        ),
        3.0,
        "the three floods, counted: {metrics}"
    );
    // With mimalloc's defaults (MIMALLOC_PURGE_DELAY=1000 MIMALLOC_GENERIC_COLLECT=10000
    // MIMALLOC_ALLOW_THP=1) the server stayed 28-71 MB over its baseline (debug build) or more
    // than 16 MB over it for 10 s (release); with the runtime's (memory.rs), 2-3 MB over it
    // at once in both.
    let peak = peak.load(Ordering::Relaxed);
    assert!(
        after <= baseline + RSS_BOUND_KIB,
        "RSS {after} KiB 5 s after the attacks, {peak} KiB at the peak, {baseline} KiB before"
    );
    let log = server.log();
    // Each limit is logged once, not per connection.
    assert_eq!(
        log.matches("HEADER_READ_TIMEOUT").count(),
        2,
        "once per listener: {log}"
    );
    assert_eq!(log.matches("flooded PING").count(), 1, "{log}");
}

/// The value of one series in a Prometheus text exposition (NaN if absent).
fn counter(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(series))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// The server's `/metrics`.
async fn metrics(http_addr: SocketAddr) -> String {
    let request = b"GET /metrics HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    http(http_addr, request).await.unwrap().1
}

/// Reads HTTP/2 frames from `stream` until a GOAWAY (its error code), the end of the
/// connection (`None`) or `cap`.
async fn goaway(stream: &mut TcpStream, cap: Duration) -> Option<u32> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    let end = tokio::time::Instant::now() + cap;
    loop {
        let mut at = 0;
        while at + 9 <= data.len() {
            let length = usize::from(data[at]) << 16
                | usize::from(data[at + 1]) << 8
                | usize::from(data[at + 2]);
            if at + 9 + length > data.len() {
                break;
            }
            if data[at + 3] == 7 && length >= 8 {
                let code = &data[at + 13..at + 17];
                return Some(u32::from_be_bytes(code.try_into().unwrap()));
            }
            at += 9 + length;
        }
        match tokio::time::timeout_at(end, stream.read(&mut buffer)).await {
            Ok(Ok(n)) if n > 0 => data.extend_from_slice(&buffer[..n]),
            _ => return None,
        }
    }
}

/// HEADER_READ_TIMEOUT is for connections that never speak: an HTTP/2 client that sent its
/// preface and SETTINGS keeps its connection long after it. (Every HTTP/2 connection was once
/// dropped at the timeout whatever it had sent: the legitimate callers of the attack test
/// lost a call now and then, with a broken pipe or a reset.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_spoke_outlives_the_header_read_timeout() {
    raise_file_limit();
    let server = Server::start("spoke", &[("HEADER_READ_TIMEOUT", "1s")], None);
    let mut hello = TcpStream::connect(server.grpc).await.unwrap();
    hello
        .write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    // The server's SETTINGS and ACK arrive; then the connection stays open, past the timeout.
    let opened = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        let left = Duration::from_millis(2500).saturating_sub(opened.elapsed());
        match tokio::time::timeout(left, hello.read(&mut buffer)).await {
            Err(_still_open) => break,
            Ok(Ok(n)) if n > 0 => continue,
            ended => panic!("closed after {:?}: {ended:?}", opened.elapsed()),
        }
    }
    // A gRPC channel's calls 1.5 s apart keep to their one connection.
    let mut client = UsersServiceClient::new(channel(server.grpc));
    for _ in 0..2 {
        client
            .find_one(find_one("u1", Duration::from_secs(3)))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    let metrics = metrics(server.http).await;
    assert_eq!(
        counter(
            &metrics,
            "server_connections_closed_total{listener=\"grpc\",reason=\"header_timeout\"}"
        ),
        0.0,
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_get_goaway_and_rest_past_the_call_limit_gets_429() {
    raise_file_limit();
    let server = Server::start(
        "idle-429",
        &[
            ("IDLE_CONNECTION_TIMEOUT", "1s"),
            ("MAX_CONCURRENT_CALLS", "2"),
        ],
        None,
    );
    // An HTTP/2 connection that says hello (preface, SETTINGS) and then nothing: GOAWAY
    // (NO_ERROR) after IDLE_CONNECTION_TIMEOUT, not before.
    let mut idle = TcpStream::connect(server.grpc).await.unwrap();
    idle.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    let opened = Instant::now();
    let code = goaway(&mut idle, Duration::from_secs(5)).await;
    let after = opened.elapsed();
    figure("idle_h2_goaway_after_ms", ms(after));
    assert_eq!(code, Some(0), "no GOAWAY within 5 s");
    assert!(
        after >= Duration::from_millis(900) && after <= Duration::from_secs(3),
        "GOAWAY after {after:?}"
    );

    // REST calls past MAX_CONCURRENT_CALLS: 429 with Retry-After at once, before their body
    // is read (a POST whose 1 MB body never comes is refused from its head); the two calls
    // holding the places are served (their CPU work, about 0.3 s on a free core, runs at
    // nice 10: on a loaded machine it takes many times that, hence the generous timeout).
    let rest = |request: &'static [u8]| {
        let addr = server.http;
        tokio::spawn(async move {
            let started = Instant::now();
            let answer =
                tokio::time::timeout(Duration::from_secs(60), http_with_head(addr, request))
                    .await
                    .expect("no answer within 60 s")
                    .unwrap();
            (answer, started.elapsed())
        })
    };
    let holding: Vec<_> = (0..2)
        .map(|_| {
            rest(b"GET /v1/users/cpu-30000000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        })
        .collect();
    let waited = Instant::now();
    while counter(&metrics(server.http).await, "grpc_server_in_flight ") < 2.0 {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the calls never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut refusals: Vec<_> = (0..6)
        .map(|_| rest(b"GET /v1/users/u1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))
        .collect();
    refusals.push(rest(
        b"POST /v1/orders HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n",
    ));
    let mut refused = Vec::new();
    for call in refusals {
        let ((status, head, body), elapsed) = call.await.unwrap();
        assert_eq!(status, 429, "{head}\n{body}");
        assert!(
            head.to_ascii_lowercase().contains("\r\nretry-after: 1"),
            "{head}"
        );
        refused.push(elapsed);
    }
    for call in holding {
        let ((status, head, body), _) = call.await.unwrap();
        assert_eq!(status, 200, "{head}\n{body}");
    }
    refused.sort();
    figure("rest_429", format!("{}/7", refused.len()));
    figure("rest_429_p50_ms", ms(percentile(&refused, 0.5)));
    figure("rest_429_max_ms", ms(*refused.last().unwrap()));
    let metrics = metrics(server.http).await;
    assert_eq!(
        counter(
            &metrics,
            "server_connections_closed_total{listener=\"grpc\",reason=\"idle\"}"
        ),
        1.0,
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_http_connections_under_a_1024_file_limit_leave_grpc_served() {
    raise_file_limit();
    let server = Server::start("ulimit", &[("HEADER_READ_TIMEOUT", "30s")], Some(1024));
    let slow = tokio::spawn(slow_connections(
        server.http,
        1100,
        b"GET /livez HTTP/1.1\r\nHost: attack\r\n",
        Some(Duration::from_secs(1)),
        Duration::from_secs(6),
    ));
    tokio::time::sleep(Duration::from_secs(2)).await;
    // A new gRPC client, while the HTTP listener is full: every call answered.
    let mut client = UsersServiceClient::new(channel(server.grpc));
    let started = Instant::now();
    for i in 0..12 {
        client
            .find_one(find_one(&format!("u{i}"), Duration::from_secs(2)))
            .await
            .unwrap();
    }
    figure("ulimit_grpc_calls_ok", "12/12");
    figure("ulimit_grpc_12_calls_ms", ms(started.elapsed()));
    let lifetimes = slow.await.unwrap();
    let refused = lifetimes
        .iter()
        .filter(|lifetime| lifetime.is_some_and(|d| d < Duration::from_secs(1)))
        .count();
    let held = lifetimes
        .iter()
        .filter(|lifetime| lifetime.is_none())
        .count();
    figure("ulimit_http_connections_held", held);
    figure("ulimit_http_connections_refused", refused);
    // MAX_CONNECTIONS (auto: (1024 - 128) / 2 = 448) held, the rest refused at accept.
    assert_eq!(held, 448, "held {held}, refused {refused}");
    assert_eq!(server.log().matches("MAX_CONNECTIONS reached").count(), 1);
}

/// Latencies of accepted calls, of refused ones, and the count of missed deadlines.
#[derive(Default)]
struct Outcomes {
    accepted: Vec<Duration>,
    refused: Vec<Duration>,
    missed: usize,
    other: Vec<String>,
}

/// Calls `cpu` work for `length`: `callers` at a time in a closed loop when `rate` is None,
/// else arrivals at `rate` per second whatever the answers (an open loop, like real traffic).
async fn offer(
    grpc: SocketAddr,
    work: &'static str,
    length: Duration,
    callers: usize,
    rate: Option<f64>,
    deadline: Duration,
) -> Outcomes {
    let channels: Vec<Channel> = (0..4).map(|_| channel(grpc)).collect();
    let outcomes = Arc::new(std::sync::Mutex::new(Outcomes::default()));
    let end = Instant::now() + length;
    let call = {
        let outcomes = outcomes.clone();
        move |channel: Channel| {
            let outcomes = outcomes.clone();
            async move {
                let mut client = UsersServiceClient::new(channel);
                let started = Instant::now();
                let answer = client.find_one(find_one(work, deadline)).await;
                let elapsed = started.elapsed();
                let mut outcomes = outcomes.lock().unwrap();
                match answer {
                    Ok(_) => outcomes.accepted.push(elapsed),
                    Err(status) if status.code() == Code::ResourceExhausted => {
                        outcomes.refused.push(elapsed)
                    }
                    Err(status)
                        if matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled) =>
                    {
                        outcomes.missed += 1
                    }
                    Err(status) => outcomes.other.push(format!("{status:?}")),
                }
            }
        }
    };
    let mut tasks = Vec::new();
    match rate {
        None => {
            for caller in 0..callers {
                let (call, channel) = (call.clone(), channels[caller % 4].clone());
                tasks.push(tokio::spawn(async move {
                    while Instant::now() < end {
                        call(channel.clone()).await;
                    }
                }));
            }
        }
        Some(rate) => {
            let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
            let mut index = 0;
            while Instant::now() < end {
                ticks.tick().await;
                index += 1;
                tasks.push(tokio::spawn(call(channels[index % 4].clone())));
            }
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut outcomes = outcomes.lock().unwrap();
    std::mem::take(&mut *outcomes)
}

fn summarize(name: &str, outcomes: &mut Outcomes, length: Duration) {
    outcomes.accepted.sort();
    outcomes.refused.sort();
    figure(&format!("{name}_accepted"), outcomes.accepted.len());
    figure(
        &format!("{name}_accepted_per_s"),
        format!(
            "{:.0}",
            outcomes.accepted.len() as f64 / length.as_secs_f64()
        ),
    );
    figure(
        &format!("{name}_accepted_p50_ms"),
        ms(percentile(&outcomes.accepted, 0.5)),
    );
    figure(
        &format!("{name}_accepted_p99_ms"),
        ms(percentile(&outcomes.accepted, 0.99)),
    );
    figure(&format!("{name}_refused"), outcomes.refused.len());
    figure(
        &format!("{name}_refused_p50_ms"),
        ms(percentile(&outcomes.refused, 0.5)),
    );
    figure(
        &format!("{name}_refused_p99_ms"),
        ms(percentile(&outcomes.refused, 0.99)),
    );
    figure(&format!("{name}_missed_deadline"), outcomes.missed);
    figure(&format!("{name}_other_errors"), outcomes.other.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_fast_with_admission_control_and_queues_without() {
    raise_file_limit();
    raise_priority();
    // Each call burns a few milliseconds of CPU on the blocking pool (as CPU-heavy handlers
    // should), so the server's async workers stay free to answer or refuse.
    const WORK: &str = "cpu-400000";
    let limit = 4;
    let deadline = Duration::from_secs(1);
    let limited = Server::start("admission", &[("MAX_CONCURRENT_CALLS", "4")], None);
    // At capacity: as many callers as the limit, each calling again as soon as answered.
    let length = Duration::from_secs(3);
    let mut capacity = offer(limited.grpc, WORK, length, limit, None, deadline).await;
    summarize("capacity", &mut capacity, length);
    assert!(
        capacity.other.is_empty() && capacity.missed == 0,
        "{:?}",
        capacity.other
    );
    let rate = capacity.accepted.len() as f64 / length.as_secs_f64();
    let p99_capacity = percentile(&capacity.accepted, 0.99);

    // Three times that rate, arriving whatever the answers.
    let length = Duration::from_secs(4);
    let mut on = offer(limited.grpc, WORK, length, 0, Some(rate * 3.0), deadline).await;
    summarize("admission_on", &mut on, length);
    let p99_on = percentile(&on.accepted, 0.99);
    assert!(on.other.is_empty(), "{:?}", on.other);
    assert_eq!(on.missed, 0, "accepted calls missed their deadline");
    assert!(!on.refused.is_empty(), "nothing was refused at 3x capacity");
    // Medians, with room: on a shared 2-core machine the tails of both runs follow the
    // other processes' load (the README has the figures). Without admission control the
    // median goes to the deadline instead.
    let p50_capacity = percentile(&capacity.accepted, 0.5);
    let p50_on = percentile(&on.accepted, 0.5);
    figure(
        "admission_on_accepted_p99_over_capacity_p99",
        format!("{:.2}", p99_on.as_secs_f64() / p99_capacity.as_secs_f64()),
    );
    assert!(
        p50_on <= p50_capacity * 3,
        "accepted p50 {p50_on:?} against {p50_capacity:?} at capacity"
    );
    assert!(
        percentile(&on.refused, 0.5) < Duration::from_millis(5),
        "refusals took {:?} (p50)",
        percentile(&on.refused, 0.5)
    );
    // Health stays answerable.
    let (status, _) = http(
        limited.http,
        b"GET /readyz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        limited
            .log()
            .matches("MAX_CONCURRENT_CALLS reached")
            .count(),
        1
    );
    drop(limited);

    // The same offered load without admission control: what happens today.
    let unlimited = Server::start("no-admission", &[], None);
    let mut off = offer(unlimited.grpc, WORK, length, 0, Some(rate * 3.0), deadline).await;
    summarize("admission_off", &mut off, length);
}

//! Load generator of `cargo xtask bench-server`: CONCURRENCY callers over 4 connections for
//! SECONDS (after a warm-up of a fifth of that), each call with a 5 s deadline as real
//! clients send. Prints `calls_per_second p50_us p99_us errors`. `rest` calls the same RPC as
//! `unary` through the server's REST route (GET /v1/users/{id}, JSON), one HTTP/1.1 keep-alive
//! connection per caller, ADDR being the HTTP listener; `rest-h2` the same over HTTP/2 without
//! TLS (h2c), CONCURRENCY callers over 4 connections as `unary` does. `client` makes the unary
//! calls through the generated client (`runtime::Target`), ADDR being its target string
//! (`http://...`, `dns://...`); `client-channel` through a `Target` over one tonic channel to
//! ADDR (an `http://` URI), without the balancer.
//!
//! usage: load ADDR unary|stream|rest|rest-h2|client|client-channel CONCURRENCY SECONDS

use std::time::{Duration, Instant};

use shop_api::users::v1::users_service_client::UsersServiceClient;
use shop_api::runtime::Target;
use shop_api::users::v1::{UserById, UserFilter};
use tonic::transport::{Channel, Endpoint};
use tonic::Request;

use http_body_util::Empty;
use hyper::body::Bytes;

const CONNECTIONS: usize = 4;
const STREAM_MESSAGES: i32 = 100;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, scenario, concurrency, seconds] = args.as_slice() else {
        return Err(
            "usage: load ADDR unary|stream|rest|rest-h2|client|client-channel CONCURRENCY SECONDS"
                .into(),
        );
    };
    let concurrency: usize = concurrency.parse()?;
    let seconds: f64 = seconds.parse()?;
    let unary = scenario == "unary";
    let rest = scenario == "rest";
    let rest_h2 = scenario == "rest-h2";
    let target = match scenario.as_str() {
        "client" => Some(Target::connect(addr.clone()).await?),
        "client-channel" => {
            let channel = Endpoint::from_shared(addr.clone())?
                .tcp_nodelay(true)
                .connect()
                .await?;
            Some(Target::from_channel(addr.clone(), channel)?)
        }
        _ => None,
    };
    let mut channels = Vec::new();
    let mut h2_senders = Vec::new();
    for _ in 0..CONNECTIONS {
        if target.is_some() {
            break;
        }
        if rest_h2 {
            h2_senders.push(h2_connection(addr).await?);
        } else if !rest {
            let endpoint = Endpoint::from_shared(format!("http://{addr}"))?.tcp_nodelay(true);
            channels.push(endpoint.connect().await?);
        }
    }
    let run = |duration: Duration| {
        (0..concurrency)
            .map(|worker| {
                if rest {
                    let addr = addr.clone();
                    return tokio::spawn(async move {
                        match http1_connection(&addr).await {
                            Some(sender) => {
                                rest_caller(Sender::Http1(sender), addr, duration).await
                            }
                            None => (Vec::new(), 1),
                        }
                    });
                }
                if rest_h2 {
                    let sender = Sender::Http2(h2_senders[worker % CONNECTIONS].clone());
                    let addr = addr.clone();
                    return tokio::spawn(async move { rest_caller(sender, addr, duration).await });
                }
                if let Some(target) = &target {
                    return tokio::spawn(target_caller(target.clone(), duration));
                }
                let channel: Channel = channels[worker % CONNECTIONS].clone();
                tokio::spawn(async move { caller(channel, unary, duration).await })
            })
            .collect::<Vec<_>>()
    };
    for task in run(Duration::from_secs_f64(seconds / 5.0)) {
        task.await?;
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in run(Duration::from_secs_f64(seconds)) {
        let (mut measured, failed) = task.await?;
        latencies.append(&mut measured);
        errors += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        let index = ((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1));
        latencies.get(index).copied().unwrap_or(0)
    };
    println!(
        "{:.0} {} {} {errors}",
        latencies.len() as f64 / elapsed,
        percentile(0.50),
        percentile(0.99)
    );
    Ok(())
}

/// Calls back to back until `duration` is over; returns each call's latency in µs and the
/// number of failed calls.
async fn caller(channel: Channel, unary: bool, duration: Duration) -> (Vec<u64>, u64) {
    let mut client = UsersServiceClient::new(channel);
    let mut latencies = Vec::new();
    let mut errors = 0;
    let until = Instant::now() + duration;
    while Instant::now() < until {
        let started = Instant::now();
        let ok = if unary {
            let mut request = Request::new(UserById { id: "u42".into() });
            request.set_timeout(Duration::from_secs(5));
            client.find_one(request).await.is_ok()
        } else {
            let mut request = Request::new(UserFilter {
                role: "admin".into(),
                limit: STREAM_MESSAGES,
            });
            request.set_timeout(Duration::from_secs(5));
            match client.find_many(request).await {
                Ok(response) => {
                    let mut stream = response.into_inner();
                    let mut received = 0;
                    while let Ok(Some(_)) = stream.message().await {
                        received += 1;
                    }
                    received == STREAM_MESSAGES
                }
                Err(_) => false,
            }
        };
        if ok {
            latencies.push(started.elapsed().as_micros() as u64);
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

/// Unary calls through the generated client, back to back until `duration` is over.
async fn target_caller(target: Target, duration: Duration) -> (Vec<u64>, u64) {
    let mut client = UsersServiceClient::new(target);
    let mut latencies = Vec::new();
    let mut errors = 0;
    let until = Instant::now() + duration;
    while Instant::now() < until {
        let started = Instant::now();
        let mut request = Request::new(UserById { id: "u42".into() });
        request.set_timeout(Duration::from_secs(5));
        if client.find_one(request).await.is_ok() {
            latencies.push(started.elapsed().as_micros() as u64);
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

/// One HTTP/1.1 keep-alive connection.
async fn http1_connection(
    addr: &str,
) -> Option<hyper::client::conn::http1::SendRequest<Empty<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// One HTTP/2 connection without TLS (prior knowledge), shared by several callers.
async fn h2_connection(
    addr: &str,
) -> Result<hyper::client::conn::http2::SendRequest<Empty<Bytes>>, Box<dyn std::error::Error>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await?;
    tokio::spawn(connection);
    Ok(sender)
}

enum Sender {
    Http1(hyper::client::conn::http1::SendRequest<Empty<Bytes>>),
    Http2(hyper::client::conn::http2::SendRequest<Empty<Bytes>>),
}

/// Like [`caller`] for the REST route: GET /v1/users/u42, its JSON answer checked.
async fn rest_caller(mut sender: Sender, addr: String, duration: Duration) -> (Vec<u64>, u64) {
    use http_body_util::BodyExt;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let uri = format!("http://{addr}/v1/users/u42");
    let until = Instant::now() + duration;
    while Instant::now() < until {
        let started = Instant::now();
        let request = http::Request::get(&uri)
            .header("grpc-timeout", "5S")
            .body(Empty::<Bytes>::new())
            .expect("a valid request");
        let response = match &mut sender {
            Sender::Http1(sender) => {
                let mut request = request;
                request
                    .headers_mut()
                    .insert("host", addr.parse().expect("an address is a header value"));
                sender.send_request(request).await
            }
            Sender::Http2(sender) => sender.send_request(request).await,
        };
        let ok = match response {
            Ok(response) if response.status() == 200 => {
                match response.into_body().collect().await {
                    Ok(body) => body.to_bytes().windows(15).any(|w| w == b"u42@example.com"),
                    Err(_) => false,
                }
            }
            _ => false,
        };
        if ok {
            latencies.push(started.elapsed().as_micros() as u64);
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

//! Load generator of the validation part of `cargo xtask bench-server`: CONCURRENCY callers
//! over 4 connections call `signup.v1.SignupService/Ping` (a request with five rules, all
//! passing) for SECONDS after a warm-up of a fifth of that. Prints
//! `calls_per_second p50_us p99_us errors`.
//!
//! usage: load-validate ADDR CONCURRENCY SECONDS

use std::time::{Duration, Instant};

use shop_api::signup::v1::signup_service_client::SignupServiceClient;
use shop_api::signup::v1::PingRequest;
use tonic::transport::{Channel, Endpoint};
use tonic::Request;

const CONNECTIONS: usize = 4;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, addr, concurrency, seconds] = args.as_slice() else {
        return Err("usage: load-validate ADDR CONCURRENCY SECONDS".into());
    };
    let concurrency: usize = concurrency.parse()?;
    let seconds: f64 = seconds.parse()?;
    let mut channels = Vec::new();
    for _ in 0..CONNECTIONS {
        let endpoint = Endpoint::from_shared(format!("http://{addr}"))?.tcp_nodelay(true);
        channels.push(endpoint.connect().await?);
    }
    let run = |duration: Duration| {
        (0..concurrency)
            .map(|worker| {
                let channel: Channel = channels[worker % CONNECTIONS].clone();
                tokio::spawn(caller(channel, duration))
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

async fn caller(channel: Channel, duration: Duration) -> (Vec<u64>, u64) {
    let mut client = SignupServiceClient::new(channel);
    let mut latencies = Vec::new();
    let mut errors = 0;
    let until = Instant::now() + duration;
    while Instant::now() < until {
        let started = Instant::now();
        let mut request = Request::new(PingRequest {
            id: "9b2f1c3e-7a4d-4e5f-8a6b-1c2d3e4f5a6b".into(),
            email: "ada@example.com".into(),
            count: 42,
            tags: vec!["math".into(), "engines".into()],
            note: "first program".into(),
        });
        request.set_timeout(Duration::from_secs(5));
        if client.ping(request).await.is_ok() {
            latencies.push(started.elapsed().as_micros() as u64);
        } else {
            errors += 1;
        }
    }
    (latencies, errors)
}

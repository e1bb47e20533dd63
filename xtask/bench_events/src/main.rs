//! The events row of `cargo xtask bench-server`: COUNT events, published COUNT/IN_FLIGHT at a
//! time (each waiting for JetStream's ack), from publish to handled, through the generated
//! runtime (`generated`) or a plain async-nats publisher and pull consumer (`plain`).
//! Prints `events/s p50_µs p99_µs`.
//!
//!     events-bench NATS_URL generated|plain COUNT IN_FLIGHT

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prost::Message;
use shop_api::orders::v1::OrderShipped;
use shop_api::runtime::events::{EventsConfig, EventsSetup, Publisher, Subscription};
use shop_api::runtime::BoxError;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;

const SUBJECT: &str = "orders.shipped";

fn now_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros()
}

/// An event stamped with its publish time, so the handler knows its latency.
fn stamped() -> OrderShipped {
    OrderShipped {
        order_id: now_micros().to_string(),
        user_id: "bench-user".into(),
    }
}

fn latency_of(event: &OrderShipped) -> Result<u64, BoxError> {
    let sent: u128 = event.order_id.parse()?;
    Ok(now_micros().saturating_sub(sent) as u64)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, mode, count, in_flight] = &args[..] else {
        return Err("usage: events-bench NATS_URL generated|plain COUNT IN_FLIGHT".into());
    };
    let count: usize = count.parse()?;
    let in_flight: usize = in_flight.parse()?;
    let (handled, mut latencies) = mpsc::unbounded_channel::<u64>();

    // The subscriber side, started before anything is published.
    let mut generated = None;
    let client = async_nats::connect(url.as_str()).await?;
    let jetstream = async_nats::jetstream::new(client);
    match mode.as_str() {
        "generated" => {
            let setup = EventsSetup::new("bench", &[]).subscribe(Subscription::new(
                move |event: OrderShipped, _metadata| {
                    let handled = handled.clone();
                    async move {
                        let _ = handled.send(latency_of(&event)?);
                        Ok(())
                    }
                },
            ));
            let config = EventsConfig {
                events_url: Some(url.clone()),
                nats_url: None,
                event_max_attempts: 5,
                event_retry_backoff: Duration::from_secs(1),
                event_concurrency: 64,
            };
            generated = Some(setup.start(&config).await?);
        }
        "plain" => {
            use async_nats::jetstream::{consumer, stream};
            let stream = jetstream
                .get_or_create_stream(stream::Config {
                    name: "EVENTS_orders_shipped".into(),
                    subjects: vec![SUBJECT.into()],
                    ..Default::default()
                })
                .await?;
            let consumer: consumer::PullConsumer = stream
                .get_or_create_consumer(
                    "plain",
                    consumer::pull::Config {
                        durable_name: Some("plain".into()),
                        ack_policy: consumer::AckPolicy::Explicit,
                        ..Default::default()
                    },
                )
                .await?;
            let mut messages = consumer.messages().await?;
            tokio::spawn(async move {
                while let Some(Ok(message)) = messages.next().await {
                    let Ok(event) = OrderShipped::decode(message.payload.clone()) else {
                        continue;
                    };
                    let _ = message.ack().await;
                    if let Ok(latency) = latency_of(&event) {
                        let _ = handled.send(latency);
                    }
                }
            });
        }
        other => return Err(format!("unknown mode {other}").into()),
    }

    let publisher = Publisher::connect(url).await?;
    let started = Instant::now();
    let mut publishers = tokio::task::JoinSet::new();
    for worker in 0..in_flight {
        let share = count / in_flight + usize::from(worker < count % in_flight);
        let publisher = publisher.clone();
        let jetstream = jetstream.clone();
        let plain = mode == "plain";
        publishers.spawn(async move {
            for _ in 0..share {
                if plain {
                    let payload = stamped().encode_to_vec();
                    jetstream.publish(SUBJECT, payload.into()).await?.await?;
                } else {
                    publisher.publish(&stamped()).await?;
                }
            }
            Ok::<(), BoxError>(())
        });
    }
    while let Some(result) = publishers.join_next().await {
        result??;
    }
    let mut samples = Vec::with_capacity(count);
    while samples.len() < count {
        match tokio::time::timeout(Duration::from_secs(30), latencies.recv()).await {
            Ok(Some(latency)) => samples.push(latency),
            _ => return Err(format!("only {} of {count} events were handled", samples.len()).into()),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!("{:.0} {} {}", count as f64 / elapsed, at(0.50), at(0.99));
    if let Some(running) = generated {
        running.shutdown(Duration::from_secs(5)).await;
    }
    Ok(())
}

//! The events rows of `cargo xtask bench-server`: COUNT events, published COUNT/IN_FLIGHT at a
//! time (each waiting for the broker's ack), from publish to handled, through the generated
//! runtime (`generated`) or the broker's plain client (`plain`: async-nats, rdkafka, lapin).
//! Both sides keep the same guarantees: a publish waits for the broker's ack (JetStream ack,
//! `acks=all`, publisher confirm), a durable consumer acknowledges (or stores the offset of)
//! an event once handled, and publisher and consumer have a connection each. Both send the
//! same bytes: the plain side follows the wire mapping too (content-type, proto-message, a
//! fresh traceparent and event-id per event), as a service in another language must; and both
//! run on the generated server's allocator (mimalloc).
//! The URL's scheme picks the broker. Prints `events/s p50_µs p99_µs`.
//!
//! `bare` is the plain client without the wire mapping's headers, to show what they cost.
//!
//!     events-bench URL generated|plain|bare COUNT IN_FLIGHT

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use prost::Message;
use shop_api::orders::v1::OrderShipped;
use shop_api::runtime::events::{EventsConfig, EventsSetup, Publisher, Subscription};
use shop_api::runtime::BoxError;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;

/// As the generated server (its main.rs): the runtime's numbers are the server's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SUBJECT: &str = "orders.shipped";
const MESSAGE: &str = "orders.v1.OrderShipped";

/// The wire mapping's headers, as a plain client that follows it writes them for each event.
fn wire_headers() -> [(&'static str, String); 4] {
    [
        ("content-type", "application/x-protobuf".to_owned()),
        ("proto-message", MESSAGE.to_owned()),
        (
            "traceparent",
            format!(
                "00-{:032x}-{:016x}-01",
                fastrand::u128(1..),
                fastrand::u64(1..)
            ),
        ),
        ("event-id", format!("{:032x}", fastrand::u128(..))),
    ]
}
const WARMUP: &str = "warmup";

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

/// What a handler reports: the warm-up event's arrival, or a stamped event's latency.
const WARMED: u64 = u64::MAX;

fn report(event: &OrderShipped, handled: &mpsc::UnboundedSender<u64>) {
    let latency = if event.order_id == WARMUP {
        Ok(WARMED)
    } else {
        latency_of(event)
    };
    if let Ok(latency) = latency {
        let _ = handled.send(latency);
    }
}

/// The plain client's publisher, one per broker; `bare` leaves out the wire mapping's headers
/// (what the headers themselves cost).
#[derive(Clone)]
struct PlainPublisher {
    client: Plain,
    bare: bool,
}

#[derive(Clone)]
enum Plain {
    Nats(async_nats::jetstream::Context),
    Kafka(rdkafka::producer::FutureProducer),
    Rabbitmq(lapin::Channel),
}

impl PlainPublisher {
    async fn publish(&self, payload: Vec<u8>) -> Result<(), BoxError> {
        match &self.client {
            Plain::Nats(jetstream) if self.bare => {
                jetstream.publish(SUBJECT, payload.into()).await?.await?;
            }
            Plain::Kafka(producer) if self.bare => {
                let record: rdkafka::producer::FutureRecord<'_, (), [u8]> =
                    rdkafka::producer::FutureRecord::to(SUBJECT).payload(payload.as_slice());
                producer
                    .send(record, Duration::from_secs(30))
                    .await
                    .map_err(|(error, _)| error)?;
            }
            Plain::Rabbitmq(channel) if self.bare => {
                channel
                    .basic_publish(
                        "events".into(),
                        SUBJECT.into(),
                        lapin::options::BasicPublishOptions::default(),
                        &payload,
                        lapin::BasicProperties::default().with_delivery_mode(2),
                    )
                    .await?
                    .await?;
            }
            Plain::Nats(jetstream) => {
                let mut headers = async_nats::HeaderMap::new();
                for (name, value) in wire_headers() {
                    headers.insert(name, value);
                }
                jetstream
                    .publish_with_headers(SUBJECT, headers, payload.into())
                    .await?
                    .await?;
            }
            Plain::Kafka(producer) => {
                let mut headers = rdkafka::message::OwnedHeaders::new_with_capacity(4);
                for (name, value) in &wire_headers() {
                    headers = headers.insert(rdkafka::message::Header {
                        key: name,
                        value: Some(value.as_bytes()),
                    });
                }
                let record: rdkafka::producer::FutureRecord<'_, (), [u8]> =
                    rdkafka::producer::FutureRecord::to(SUBJECT)
                        .payload(payload.as_slice())
                        .headers(headers);
                producer
                    .send(record, Duration::from_secs(30))
                    .await
                    .map_err(|(error, _)| error)?;
            }
            Plain::Rabbitmq(channel) => {
                let mut table = lapin::types::FieldTable::default();
                let [content_type, message, traceparent, event_id] = wire_headers();
                for (name, value) in [&content_type, &message, &traceparent, &event_id] {
                    table.insert(
                        (*name).into(),
                        lapin::types::AMQPValue::LongString(value.as_str().into()),
                    );
                }
                let properties = lapin::BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_content_type(content_type.1.as_str().into())
                    .with_message_id(event_id.1.as_str().into())
                    .with_headers(table);
                channel
                    .basic_publish(
                        "events".into(),
                        SUBJECT.into(),
                        lapin::options::BasicPublishOptions::default(),
                        &payload,
                        properties,
                    )
                    .await?
                    .await?;
            }
        }
        Ok(())
    }
}

/// Starts the plain consumer, sending each handled event's latency to `handled`.
async fn plain(url: &str, handled: mpsc::UnboundedSender<u64>) -> Result<Plain, BoxError> {
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        "nats" => {
            use async_nats::jetstream::{consumer, stream};
            // A connection for each side, as the runtime (and two services) have.
            let jetstream = async_nats::jetstream::new(async_nats::connect(url).await?);
            let consuming = async_nats::jetstream::new(async_nats::connect(url).await?);
            let stream = consuming
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
                    report(&event, &handled);
                }
            });
            Ok(Plain::Nats(jetstream))
        }
        "kafka" => {
            use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
            use rdkafka::client::DefaultClientContext;
            use rdkafka::consumer::{Consumer, StreamConsumer};
            use rdkafka::Message as _;
            let servers = url.trim_start_matches("kafka://");
            let mut config = rdkafka::ClientConfig::new();
            config.set("bootstrap.servers", servers);
            let admin: AdminClient<DefaultClientContext> = config.create()?;
            admin
                .create_topics(
                    &[NewTopic::new(SUBJECT, 6, TopicReplication::Fixed(-1))],
                    &AdminOptions::new(),
                )
                .await?;
            // Offsets committed only for handled events, as the runtime does.
            let consumer: StreamConsumer = config
                .clone()
                .set("group.id", "plain")
                .set("auto.offset.reset", "earliest")
                .set("enable.auto.offset.store", "false")
                .create()?;
            consumer.subscribe(&[SUBJECT])?;
            tokio::spawn(async move {
                loop {
                    let Ok(message) = consumer.recv().await else {
                        continue;
                    };
                    let Ok(event) = OrderShipped::decode(message.payload().unwrap_or_default())
                    else {
                        continue;
                    };
                    let _ = consumer.store_offset_from_message(&message);
                    report(&event, &handled);
                }
            });
            let producer = config.set("acks", "all").create()?;
            Ok(Plain::Kafka(producer))
        }
        "amqp" | "amqps" => {
            use lapin::options::*;
            use lapin::types::FieldTable;
            let connection =
                lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
            let channel = connection.create_channel().await?;
            channel
                .exchange_declare(
                    "events".into(),
                    lapin::ExchangeKind::Topic,
                    ExchangeDeclareOptions {
                        durable: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await?;
            let durable = QueueDeclareOptions {
                durable: true,
                ..Default::default()
            };
            channel
                .queue_declare("plain".into(), durable, FieldTable::default())
                .await?;
            channel
                .queue_bind(
                    "plain".into(),
                    "events".into(),
                    SUBJECT.into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            // A connection for each side, as the runtime (and two services) have.
            let consuming_connection =
                lapin::Connection::connect(url, lapin::ConnectionProperties::default()).await?;
            let consuming = consuming_connection.create_channel().await?;
            consuming
                .basic_qos(64, BasicQosOptions::default())
                .await?;
            let mut consumer = consuming
                .basic_consume(
                    "plain".into(),
                    "plain".into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            tokio::spawn(async move {
                let _connections = (connection, consuming_connection);
                while let Some(Ok(delivery)) = consumer.next().await {
                    let Ok(event) = OrderShipped::decode(delivery.data.as_slice()) else {
                        continue;
                    };
                    let _ = delivery.ack(BasicAckOptions::default()).await;
                    report(&event, &handled);
                }
            });
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            Ok(Plain::Rabbitmq(channel))
        }
        other => Err(format!("unknown broker {other}").into()),
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, mode, count, in_flight] = &args[..] else {
        return Err("usage: events-bench URL generated|plain|bare COUNT IN_FLIGHT".into());
    };
    let count: usize = count.parse()?;
    let in_flight: usize = in_flight.parse()?;
    let (handled, mut latencies) = mpsc::unbounded_channel::<u64>();

    // The subscriber side, started before anything is published.
    let mut generated = None;
    let mut plain_publisher = None;
    let mut publisher = None;
    match mode.as_str() {
        "generated" => {
            let setup = EventsSetup::new("bench", &[]).subscribe(Subscription::new(
                move |event: OrderShipped, _metadata| {
                    let handled = handled.clone();
                    async move {
                        report(&event, &handled);
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
                event_partitions: 6,
                event_session_timeout: Duration::from_secs(10),
            };
            generated = Some(setup.start(&config).await?);
            publisher = Some(Publisher::connect(url).await?);
        }
        "plain" | "bare" => {
            plain_publisher = Some(PlainPublisher {
                client: plain(url, handled).await?,
                bare: mode == "bare",
            })
        }
        other => return Err(format!("unknown mode {other}").into()),
    }
    // Both sides start the clock once their consumer handled a warm-up event: subscribers
    // connect (and Kafka groups settle) in the background, and RabbitMQ refuses events no
    // queue is bound for yet.
    let warmup = OrderShipped {
        order_id: WARMUP.into(),
        user_id: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let published = match (&publisher, &plain_publisher) {
            (Some(publisher), _) => publisher.publish(&warmup).await,
            (None, Some(plain)) => plain.publish(warmup.encode_to_vec()).await,
            (None, None) => Err("no publisher".into()),
        };
        match published {
            Ok(()) => break,
            Err(error) if Instant::now() > deadline => return Err(error),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let warmed = deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(warmed, latencies.recv()).await {
        Ok(Some(WARMED)) => {}
        _ => return Err("the warm-up event was not handled".into()),
    }

    let started = Instant::now();
    let mut publishers = tokio::task::JoinSet::new();
    for worker in 0..in_flight {
        let share = count / in_flight + usize::from(worker < count % in_flight);
        let publisher = publisher.clone();
        let plain = plain_publisher.clone();
        publishers.spawn(async move {
            for _ in 0..share {
                match (&publisher, &plain) {
                    (Some(publisher), _) => publisher.publish(&stamped()).await?,
                    (None, Some(plain)) => plain.publish(stamped().encode_to_vec()).await?,
                    (None, None) => return Err::<(), BoxError>("no publisher".into()),
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
    if let Some(publisher) = publisher {
        publisher.close().await;
    }
    if let Some(running) = generated {
        running.shutdown(Duration::from_secs(5)).await;
    }
    Ok(())
}

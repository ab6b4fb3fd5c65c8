"""One MQTT 5 connection on a plain socket, its packets encoded and decoded by ``mqtt5``.

paho-mqtt decodes every PUBLISH in Python (properties included) and writes one PUBACK per
message; that caps a worker near 11,000 messages/s here. ``mqtt5`` is a sans-I/O MQTT 5 codec in
Rust: this module only frames the byte stream (fixed header + remaining length), hands whole
packets to ``mqtt5.read`` and writes many PUBACKs or PUBLISHes in one ``sendall``.

A broker that only speaks 3.1.1 (the embedded amqtt) answers CONNECT with a 3.1.1 CONNACK
"unacceptable protocol version" or hangs up: :class:`ProtocolRefused`, so the caller can fall
back to paho's 3.1.1 client.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from typing import Any

import mqtt5

from envpetition.mqtt import parse_mqtt_url

PUBACK = struct.Struct(">BBH")  # PUBACK, remaining length 2, packet id: reason "success", no properties
V311_REFUSED = b"\x20\x02\x00\x01"  # a 3.1.1 CONNACK: unacceptable protocol version
PINGREQ = mqtt5.PingReqPacket().write()


class ProtocolRefused(ConnectionError):
    """The broker does not speak MQTT 5."""


class BrokerRefused(ConnectionError):
    """The broker answered CONNECT with a failure (bad credentials, not authorised, …)."""


# Brokers found to speak only 3.1.1 in this process: asked once (amqtt logs a warning per probe).
_V311_ONLY: set[tuple[str, int]] = set()


def known_v311_only(url: str) -> bool:
    address = parse_mqtt_url(url)
    return (address.host, address.port) in _V311_ONLY


def decode(buffer: bytearray) -> tuple[list[Any], int]:
    r"""The whole packets at the start of ``buffer`` and how many bytes they take.

    >>> packets, used = decode(bytearray(b"\xd0\x00\x30\x05\x00"))  # PINGRESP, then part of a PUBLISH
    >>> [type(p).__name__ for p in packets], used
    (['PingRespPacket'], 2)
    """
    packets: list[Any] = []
    offset = 0
    with memoryview(buffer) as view:
        try:
            while offset < len(buffer):
                packet, size = mqtt5.read(view[offset:])
                packets.append(packet)
                offset += size
        except IndexError:
            pass  # "not enough bytes": the rest of the packet is still on its way
        except ValueError as exc:
            raise ConnectionError(f"malformed MQTT stream: {exc}") from None
    return packets, offset


class Mqtt5Link:
    """A connected MQTT 5 session: ``open()``, then ``read()`` packets and ``send()`` bytes.

    ``send`` may be called from another thread than ``read`` (a writer thread acknowledging).
    """

    def __init__(self, url: str, client_id: str, *, clean_start: bool = True, session_expiry_s: int = 0,
                 receive_maximum: int = 65535, keepalive: int = 30, timeout: float = 10.0) -> None:
        self.address = parse_mqtt_url(url)
        self.client_id = client_id
        self.clean_start = clean_start
        self.session_expiry_s = session_expiry_s
        self.receive_maximum = receive_maximum
        self.keepalive = keepalive
        self.timeout = timeout
        self.connack: Any = None
        self._sock: socket.socket | None = None
        self._buffer = bytearray()
        self._pending: list[Any] = []
        self._send_lock = threading.Lock()
        self.session = 0  # counts connections: a packet id means something only in its own
        self.last_send = 0.0
        self.last_receive = 0.0

    def open(self) -> Any:
        """Connect and return the CONNACK; raise ProtocolRefused, BrokerRefused or OSError."""
        try:
            return self._open()
        except ProtocolRefused:
            _V311_ONLY.add((self.address.host, self.address.port))
            raise

    def _open(self) -> Any:
        sock = socket.create_connection((self.address.host, self.address.port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.address.tls:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.address.host)
        with self._send_lock:
            self._sock = sock
            self.session += 1
        self._buffer.clear()
        password = self.address.password.encode() if self.address.password is not None else None
        self.send(mqtt5.ConnectPacket(
            self.client_id, username=self.address.username, password=password, clean_start=self.clean_start,
            keep_alive=self.keepalive, session_expiry_interval=self.session_expiry_s,
            receive_max=self.receive_maximum,
        ).write())
        try:
            while not (packets := self._read_once()):
                pass
        except (ConnectionError, TimeoutError) as exc:
            self.close(graceful=False)
            if self._buffer[:4] == V311_REFUSED:
                raise ProtocolRefused("the broker speaks MQTT 3.1.1 only") from None
            raise ProtocolRefused(f"no CONNACK for an MQTT 5 CONNECT ({exc or 'timed out'})") from None
        except OSError:
            self.close(graceful=False)
            raise
        connack = packets[0]
        # A resumed session's unacknowledged messages follow the CONNACK at once, often in the same read.
        self._pending = packets[1:]
        if not isinstance(connack, mqtt5.ConnAckPacket):
            self.close(graceful=False)
            raise ConnectionError(f"expected CONNACK, got {type(connack).__name__}")
        if connack.reason_code != mqtt5.ConnAckReasonCode.SUCCESS:
            self.close(graceful=False)
            if connack.reason_code == mqtt5.ConnAckReasonCode.UNSUPPORTED_PROTOCOL_VERSION:
                raise ProtocolRefused("the broker refused MQTT 5")
            raise BrokerRefused(f"broker refused the connection: {connack.reason_code.name}")
        if connack.server_keep_alive is not None:
            self.keepalive = connack.server_keep_alive
        self.connack = connack
        sock.settimeout(max(1.0, self.keepalive / 2) if self.keepalive else None)
        return connack

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def send(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            raise ConnectionError("not connected")
        with self._send_lock:
            sock.sendall(data)
        self.last_send = time.monotonic()

    def send_pubacks(self, packet_ids: list[int], session: int) -> bool:
        """Acknowledge in one write; False (nothing sent) when ``session`` is no longer the open one.

        After a reconnect the broker redelivers what was not acknowledged, possibly reusing those
        packet ids for other messages, so an old connection's ids must never be acknowledged.
        """
        data = b"".join([PUBACK.pack(0x40, 2, pid) for pid in packet_ids])
        with self._send_lock:
            sock = self._sock
            if sock is None or session != self.session:
                return False
            if data:
                sock.sendall(data)
        self.last_send = time.monotonic()
        return True

    def read(self) -> list[Any]:
        """Block until at least one packet arrives (sending PINGREQ when idle); return all that did."""
        if self._pending:
            packets, self._pending = self._pending, []
            return packets
        while True:
            try:
                packets = self._read_once()
            except TimeoutError:
                packets = []
            if packets:
                return packets
            self._keep_alive()

    def _keep_alive(self) -> None:
        if not self.keepalive:
            return
        now = time.monotonic()
        if now - self.last_receive > 1.5 * self.keepalive:
            raise ConnectionError(f"nothing from the broker for {now - self.last_receive:.0f} s")
        if now - self.last_send >= self.keepalive / 2:
            self.send(PINGREQ)

    def _read_once(self) -> list[Any]:
        sock = self._sock
        if sock is None:
            raise ConnectionError("not connected")
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("the broker closed the connection")
        self.last_receive = time.monotonic()
        self._buffer += chunk
        packets, used = decode(self._buffer)
        del self._buffer[:used]
        if self.keepalive and time.monotonic() - self.last_send >= self.keepalive / 2:
            self.send(PINGREQ)
        return packets

    def close(self, *, graceful: bool = True) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            if graceful:
                with self._send_lock:
                    sock.sendall(mqtt5.DisconnectPacket().write())
            sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv
        except OSError:
            pass  # already gone
        finally:
            sock.close()

"""Publishers that count: QoS 1 with PUBACKs awaited (a fire-and-forget publisher loses messages).

``Publisher(url)`` speaks MQTT 5 through ``mqtt5`` (:class:`Mqtt5Publisher`) when the broker does,
and paho's 3.1.1 client (:class:`PahoPublisher`) otherwise (the embedded amqtt). Both publish
with at most ``max_inflight`` messages unacknowledged; ``flush`` waits for every PUBACK and raises
if one did not come or the broker refused a message. Both reconnect after a lost connection and
publish again what was not acknowledged (paho on its own; the MQTT 5 publisher for up to
:data:`RECONNECT_FOR_S`, then it raises with the unacknowledged messages counted).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable
from types import TracebackType
from typing import Any

import mqtt5
import paho.mqtt.client as mqtt

from envpetition.mqtt import new_client
from monitoring.mqtt5_link import Mqtt5Link, ProtocolRefused, known_v311_only

log = logging.getLogger(__name__)

Message = tuple[str, bytes | str]
CHUNK = 512  # messages encoded and written per sendall in publish_many
RECONNECT_FOR_S = 60.0


def Publisher(mqtt_url: str, *, client_id: str = "", max_inflight: int = 1000) -> Mqtt5Publisher | PahoPublisher:  # noqa: N802 - reads as the class it was
    """A connected publisher: MQTT 5 when the broker speaks it, else 3.1.1."""
    if not known_v311_only(mqtt_url):
        try:
            return Mqtt5Publisher(mqtt_url, client_id=client_id, max_inflight=max_inflight)
        except ProtocolRefused:
            pass
    return PahoPublisher(mqtt_url, client_id=client_id, max_inflight=min(max_inflight, 30))


class _Counting:
    published = 0

    def publish(self, topic: str, payload: bytes | str) -> None:
        raise NotImplementedError

    def flush(self, timeout: float = 120) -> None:
        raise NotImplementedError

    def publish_many(self, messages: Iterable[Message]) -> None:
        """Publish without waiting for the acknowledgements (beyond the window)."""
        for topic, payload in messages:
            self.publish(topic, payload)

    def publish_all(self, messages: Iterable[Message]) -> int:
        """Publish and wait for every acknowledgement; return how many were published in all."""
        self.publish_many(messages)
        self.flush()
        return self.published

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Any:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class Mqtt5Publisher(_Counting):
    """MQTT 5, a reader thread taking the PUBACKs; ``publish_all`` writes many messages per syscall."""

    def __init__(self, mqtt_url: str, *, client_id: str = "", max_inflight: int = 1000) -> None:
        self.link = Mqtt5Link(mqtt_url, client_id or f"envp-pub-{uuid.uuid4().hex[:12]}", clean_start=True)
        connack = self.link.open()
        self.window = max(1, min(max_inflight, connack.receive_max, 65535))
        self._inflight: dict[int, bytes] = {}  # packet id -> the PUBLISH as sent, to send again
        self._ids = itertools.cycle(range(1, 65536))
        self._changed = threading.Condition()
        self._failure: str | None = None
        self._refused: list[str] = []
        self._closing = threading.Event()
        self._reader = threading.Thread(target=self._read_acks, name="mqtt5-publisher", daemon=True)
        self._reader.start()

    def _read_acks(self) -> None:
        while True:
            try:
                packets = self.link.read()
            except (OSError, ConnectionError) as exc:
                if not self._closing.is_set() and self._reconnect(exc):
                    continue
                with self._changed:
                    if not self._closing.is_set():
                        self._failure = f"broker connection lost ({exc}) and not back within {RECONNECT_FOR_S:.0f} s"
                    self._changed.notify_all()
                return
            with self._changed:
                for packet in packets:
                    if isinstance(packet, mqtt5.PubAckPacket):
                        self._inflight.pop(packet.packet_id, None)
                        if int(packet.reason_code) >= 0x80:
                            self._refused.append(packet.reason_code.name)
                self._changed.notify_all()

    def _reconnect(self, exc: BaseException) -> bool:
        """Connect again and send what was not acknowledged (flagged DUP); False when it gave up."""
        self.link.close(graceful=False)
        log.warning("publisher lost the broker (%s); reconnecting", exc)
        deadline, delay = time.monotonic() + RECONNECT_FOR_S, 0.5
        while not self._closing.wait(delay) and time.monotonic() < deadline:
            delay = min(delay * 2, 5.0)
            try:
                self.link.open()
                with self._changed:
                    unacknowledged = list(self._inflight.values())
                self.link.send(b"".join(bytes([packet[0] | 0x08]) + packet[1:] for packet in unacknowledged if packet))
            except (OSError, ConnectionError) as again:
                self.link.close(graceful=False)
                log.warning("broker still unavailable (%s)", again)
                continue
            log.info("publisher reconnected; %d unacknowledged messages sent again", len(unacknowledged))
            return True
        return False

    def _take_ids(self, wanted: int, deadline: float) -> list[int]:
        """Up to ``wanted`` free packet ids, waiting for the window to open."""
        with self._changed:
            while len(self._inflight) >= self.window:
                self._raise_if_failed()
                if not self._changed.wait(max(0.0, deadline - time.monotonic())) and time.monotonic() > deadline:
                    raise TimeoutError(f"broker did not acknowledge {len(self._inflight)} messages in time")
            self._raise_if_failed()
            ids: list[int] = []
            while len(ids) < min(wanted, self.window - len(self._inflight)):
                pid = next(self._ids)
                if pid not in self._inflight:
                    self._inflight[pid] = b""
                    ids.append(pid)
            return ids

    def _raise_if_failed(self) -> None:
        if self._failure:
            raise ConnectionError(f"{self._failure}; {len(self._inflight)} messages unacknowledged")
        if self._refused:
            raise ConnectionError(f"broker refused {len(self._refused)} messages: {self._refused[0]}")

    def publish(self, topic: str, payload: bytes | str) -> None:
        self._send([(topic, payload)])

    def publish_many(self, messages: Iterable[Message]) -> None:
        iterator = iter(messages)
        while chunk := list(itertools.islice(iterator, CHUNK)):
            self._send(chunk)

    def _send(self, messages: list[Message]) -> None:
        deadline = time.monotonic() + 120
        while messages:
            ids = self._take_ids(len(messages), deadline)
            packets = [
                mqtt5.PublishPacket(topic, payload.encode() if isinstance(payload, str) else payload,
                                    qos=mqtt5.QoS.AT_LEAST_ONCE, packet_id=pid).write()
                for pid, (topic, payload) in zip(ids, messages, strict=False)
            ]
            with self._changed:
                self._inflight.update(zip(ids, packets, strict=True))
            # A send on a lost connection is no loss: the reader reconnects and sends the inflight again.
            with contextlib.suppress(OSError):
                self.link.send(b"".join(packets))
            self.published += len(ids)
            messages = messages[len(ids):]

    def flush(self, timeout: float = 120) -> None:
        """Wait until the broker acknowledged every message published so far."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._inflight:
                self._raise_if_failed()
                if not self._changed.wait(max(0.0, deadline - time.monotonic())) and time.monotonic() > deadline:
                    raise TimeoutError(f"broker did not acknowledge {len(self._inflight)} messages within {timeout} s")
            self._raise_if_failed()

    def close(self) -> None:
        try:
            if not self._failure:
                self.flush()
        finally:
            self._closing.set()
            self.link.close()
            self._reader.join(5)


def _wait_acked(info: mqtt.MQTTMessageInfo, timeout: float) -> bool:
    """Wait for one message's PUBACK; False on timeout."""
    # A QoS 1 message published while the connection was down (rc NO_CONN) stays queued in paho and
    # goes out again after the reconnect, but wait_for_publish raises for that rc instead of waiting.
    if info.rc == mqtt.MQTT_ERR_NO_CONN:
        info.rc = mqtt.MQTT_ERR_AGAIN
    info.wait_for_publish(timeout)
    return info.is_published()


class PahoPublisher(_Counting):
    """MQTT 3.1.1 through paho, for brokers without MQTT 5."""

    def __init__(self, mqtt_url: str, *, client_id: str = "", max_inflight: int = 30) -> None:
        self.client, address = new_client(mqtt_url, client_id)
        self.client.max_inflight_messages_set(max_inflight)
        self.client.max_queued_messages_set(0)
        connected = threading.Event()
        self.client.on_connect = lambda *args: connected.set()
        self.client.connect(address.host, address.port, keepalive=30)
        self.client.loop_start()
        if not connected.wait(15):
            raise ConnectionError(f"no CONNACK from {mqtt_url} within 15 s")
        self.window = max_inflight
        self._pending: deque[mqtt.MQTTMessageInfo] = deque()

    def publish(self, topic: str, payload: bytes | str) -> None:
        # Keep our own window of unacknowledged messages: paho's own queue beyond max_inflight is
        # rescanned on every PUBACK, which makes a long backlog quadratic.
        while len(self._pending) >= self.window:
            oldest = self._pending.popleft()
            if not _wait_acked(oldest, 120):
                raise TimeoutError(f"broker did not acknowledge message {oldest.mid} within 120 s")
        self._pending.append(self.client.publish(topic, payload, qos=1))
        self.published += 1

    def flush(self, timeout: float = 120) -> None:
        """Wait until the broker acknowledged every message published so far."""
        deadline = time.monotonic() + timeout
        for info in self._pending:
            if not _wait_acked(info, max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"broker did not acknowledge message {info.mid} within {timeout} s")
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()

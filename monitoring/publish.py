"""A publisher that counts: QoS 1 with PUBACKs awaited (a fire-and-forget publisher loses messages)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from types import TracebackType

import paho.mqtt.client as mqtt

from envpetition.mqtt import new_client


class Publisher:
    """Publish QoS 1 messages with at most ``max_inflight`` unacknowledged; ``flush`` waits for all."""

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
        self.published = 0

    def publish(self, topic: str, payload: bytes | str) -> mqtt.MQTTMessageInfo:
        # Keep our own window of unacknowledged messages: paho's own queue beyond max_inflight is
        # rescanned on every PUBACK, which makes a long backlog quadratic.
        while len(self._pending) >= self.window:
            oldest = self._pending.popleft()
            oldest.wait_for_publish(120)
            if not oldest.is_published():
                raise TimeoutError(f"broker did not acknowledge message {oldest.mid} within 120 s")
        info = self.client.publish(topic, payload, qos=1)
        self._pending.append(info)
        self.published += 1
        return info

    def publish_all(self, messages: Iterable[tuple[str, bytes | str]]) -> int:
        for topic, payload in messages:
            self.publish(topic, payload)
        self.flush()
        return self.published

    def flush(self, timeout: float = 120) -> None:
        """Wait until the broker acknowledged every message published so far."""
        deadline = time.monotonic() + timeout
        for info in self._pending:
            info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            if not info.is_published():
                raise TimeoutError(f"broker did not acknowledge message {info.mid} within {timeout} s")
        self._pending.clear()

    def close(self) -> None:
        self.flush()
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

"""The dispatcher worker: sends due orders, listens for team acknowledgements, drains the outbox.

Run it in one or several processes (``envpetition dispatch run``); every step is SKIP LOCKED.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import paho.mqtt.client as mqtt

from dispatch import orders, outbox
from envpetition.db import connect
from envpetition.mqtt import connect as mqtt_connect

log = logging.getLogger(__name__)


class AckListener:
    """Subscribes to ``<prefix>/teams/+/acks`` (QoS 1) and records each acknowledgement."""

    def __init__(self, database_url: str, mqtt_url: str, topic_prefix: str, now: Callable[[], datetime]):
        self._conn = connect(database_url, autocommit=True)
        self._lock = threading.Lock()
        self._now = now
        self.topic = orders.ack_topic(topic_prefix)
        self.subscribed = threading.Event()
        self.client = mqtt_connect(mqtt_url)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.subscribe(self.topic, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self._lock:
            try:
                orders.handle_ack_message(self._conn, message.topic, bytes(message.payload), now=self._now())
            except Exception:  # never kill the network thread; the message is logged by id only
                log.exception("could not record acknowledgement on %s", message.topic)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
        self._conn.close()


def run_once(conn: Any, client: mqtt.Client, gateway: outbox.Gateway, *, now: datetime,
             topic_prefix: str) -> dict[str, Any]:
    """One round: publish due orders and deliver due notices."""
    return {"orders": orders.publish_due_orders(conn, client, now=now, topic_prefix=topic_prefix),
            "outbox": outbox.deliver(conn, gateway, now=now)}

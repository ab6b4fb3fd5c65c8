"""The ingest worker's MQTT side: receive QoS 1 messages, acknowledge them only when told.

Two receivers with one interface (``start``, ``ack``, ``stop``, ``connected``):

- :class:`Mqtt5Receiver`, for brokers that speak MQTT 5 (Mosquitto): its own socket thread and the
  ``mqtt5`` codec, a persistent session with a fixed client id and a Receive Maximum, so the broker
  never has more than that many unacknowledged messages out to the worker (back-pressure), and
  PUBACKs for a whole committed batch in one write.
- :class:`PahoReceiver`, paho-mqtt's MQTT 3.1.1 client with manual acks, for brokers that speak
  only 3.1.1 (the embedded amqtt). Mosquitto then caps the messages in flight at its
  ``max_inflight_messages``.

Messages are handed over in chunks, as they arrived, to ``deliver``, which may block (a full queue
stops the reading: back-pressure). Each message remembers the connection it came on; a message of
an earlier connection is never acknowledged (the broker redelivers it, the primary key absorbs it).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import mqtt5
import paho.mqtt.client as mqtt

from envpetition.mqtt import parse_mqtt_url
from monitoring.mqtt5_link import Mqtt5Link, ProtocolRefused, known_v311_only
from monitoring.worker_config import Incoming, WorkerConfig, WorkerStats

log = logging.getLogger(__name__)

Deliver = Callable[[list[Incoming]], None]


class Receiver(Protocol):
    protocol: str
    connected: threading.Event

    def start(self) -> None: ...
    def ack(self, items: list[Incoming]) -> None: ...
    def stop(self) -> None: ...


def open_receiver(url: str, config: WorkerConfig, stats: WorkerStats, deliver: Deliver) -> Receiver:
    """MQTT 5 when the broker speaks it (or ``config.protocol`` says so), else 3.1.1; started."""
    receiver: Receiver | None = None
    if config.protocol == "5" or (config.protocol == "auto" and not known_v311_only(url)):
        receiver = Mqtt5Receiver(url, config, stats, deliver)
        try:
            receiver.open()
        except ProtocolRefused:
            if config.protocol == "5":
                raise
            log.info("broker does not speak MQTT 5; using 3.1.1")
            receiver = None
        except OSError as exc:  # the receiver's thread keeps trying
            log.warning("broker %s not reachable yet (%s); retrying", url, exc)
    if receiver is None:
        receiver = PahoReceiver(url, config, stats, deliver)
    receiver.start()
    return receiver


class Mqtt5Receiver:
    protocol = "5"

    def __init__(self, url: str, config: WorkerConfig, stats: WorkerStats, deliver: Deliver) -> None:
        self.url = url
        self.config = config
        self.stats = stats
        self.deliver = deliver
        self.link = Mqtt5Link(url, config.client_id, clean_start=False, session_expiry_s=config.session_expiry_s,
                              receive_maximum=config.receive_maximum, keepalive=config.keepalive)
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-mqtt5", daemon=True)

    def open(self) -> None:
        self.link.open()
        topic_filter = mqtt5.TopicFilter(self.config.subscription, max_qos=mqtt5.QoS.AT_LEAST_ONCE)
        self.link.send(mqtt5.SubscribePacket(1, [topic_filter]).write())

    def start(self) -> None:
        self.stats.protocol = self.protocol
        self._thread.start()

    def _run(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            if not self.link.is_open:
                try:
                    self.open()
                    delay = 1.0
                except (OSError, ConnectionError) as exc:
                    hint = " (start the worker with --protocol 3.1.1)" if isinstance(exc, ProtocolRefused) else ""
                    log.warning("cannot connect to %s: %s%s; retrying in %.0f s", self.url, exc, hint, delay)
                    self._stopping.wait(delay)
                    delay = min(delay * 2, 10.0)
                    continue
            try:
                packets = self.link.read()
            except (OSError, ConnectionError) as exc:
                self.link.close(graceful=False)
                if self.connected.is_set() and not self._stopping.is_set():
                    log.warning("broker connection lost (%s); reconnecting", exc)
                self.connected.clear()
                continue
            try:
                self._handle(packets)
            except Exception:  # noqa: BLE001 - the receiving thread must never die
                log.exception("unexpected error handling packets; reconnecting (unacknowledged messages come again)")
                self.link.close(graceful=False)
                self.connected.clear()

    def _handle(self, packets: list[Any]) -> None:
        session, received = self.link.session, time.time()
        chunk = []
        for packet in packets:
            if type(packet) is mqtt5.PublishPacket:
                pid = packet.packet_id
                chunk.append(Incoming(pid or 0, 1 if pid else 0, packet.topic, packet.payload, received, session))
            elif isinstance(packet, mqtt5.SubAckPacket):
                refused = [code.name for code in packet.reason_codes if int(code) >= 0x80]
                if refused:
                    log.error("broker refused the subscription %s: %s", self.config.subscription, refused)
                    continue
                self.stats.connects += 1
                self.connected.set()
                log.info("connected to %s as %s (MQTT 5), subscribed %s", self.url, self.config.client_id,
                         self.config.subscription)
            elif isinstance(packet, mqtt5.DisconnectPacket):
                log.warning("broker disconnected the worker: %s", packet.reason_code.name)
                self.link.close(graceful=False)
                self.connected.clear()
        if chunk and not self._stopping.is_set():
            self.deliver(chunk)

    def ack(self, items: list[Incoming]) -> None:
        session = self.link.session
        # A lost connection loses nothing: the broker redelivers, the primary key absorbs the duplicates.
        with contextlib.suppress(OSError):
            self.link.send_pubacks([item.mid for item in items if item.qos and item.session == session], session)

    def stop(self) -> None:
        self._stopping.set()
        self.link.close()
        self._thread.join(5)
        self.connected.clear()


class PahoReceiver:
    protocol = "3.1.1"

    def __init__(self, url: str, config: WorkerConfig, stats: WorkerStats, deliver: Deliver) -> None:
        self.url = url
        self.config = config
        self.stats = stats
        self.deliver = deliver
        self.connected = threading.Event()
        self._stopping = threading.Event()
        self._session = 0
        address = parse_mqtt_url(url)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=config.client_id, protocol=mqtt.MQTTv311,
                             clean_session=False, manual_ack=True)
        if address.username:
            client.username_pw_set(address.username, address.password)
        if address.tls:
            client.tls_set()
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=1, max_delay=10)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        self.client = client
        self.address = address

    def start(self) -> None:
        self.stats.protocol = self.protocol
        self.client.connect_async(self.address.host, self.address.port, keepalive=self.config.keepalive)
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused connection: %s", reason)
            return
        self._session += 1
        self.stats.connects += 1
        client.subscribe(self.config.subscription, qos=1)
        self.connected.set()
        log.info("connected to %s as %s (MQTT 3.1.1), subscribed %s", self.url, self.config.client_id,
                 self.config.subscription)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        was_connected = self.connected.is_set()
        self.connected.clear()
        if was_connected and not self._stopping.is_set():
            log.warning("broker connection lost (%s); paho reconnects", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        if not self._stopping.is_set():
            self.deliver([Incoming(msg.mid, msg.qos, msg.topic, bytes(msg.payload), time.time(), self._session)])

    def ack(self, items: list[Incoming]) -> None:
        for item in items:
            if item.qos and item.session == self._session:
                self.client.ack(item.mid, item.qos)

    def stop(self) -> None:
        self._stopping.set()
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()


"""The MQTT 5 connection against real brokers: redelivery on resume, old acks refused, 3.1.1 fallback."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import mqtt5
import pytest

from envpetition.servers import EmbeddedBroker
from monitoring.mqtt5_link import Mqtt5Link, ProtocolRefused
from monitoring.publish import Mqtt5Publisher, PahoPublisher, Publisher
from tests.monitoring.conftest import REAL_BROKER

needs_mqtt5 = pytest.mark.skipif(not REAL_BROKER, reason="needs an MQTT 5 broker (MQTT_URL: Mosquitto)")


@pytest.fixture
def amqtt_url() -> Iterator[str]:
    broker = EmbeddedBroker().start()
    yield broker.url
    broker.stop()


def subscribe(link: Mqtt5Link, pattern: str) -> Mqtt5Link:
    link.open()
    link.send(mqtt5.SubscribePacket(1, [mqtt5.TopicFilter(pattern, max_qos=mqtt5.QoS.AT_LEAST_ONCE)]).write())
    return link


def publishes(link: Mqtt5Link, wanted: int, timeout: float = 10) -> list[mqtt5.PublishPacket]:
    got: list[mqtt5.PublishPacket] = []
    deadline = time.monotonic() + timeout
    while len(got) < wanted and time.monotonic() < deadline:
        got += [p for p in link.read() if isinstance(p, mqtt5.PublishPacket)]
    return got


@needs_mqtt5
def test_unacknowledged_messages_come_again_after_a_dropped_connection(mqtt_url: str, topic_prefix: str) -> None:
    client_id = f"t-link-{uuid.uuid4().hex[:8]}"
    link = subscribe(Mqtt5Link(mqtt_url, client_id, clean_start=False, session_expiry_s=60, receive_maximum=100),
                     f"{topic_prefix}/#")
    try:
        assert isinstance(link.read()[0], mqtt5.SubAckPacket)
        with Publisher(mqtt_url) as pub:
            pub.publish_all((f"{topic_prefix}/x", str(i)) for i in range(60))
        first = publishes(link, 60)
        assert [p.payload for p in first] == [str(i).encode() for i in range(60)]
        old_session = link.session
        link.close(graceful=False)  # gone without acknowledging anything
        subscribe(link, f"{topic_prefix}/#")
        # The broker resends right behind the CONNACK, often in the same read: none may be lost.
        again = publishes(link, 60)
        assert sorted(int(p.payload) for p in again) == list(range(60))
        assert all(p.duplicate for p in again)
        # Packet ids of the dropped connection are never acknowledged on the new one.
        assert link.send_pubacks([p.packet_id for p in first if p.packet_id], old_session) is False
        assert link.send_pubacks([p.packet_id for p in again if p.packet_id], link.session) is True
    finally:
        link.close()
        cleanup = Mqtt5Link(mqtt_url, client_id, clean_start=True)  # leave no session behind
        cleanup.open()
        cleanup.close()


@needs_mqtt5
def test_publisher_counts_acknowledgements_and_speaks_mqtt5(mqtt_url: str, topic_prefix: str) -> None:
    with Publisher(mqtt_url, max_inflight=7) as pub:
        assert isinstance(pub, Mqtt5Publisher)
        assert pub.publish_all((f"{topic_prefix}/y", b"%d" % i) for i in range(1500)) == 1500
        assert not pub._inflight


def test_a_broker_without_mqtt5_is_recognised_and_gets_3_1_1(amqtt_url: str, topic_prefix: str) -> None:
    with pytest.raises(ProtocolRefused):
        Mqtt5Link(amqtt_url, "t-refused").open()
    with Publisher(amqtt_url) as pub:
        assert isinstance(pub, PahoPublisher)
        assert pub.publish_all([(f"{topic_prefix}/z", b"1")]) == 1


def test_unreachable_broker_is_an_os_error() -> None:
    from envpetition.servers import free_port

    with pytest.raises(OSError):
        Mqtt5Link(f"mqtt://127.0.0.1:{free_port()}", "t-nobody", timeout=2).open()

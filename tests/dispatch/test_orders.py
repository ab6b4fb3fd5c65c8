"""Dispatch orders over the real broker: QoS 1 publish, team acknowledgement, re-send with back-off."""

from __future__ import annotations

import json
import queue
import time
from datetime import timedelta

import pytest

from dispatch import orders, outbox
from dispatch.cases import NewCase, open_case
from dispatch.dispatcher import AckListener, run_once
from envpetition.db import connect
from envpetition.mqtt import connect as mqtt_connect
from envpetition.runtime import local_now
from tests.dispatch.conftest import at, make_city

T0 = at("2026-10-09 09:00")


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def committed_case(fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as conn, conn.transaction():
        city = make_city(conn)
        case_id = open_case(conn, NewCase(title="夜间噪声", opened_at=T0, lon=117.82, lat=30.92),
                            actor="intake-1", role="intake", now=T0)
    return case_id, city


def test_order_round_trip_with_team_acknowledgement(fresh_database_url, mqtt_url, topic_prefix, committed_case):
    case_id, city = committed_case
    team = city["west_team"]
    received: queue.Queue = queue.Queue()
    team_client = mqtt_connect(mqtt_url)
    subscribed = queue.Queue()
    team_client.on_subscribe = lambda *a: subscribed.put(True)
    team_client.on_message = lambda c, u, m: received.put((m.topic, json.loads(m.payload)))
    team_client.subscribe(orders.team_topic(team, None, topic_prefix), qos=1)
    subscribed.get(timeout=10)
    listener = AckListener(fresh_database_url, mqtt_url, topic_prefix, local_now)
    assert listener.subscribed.wait(10)
    publisher = mqtt_connect(mqtt_url)
    try:
        with connect(fresh_database_url, autocommit=True) as conn:
            result = run_once(conn, publisher, outbox.RecordingGateway(), now=T0, topic_prefix=topic_prefix)
            assert result["orders"] == {"sent": 1, "retry": 0, "failed": 0}
            topic, message = received.get(timeout=10)
            assert topic == f"{topic_prefix}/teams/{team}/orders"
            assert message["case_id"] == case_id and message["team"] == "西区执法队"
            assert message["arrive_due"] == at("2026-10-10 09:00").isoformat()
            assert "phone" not in json.dumps(message) and "name" not in message
            order_id = message["order_id"]
            state = conn.execute("select state, attempts from dispatch_orders where id = %s", (order_id,)).fetchone()
            assert state == ("sent", 1)
            # the case state does not depend on delivery
            assert conn.execute("select state from cases where id = %s", (case_id,)).fetchone()[0] == "assigned"
            team_client.publish(orders.ack_topic(topic_prefix, team), json.dumps({"order_id": order_id, "by": "王队长"}),
                                qos=1).wait_for_publish(5)
            acked = wait_for(lambda: conn.execute("select state, acked_by from dispatch_orders where id = %s",
                                                  (order_id,)).fetchone() == ("acknowledged", "王队长"))
            assert acked
            event = conn.execute("select kind, actor from case_events where case_id = %s order by id desc limit 1",
                                 (case_id,)).fetchone()
            assert event == ("order_acknowledged", "王队长")
            # acknowledged orders are not re-sent
            again = run_once(conn, publisher, outbox.RecordingGateway(), now=T0 + timedelta(hours=2),
                             topic_prefix=topic_prefix)
            assert again["orders"]["sent"] == 0
    finally:
        listener.close()
        for client in (team_client, publisher):
            client.loop_stop()
            client.disconnect()


def test_unacknowledged_order_is_resent_with_back_off(fresh_database_url, mqtt_url, topic_prefix, committed_case):
    publisher = mqtt_connect(mqtt_url)
    try:
        with connect(fresh_database_url, autocommit=True) as conn:
            assert orders.publish_due_orders(conn, publisher, now=T0, topic_prefix=topic_prefix)["sent"] == 1
            assert orders.publish_due_orders(conn, publisher, now=T0 + timedelta(seconds=29),
                                             topic_prefix=topic_prefix)["sent"] == 0
            assert orders.publish_due_orders(conn, publisher, now=T0 + timedelta(seconds=30),
                                             topic_prefix=topic_prefix)["sent"] == 1
            row = conn.execute("select attempts, next_attempt_at from dispatch_orders").fetchone()
            assert row == (2, T0 + timedelta(seconds=30) + timedelta(seconds=60))
    finally:
        publisher.loop_stop()
        publisher.disconnect()


@pytest.mark.parametrize("attempts,wait", [(1, 30), (2, 60), (3, 120), (7, 1800), (20, 1800)])
def test_backoff(attempts, wait):
    assert orders.backoff(attempts) == timedelta(seconds=wait)


def test_bad_acknowledgements_go_to_dead_letters(conn, city):
    assert orders.handle_ack_message(conn, "p/teams/1/acks", b"not json", now=T0) is None
    assert orders.handle_ack_message(conn, "p/teams/1/acks", b'{"order_id": 99999}', now=T0) is None
    reasons = [r[0] for r in conn.execute("select reason from dead_letters order by id").fetchall()]
    assert reasons[0].startswith("malformed") and "99999" in reasons[1]


def test_failed_delivery_notifies_the_section_chief(conn, city):
    class Down:
        def publish(self, *a, **k):
            raise RuntimeError("broker unreachable")

    case_id = open_case(conn, NewCase(title="x", opened_at=T0, lon=117.82, lat=30.92), actor="i", role="intake", now=T0)
    conn.execute("update dispatch_orders set attempts = %s where case_id = %s", (orders.MAX_ATTEMPTS - 1, case_id))
    assert orders.publish_due_orders(conn, Down(), now=T0, topic_prefix="p") == {"sent": 0, "retry": 0, "failed": 1}  # type: ignore[arg-type]
    assert conn.execute("select recipient_role, send_after from outbox where case_id = %s", (case_id,)).fetchone() == (
        "section_chief", T0)


def test_outbox_gateway_failures_stay_queued(conn, city):
    class Broken:
        def send(self, message):
            raise OSError("sms gateway timeout")

    outbox.enqueue(conn, channel="sms", recipient_role="director", subject="s", body="b", now=T0,
                   send_after=at("2026-10-09 20:00"))
    assert outbox.deliver(conn, Broken(), now=T0) == {"sent": 0, "failed": 0}  # not due yet
    assert outbox.deliver(conn, Broken(), now=at("2026-10-09 20:00")) == {"sent": 0, "failed": 1}
    gateway = outbox.RecordingGateway()
    assert outbox.deliver(conn, gateway, now=at("2026-10-09 20:01")) == {"sent": 1, "failed": 0}
    assert gateway.sent[0]["recipient_role"] == "director"


@pytest.mark.parametrize("custom,expected", [
    (None, "p/teams/7/orders"), ("team7", "p/teams/team7/orders"), ("city/enforcement/7", "city/enforcement/7"),
])
def test_team_topic(custom, expected):
    assert orders.team_topic(7, custom, "p") == expected

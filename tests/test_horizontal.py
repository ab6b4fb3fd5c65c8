"""Two of every process at once, as real `envpetition` processes on one database and one broker.

Two `serve` behind one address (a round-robin TCP proxy started here) share sessions; two ingest
workers (one shared subscription), two dispatchers and two escalation scanners run together. At the
end nothing is lost and nothing is done twice: every reading stored and rolled up once, every order
sent once and its acknowledgement recorded once, every escalation step fired once.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from dispatch import orders
from dispatch.cases import NewCase, open_case
from envpetition import auth
from envpetition.db import connect
from envpetition.mqtt import connect as mqtt_connect
from envpetition.servers import free_port
from monitoring.publish import Publisher
from tests.dispatch.conftest import at, make_city
from tests.monitoring.conftest import count, wait_for
from tests.monitoring.test_faults import reading

ROOT = Path(__file__).resolve().parents[1]
T0 = at("2026-10-09 09:00")


class RoundRobinProxy:
    """Accept on one port; hand each connection to the next backend in turn (like a plain L4 balancer)."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.hits: Counter[int] = Counter()
        self.port = free_port()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._turn = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            backend = self.backends[self._turn % len(self.backends)]
            self._turn += 1
            self.hits[backend] += 1
            upstream = socket.create_connection(("127.0.0.1", backend))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.close()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_two_of_every_process_lose_and_duplicate_nothing(fresh_database_url: str, mqtt_url: str,
                                                         topic_prefix: str, tmp_path: Path) -> None:
    with connect(fresh_database_url, autocommit=True) as conn:
        with conn.transaction():
            city = make_city(conn)
            for i in range(40):
                open_case(conn, NewCase(title=f"case {i}", opened_at=T0, lon=117.82 + (i % 2) * 0.05, lat=30.92,
                                        priority=("urgent", "normal")[i % 2]), actor="t", role="intake", now=T0)
        auth.create_user(conn, "chief", "secret-pass-1", "director")
        open_clocks = conn.execute("select count(*) from clocks where met_at is null").fetchone()[0]  # type: ignore[index]
        order_count = conn.execute("select count(*) from dispatch_orders").fetchone()[0]  # type: ignore[index]
    assert order_count == 40

    # The teams: take every order and acknowledge it, as a terminal would.
    received: queue.Queue[int] = queue.Queue()
    team = mqtt_connect(mqtt_url)
    subscribed = threading.Event()
    team.on_subscribe = lambda *a: subscribed.set()

    def on_order(client: Any, userdata: Any, message: Any) -> None:
        order = json.loads(message.payload)
        received.put(order["order_id"])
        team_id = message.topic.split("/")[-2]
        client.publish(orders.ack_topic(topic_prefix, team_id), json.dumps({"order_id": order["order_id"], "by": "队长"}), qos=1)

    team.on_message = on_order
    team.subscribe(f"{topic_prefix}/teams/+/orders", qos=1)
    assert subscribed.wait(10)

    env = {**os.environ, "DATABASE_URL": fresh_database_url, "MQTT_URL": mqtt_url, "ENVPETITION_TOPIC_PREFIX": topic_prefix,
           "ENVPETITION_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    ports = [free_port(), free_port()]
    cli = [sys.executable, "-m", "envpetition"]
    commands = [
        *([*cli, "serve", "--port", str(p)] for p in ports),
        *([*cli, "workers", "run", "monitor", "--client-id", f"hz-{i}", "--share-group", "hz", "--analyse-every", "0"] for i in (1, 2)),
        *([*cli, "workers", "run", "dispatcher", "--every", "0.5"] for _ in (1, 2)),
        *([*cli, "workers", "run", "escalation", "--every", "1", "--at", "2027-03-01T12:00:00+08:00"] for _ in (1, 2)),
    ]
    logs = [open(tmp_path / f"p{i}.log", "wb") for i in range(len(commands))]  # noqa: SIM115 - closed below
    processes = [subprocess.Popen(c, env=env, stdout=log, stderr=log) for c, log in zip(commands, logs, strict=True)]
    proxy = RoundRobinProxy(ports)
    try:
        assert wait_for(lambda: all(port_open(p) for p in ports), 60), "serve did not start"
        # Sessions are rows in the database: a login through one server is valid on the other.
        form = httpx.get(f"http://127.0.0.1:{proxy.port}/login")  # the CSRF seed cookie and the form's token
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text[:300]
        login = httpx.post(f"http://127.0.0.1:{proxy.port}/login", cookies=dict(form.cookies),
                           headers={"Origin": f"http://127.0.0.1:{proxy.port}"},
                           data={"username": "chief", "password": "secret-pass-1", "csrf_token": token.group(1)})
        assert login.status_code == 303, login.text
        cookies = dict(login.cookies)
        for _ in range(6):
            me = httpx.get(f"http://127.0.0.1:{proxy.port}/api/me", cookies=cookies)  # a new connection each time
            assert me.status_code == 200 and me.json()["username"] == "chief"
        assert all(proxy.hits[p] >= 3 for p in ports), proxy.hits

        # Both workers hold the shared subscription before readings are published.
        time.sleep(3)
        n = 4000
        with Publisher(mqtt_url) as pub:
            pub.publish_all(reading(topic_prefix, i) for i in range(n))
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") >= n, 90)
        assert wait_for(lambda: count(fresh_database_url,
                                      "select count(*) from dispatch_orders where state = 'acknowledged'") >= 40, 90)
        # Every running clock is far past 150 % at the scanners' time: four steps each.
        assert wait_for(lambda: count(fresh_database_url, "select count(*) from escalations") >= open_clocks * 4, 90)
        time.sleep(3)  # anything done twice would show now
    finally:
        proxy.close()
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
        team.loop_stop()
        team.disconnect()

    url = fresh_database_url
    assert count(url, "select count(*) from readings") == n
    assert count(url, "select coalesce(sum(n), 0) from readings_1h") == n
    sent = Counter(received.get_nowait() for _ in range(received.qsize()))
    assert len(sent) == order_count and set(sent.values()) == {1}, sent
    assert count(url, "select count(*) from dispatch_orders where attempts <> 1") == 0
    assert count(url, "select count(*) from case_events where kind = 'order_acknowledged'") == order_count
    assert count(url, "select count(*) from escalations") == count(url, "select count(distinct (clock_id, threshold)) from escalations")
    assert count(url, "select count(*) from case_events where kind = 'time_escalated'") == count(url, "select count(*) from escalations")
    # Both scanners ran rounds side by side (which one finds the work first is a race).
    scanner_logs = [(tmp_path / f"p{i}.log").read_text() for i, c in enumerate(commands) if "escalation" in c]
    assert all('"fired"' in text for text in scanner_logs)
    assert city

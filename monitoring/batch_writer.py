"""Store parsed batches on one PostgreSQL connection: retried through outages, never dying.

The ingest worker runs one or more of these, each in its own thread with its own connection, so
one batch's COPY can run while another's rollups and commit are on the server.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from envpetition.db import connect
from envpetition.dead_letters import store_dead_letters
from monitoring import storage
from monitoring.payloads import Row
from monitoring.worker_config import Incoming

log = logging.getLogger(__name__)

DeadLetter = tuple[str, bytes, str]  # topic, payload, reason
# Errors that mean "the database is not there right now": keep the batch and retry.
TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.DeadlockDetected,
             psycopg.errors.SerializationFailure)


@dataclass
class Parsed:
    rows: list[Row]
    dead: list[DeadLetter]
    rollups: storage.HourlyRollups | None  # None: the database keeps its own (TimescaleDB)

    def extend(self, other: Parsed) -> None:
        self.rows.extend(other.rows)
        self.dead.extend(other.dead)
        if self.rollups is not None and other.rollups is not None:
            self.rollups.merge(other.rollups)


class BatchWriter:
    """``connect_first()`` once, then ``commit(batch, parsed)`` for each batch, ``close()`` at the end.

    ``record(**counts)`` is called after every commit with what it stored (thread-safe on the
    caller's side); ``parse_one`` re-parses a single message for the one-by-one slow path.
    """

    def __init__(self, database_url: str, *, stopping: threading.Event, retry_max_s: float,
                 record: Callable[..., None], parse_one: Callable[[Incoming], Parsed]) -> None:
        self.database_url = database_url
        self.stopping = stopping
        self.retry_max_s = retry_max_s
        self.record = record
        self.parse_one = parse_one
        self.rollups = True
        self.mns: dict[str, str] = {}
        self._conn: psycopg.Connection[Any] | None = None
        self._mns_loaded = 0.0

    def _db(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.database_url, autocommit=True)
            storage.prepare_connection(self._conn)
            self.rollups = not storage.timescale_enabled(self._conn)
            self._mns_loaded = 0.0
        if time.monotonic() - self._mns_loaded > 60:
            self.mns = storage.mn_map(self._conn)
            self._mns_loaded = time.monotonic()
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # the connection is already broken
                self._conn.close()
        self._conn = None

    def connect_first(self) -> bool:
        """Connect (retrying while the database is down); False when stopped first."""
        delay = 0.2
        while not self.stopping.is_set():
            try:
                self._db()
                return True
            except TRANSIENT as exc:
                self._failed(exc, "database unavailable at start (%s); retrying in %.1f s", delay)
                self.close()
                self.stopping.wait(delay)
                delay = min(delay * 2, self.retry_max_s)
        return False

    def _failed(self, exc: BaseException, message: str, *args: Any) -> None:
        error = str(exc).strip()[:300]
        self.record(database_errors=1, last_error=error)
        log.warning(message, error, *args)

    def _store(self, parsed: Parsed) -> None:
        rows, dead = parsed.rows, parsed.dead
        conn = self._db()
        with conn.transaction():
            new = storage.store_rows(conn, rows, maintain_rollups=self.rollups, rollups=parsed.rollups)
            store_dead_letters(conn, dead)
        self.record(rows_new=new, rows_duplicate=len(rows) - new, dead_letters=len(dead),
                    newest=max(row[0] for row in rows) if new else None)

    def _store_one_by_one(self, batch: list[Incoming]) -> None:
        """Slow path after the database refused a batch: find the message(s) it refuses, dead-letter them."""
        for item in batch:
            try:
                self._store(self.parse_one(item))
            except TRANSIENT:
                raise
            except psycopg.Error as exc:
                reason = f"database refused the readings: {str(exc).strip()[:300]}"
                self._store(Parsed([], [(item.topic, item.payload, reason)], None))

    def _commit(self, batch: list[Incoming], parsed: Parsed) -> bool:
        delay = 0.2
        while True:
            try:
                try:
                    self._store(parsed)
                except TRANSIENT:
                    raise
                except psycopg.Error as exc:
                    log.warning("database refused a batch (%s); storing its messages one by one", exc)
                    self._store_one_by_one(batch)
                return True
            except TRANSIENT as exc:
                self._failed(exc, "database unavailable (%s); batch of %d kept, retrying in %.1f s", len(batch), delay)
                if not isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
                    self.close()
                if self.stopping.wait(delay):
                    return False
                delay = min(delay * 2, self.retry_max_s)

    def commit(self, batch: list[Incoming], parsed: Parsed) -> bool:
        """Store the batch, retrying through outages and unexpected errors; False when stopped first."""
        while True:
            try:
                return self._commit(batch, parsed)
            except Exception as exc:  # noqa: BLE001 - the writer thread must never die
                self.record(last_error=f"unexpected: {exc!r}"[:300])
                log.exception("unexpected error storing a batch of %d; retrying in 1 s", len(batch))
                if self.stopping.wait(1.0):
                    return False

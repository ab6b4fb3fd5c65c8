"""The ingest worker: MQTT (QoS 1, persistent session, manual ack) → PostgreSQL, without loss.

Flow: the receiver (monitoring/receivers.py) puts each chunk of messages read from the socket on a
bounded queue (a full queue blocks it, which stops reading the socket: back-pressure). A parser
thread takes whatever has arrived (up to ``batch_max``) and parses it while the writer thread
stores the previous batch: it COPYs the rows
through a staging table, inserts with
``ON CONFLICT DO NOTHING``, stores malformed messages in ``dead_letters`` and commits — and only
then acknowledges every message of the batch (PUBACK). If the database is down the batch is kept
and retried with back-off; nothing is acknowledged, so the broker keeps the rest. A crash loses
nothing either: unacknowledged messages are redelivered to the same client id and the primary key
absorbs the duplicates.

MQTT 5 is used when the broker speaks it, so the worker can announce a Receive Maximum (Mosquitto
otherwise allows only ``max_inflight_messages``, default 20, unacknowledged messages per client,
which would cap a batch at 20). Brokers that only speak 3.1.1 (the embedded amqtt) get 3.1.1.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg

from envpetition.db import connect
from monitoring import storage
from monitoring.payloads import PayloadError, Row, payload_rows
from monitoring.receivers import Receiver, open_receiver
from monitoring.worker_config import Incoming, WorkerConfig, WorkerStats

log = logging.getLogger(__name__)

DeadLetter = tuple[str, bytes, str]  # topic, payload, reason


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

MAX_PAYLOAD_BYTES = 256 * 1024
# Errors that mean "the database is not there right now": keep the batch and retry.
TRANSIENT = (psycopg.OperationalError, psycopg.InterfaceError, psycopg.errors.DeadlockDetected,
             psycopg.errors.SerializationFailure)


class IngestWorker:
    """Run with ``start()`` (threads) and ``stop()``; ``stats`` counts what happened.

    >>> worker = IngestWorker(database_url, mqtt_url, topic_prefix="envpetition/v1")  # doctest: +SKIP
    >>> worker.start(); ...; worker.stop()  # doctest: +SKIP
    """

    def __init__(self, database_url: str, mqtt_url: str, config: WorkerConfig | None = None, **overrides: Any) -> None:
        self.database_url = database_url
        self.mqtt_url = mqtt_url
        self.config = config or WorkerConfig()
        for key, value in overrides.items():
            setattr(self.config, key, value)
        if self.config.receive_maximum > self.config.queue_max:
            self.config.queue_max = self.config.receive_maximum
        self.stats = WorkerStats()
        self._queue: queue.Queue[list[Incoming]] = queue.Queue(self.config.queue_max)
        self._stopping = threading.Event()
        self._writer = threading.Thread(target=self._write_loop, name="ingest-writer", daemon=True)
        self._parser = threading.Thread(target=self._parse_loop, name="ingest-parser", daemon=True)
        self._parsed: queue.Queue[tuple[list[Incoming], Parsed]] = queue.Queue(2)
        self._mns_ready = threading.Event()
        self._parser_done = threading.Event()
        self._writer_done = threading.Event()
        self._analyst = threading.Thread(target=self._analyse_loop, name="ingest-analysis", daemon=True)
        self._newest: datetime | None = None
        self._receiver: Receiver | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._mns: dict[str, str] = {}
        self._mns_loaded = 0.0
        self._rollups = True

    def _deliver(self, chunk: list[Incoming]) -> None:
        if self._stopping.is_set():
            return  # not acknowledged: the broker redelivers it to the next session
        self.stats.received += len(chunk)
        # Blocks when the queue is full: the receiver stops reading, TCP pushes back to the broker.
        self._queue.put(chunk)

    # ---- database side ---------------------------------------------------------------------
    def _db(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._conn = connect(self.database_url, autocommit=True)
            storage.prepare_connection(self._conn)
            self._rollups = not storage.timescale_enabled(self._conn)
            self._mns_loaded = 0.0
        if time.monotonic() - self._mns_loaded > 60:
            self._mns = storage.mn_map(self._conn)
            self._mns_loaded = time.monotonic()
        return self._conn

    def _drop_db(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):  # the connection is already broken
                self._conn.close()
        self._conn = None

    def _take_batch(self) -> list[Incoming]:
        try:
            batch = list(self._queue.get(timeout=0.2))
        except queue.Empty:
            return []
        while len(batch) < self.config.batch_max:
            try:
                batch.extend(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _parse(self, batch: list[Incoming]) -> Parsed:
        rows: list[Row] = []
        dead: list[DeadLetter] = []
        for item in batch:
            if len(item.payload) > MAX_PAYLOAD_BYTES:
                dead.append((item.topic, item.payload, f"payload of {len(item.payload)} bytes exceeds {MAX_PAYLOAD_BYTES}"))
                continue
            try:
                rows.extend(payload_rows(item.topic, item.payload, self._mns))
            except PayloadError as exc:
                dead.append((item.topic, item.payload, str(exc)))
            except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the stream
                log.exception("unexpected error parsing a message on %s", item.topic)
                dead.append((item.topic, item.payload, f"internal error: {exc!r}"))
        # Rolled up here, while the writer is busy with the previous batch.
        return Parsed(rows, dead, storage.HourlyRollups().add(rows) if self._rollups else None)

    def _store(self, parsed: Parsed) -> None:
        rows, dead = parsed.rows, parsed.dead
        conn = self._db()
        with conn.transaction():
            new = storage.store_rows(conn, rows, maintain_rollups=self._rollups, rollups=parsed.rollups)
            storage.store_dead_letters(conn, dead)
        if new and rows:
            newest = max(row[0] for row in rows)
            if self._newest is None or newest > self._newest:
                self._newest = newest
        self.stats.rows_new += new
        self.stats.rows_duplicate += len(rows) - new
        self.stats.dead_letters += len(dead)

    def _store_one_by_one(self, batch: list[Incoming]) -> None:
        """Slow path after the database refused a batch: find the message(s) it refuses, dead-letter them."""
        for item in batch:
            try:
                self._store(self._parse([item]))
            except TRANSIENT:
                raise
            except psycopg.Error as exc:
                reason = f"database refused the readings: {str(exc).strip()[:300]}"
                self._store(Parsed([], [(item.topic, item.payload, reason)], None))

    def _commit(self, batch: list[Incoming], parsed: Parsed) -> bool:
        """Store the batch, retrying through database outages; False when stopped before success."""
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
                self.stats.database_errors += 1
                self.stats.last_error = str(exc).strip()[:300]
                log.warning("database unavailable (%s); batch of %d kept, retrying in %.1f s",
                            self.stats.last_error, len(batch), delay)
                if not isinstance(exc, (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)):
                    self._drop_db()
                if self._stopping.wait(delay):
                    return False
                delay = min(delay * 2, self.config.retry_max_s)

    def _commit_guarded(self, batch: list[Incoming], parsed: Parsed) -> bool:
        """``_commit``, surviving unexpected errors: the batch is kept (unacknowledged) and retried."""
        while True:
            try:
                return self._commit(batch, parsed)
            except Exception as exc:  # noqa: BLE001 - the writer thread must never die
                self.stats.last_error = f"unexpected: {exc!r}"[:300]
                log.exception("unexpected error storing a batch of %d; retrying in 1 s", len(batch))
                if self._stopping.wait(1.0):
                    return False

    def _parse_loop(self) -> None:
        """Parse the next batch while the writer stores the previous one."""
        try:
            # Parsing maps HJ 212 MNs through the registry: wait for the writer's first connection.
            while not self._mns_ready.wait(0.2):
                if self._stopping.is_set():
                    return
            while not (self._stopping.is_set() and self._queue.empty()):
                batch = self._take_batch()
                if not batch:
                    continue
                item = (batch, self._parse(batch))
                while not self._writer_done.is_set():
                    try:
                        self._parsed.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        finally:
            self._parser_done.set()

    def _connect_first(self) -> bool:
        delay = 0.2
        while not self._stopping.is_set():
            try:
                self._db()
                self._mns_ready.set()
                return True
            except TRANSIENT as exc:
                self.stats.database_errors += 1
                self.stats.last_error = str(exc).strip()[:300]
                log.warning("database unavailable at start (%s); retrying in %.1f s", self.stats.last_error, delay)
                self._drop_db()
                self._stopping.wait(delay)
                delay = min(delay * 2, self.config.retry_max_s)
        return False

    def _write_loop(self) -> None:
        try:
            if self._connect_first():
                self._store_parsed()
        finally:
            self._writer_done.set()

    def _store_parsed(self) -> None:
        while not (self._parser_done.is_set() and self._parsed.empty()):
            try:
                batch, parsed = self._parsed.get(timeout=0.2)
            except queue.Empty:
                continue
            # Whatever else is parsed by now goes into the same transaction: one commit, one fsync.
            while len(batch) < self.config.batch_max:
                try:
                    more, more_parsed = self._parsed.get_nowait()
                except queue.Empty:
                    break
                batch = batch + more
                parsed.extend(more_parsed)
            if not self._commit_guarded(batch, parsed):
                return
            committed = time.time()
            if self._receiver is not None:
                self._receiver.ack(batch)
            self.stats.acked += len(batch)
            self.stats.messages_committed += len(batch)
            self.stats.batches += 1
            if self.config.on_commit is not None:
                self.config.on_commit(batch, committed)

    def _analyse_loop(self) -> None:
        from envpetition.runtime import local_now
        from monitoring.exceedance_service import detect_and_record
        from monitoring.walknav import find_and_store_peaks

        assert self.config.analyse_every_s is not None
        done: datetime | None = None
        while not self._stopping.wait(self.config.analyse_every_s):
            newest = self._newest
            if newest is None or newest == done:
                continue
            start = newest - timedelta(hours=self.config.analysis_hours)
            try:
                with connect(self.database_url, autocommit=True) as conn:
                    result = detect_and_record(conn, start=start, end=newest + timedelta(minutes=1), now=local_now())
                    find_and_store_peaks(conn, start=newest - timedelta(hours=2), end=newest + timedelta(seconds=1),
                                         now=local_now())
                self.stats.analyses += 1
                self.stats.exceedances = int(result["exceedances"])
                done = newest
            except Exception:  # noqa: BLE001 - analysis must never stop ingest
                log.exception("exceedance analysis failed; retrying next round")

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> IngestWorker:
        # The writer releases the GIL for every COPY buffer it sends and then waits for the parser
        # to give it back: at the default 5 ms switch interval PostgreSQL sat idle half the time
        # (10-reading batches: 92,000 rows/s drained at 5 ms, 163,000 at 1 ms). Process-wide.
        sys.setswitchinterval(min(sys.getswitchinterval(), 0.001))
        self._writer.start()
        self._parser.start()
        if self.config.analyse_every_s:
            self._analyst.start()
        self._receiver = open_receiver(self.mqtt_url, self.config, self.stats, self._deliver)
        return self

    @property
    def connected(self) -> bool:
        return self._receiver is not None and self._receiver.connected.is_set()

    def wait_connected(self, timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while self._receiver is None and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._receiver is not None and self._receiver.connected.wait(max(0.0, deadline - time.monotonic()))

    def stop(self, timeout: float = 10) -> None:
        """Stop taking messages, commit and acknowledge what was taken, disconnect."""
        self._stopping.set()
        self._parser.join(timeout)
        self._writer.join(timeout)
        if self._receiver is not None:
            self._receiver.stop()
        self._drop_db()

    def run_until(self, stop_event: threading.Event, report_every: float = 30.0) -> None:
        """Run until ``stop_event`` is set (the CLI sets it on SIGTERM/SIGINT)."""
        self.start()
        while not stop_event.wait(report_every):
            log.info("ingest stats %s", self.stats.as_dict())
        self.stop()

"""The ingest worker: MQTT (QoS 1, persistent session, manual ack) → PostgreSQL, without loss.

Flow: the receiver (monitoring/receivers.py) puts each chunk of messages read from the socket on a
bounded queue (a full queue blocks it, which stops reading the socket: back-pressure). A parser
thread takes whatever has arrived (up to ``batch_max`` messages), parses and rolls it up while a
writer thread (monitoring/batch_writer.py; ``writers`` of them, one connection each) stores the
previous batch: COPY into ``readings`` (through a staging table and ``ON CONFLICT DO NOTHING`` when
the batch holds a redelivery), dead letters for malformed messages, commit — and only then
acknowledges every message of the batch (PUBACK). If the database is down the batch is kept and
retried with back-off; nothing is acknowledged, so the broker keeps the rest. A crash loses nothing
either: unacknowledged messages are redelivered to the same client id and the primary key absorbs
the duplicates.

MQTT 5 is used when the broker speaks it, so the worker can announce a Receive Maximum (Mosquitto
otherwise allows only ``max_inflight_messages``, default 20, unacknowledged messages per client,
which would cap a batch at 20). Brokers that only speak 3.1.1 (the embedded amqtt) get 3.1.1.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

from envpetition.db import connect
from envpetition.gil import short_switch_interval
from monitoring import storage
from monitoring.batch_writer import BatchWriter, DeadLetter, Parsed
from monitoring.payloads import PayloadError, Row, payload_rows
from monitoring.receivers import Receiver, open_receiver
from monitoring.worker_config import Incoming, WorkerConfig, WorkerStats

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 256 * 1024
OVERSIZE_KEPT_BYTES = 1024  # an oversize payload is dead-lettered as its digest and this much of its head


def oversize_letter(topic: str, payload: bytes) -> DeadLetter:
    """A dead letter for a payload too big to keep: its size, SHA-256 and first bytes, not the whole."""
    digest = hashlib.sha256(payload).hexdigest()
    return (topic, payload[:OVERSIZE_KEPT_BYTES],
            f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}; sha256 {digest}; first "
            f"{OVERSIZE_KEPT_BYTES} bytes kept")


def implausible_time(ts: datetime, now: datetime, config: WorkerConfig) -> str | None:
    """Why a reading's timestamp cannot be true (too far ahead, too old), or None when plausible."""
    if ts > now + timedelta(seconds=config.max_ahead_s):
        return f"timestamp {ts.isoformat()} is more than {config.max_ahead_s:g} s ahead of the server clock"
    if ts.year < config.earliest_year:
        return f"timestamp {ts.isoformat()} is before {config.earliest_year}"
    if config.max_age_days is not None and ts < now - timedelta(days=config.max_age_days):
        return f"timestamp {ts.isoformat()} is older than the retention of {config.max_age_days:g} days"
    return None


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
        self._switch_interval = ExitStack()
        self._stats_lock = threading.Lock()
        self._writers = [
            BatchWriter(database_url, stopping=self._stopping, retry_max_s=self.config.retry_max_s,
                        record=self._record, parse_one=lambda item: self._parse([item]))
            for _ in range(self.config.writers)
        ]
        self._writer_threads = [threading.Thread(target=self._write_loop, args=(writer,), name=f"ingest-writer-{i}",
                                                 daemon=True) for i, writer in enumerate(self._writers, 1)]
        self._writers_left = len(self._writers)
        self._parser = threading.Thread(target=self._parse_loop, name="ingest-parser", daemon=True)
        self._parsed: queue.Queue[tuple[list[Incoming], Parsed]] = queue.Queue(1 + len(self._writers))
        self._db_ready = threading.Event()
        self._parser_done = threading.Event()
        self._writers_done = threading.Event()
        self._analyst = threading.Thread(target=self._analyse_loop, name="ingest-analysis", daemon=True)
        self._newest: datetime | None = None
        self._receiver: Receiver | None = None

    def _deliver(self, chunk: list[Incoming]) -> None:
        if self._stopping.is_set():
            return  # not acknowledged: the broker redelivers it to the next session
        self.stats.received += len(chunk)
        # Blocks when the queue is full: the receiver stops reading, TCP pushes back to the broker.
        self._queue.put(chunk)

    def _record(self, *, newest: datetime | None = None, last_error: str | None = None, **counts: int) -> None:
        """Add a writer's counts to ``stats`` (writers run in threads of their own)."""
        with self._stats_lock:
            for name, value in counts.items():
                setattr(self.stats, name, getattr(self.stats, name) + value)
            if last_error is not None:
                self.stats.last_error = last_error
            if newest is not None and (self._newest is None or newest > self._newest):
                self._newest = newest

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
        now = datetime.now(UTC)
        for item in batch:
            if len(item.payload) > MAX_PAYLOAD_BYTES:
                dead.append(oversize_letter(item.topic, item.payload))
                continue
            try:
                parsed = payload_rows(item.topic, item.payload, self._writers[0].mns)
                reasons = sorted({r for r in (implausible_time(row[0], now, self.config) for row in parsed) if r})
                if reasons:  # the message's plausible readings are kept; the message is kept with the reason
                    dead.append((item.topic, item.payload, "; ".join(reasons)))
                    parsed = [row for row in parsed if implausible_time(row[0], now, self.config) is None]
                rows.extend(parsed)
            except PayloadError as exc:
                dead.append((item.topic, item.payload, str(exc)))
            except Exception as exc:  # noqa: BLE001 - a parser bug must not stop the stream
                log.exception("unexpected error parsing a message on %s", item.topic)
                dead.append((item.topic, item.payload, f"internal error: {exc!r}"))
        # Rolled up here, while the writer is busy with the previous batch.
        return Parsed(rows, dead, storage.HourlyRollups().add(rows) if self._writers[0].rollups else None)

    def _parse_loop(self) -> None:
        """Parse the next batch while the writer stores the previous one."""
        try:
            # Parsing maps HJ 212 MNs through the registry: wait for the first writer's connection.
            while not self._db_ready.wait(0.2):
                if self._stopping.is_set():
                    return
            while not (self._stopping.is_set() and self._queue.empty()):
                batch = self._take_batch()
                if not batch:
                    continue
                item = (batch, self._parse(batch))
                while not self._writers_done.is_set():
                    try:
                        self._parsed.put(item, timeout=0.2)
                        break
                    except queue.Full:
                        continue
        finally:
            self._parser_done.set()

    def _write_loop(self, writer: BatchWriter) -> None:
        try:
            if writer.connect_first():
                self._db_ready.set()
                self._store_parsed(writer)
        finally:
            writer.close()
            with self._stats_lock:
                self._writers_left -= 1
                if not self._writers_left:
                    self._writers_done.set()

    def _store_parsed(self, writer: BatchWriter) -> None:
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
            if not writer.commit(batch, parsed):
                return
            committed = time.time()
            if self._receiver is not None:
                self._receiver.ack(batch)
            self._record(acked=len(batch), messages_committed=len(batch), batches=1)
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

    def _housekeeping_loop(self) -> None:
        from envpetition.runtime import local_now
        from monitoring.partitions import ensure_partitions

        assert self.config.housekeeping_every_s is not None
        while True:
            try:
                with connect(self.database_url, autocommit=True) as conn:
                    created = ensure_partitions(conn, local_now())
                if created:
                    log.info("created readings partitions %s", ", ".join(created))
            except Exception:  # noqa: BLE001 - housekeeping must never stop ingest
                log.exception("partition housekeeping failed; retrying next round")
            if self._stopping.wait(self.config.housekeeping_every_s):
                return

    # ---- lifecycle ---------------------------------------------------------------------------
    def start(self) -> IngestWorker:
        # The writer releases the GIL for every COPY buffer it sends and then waits for the parser
        # to give it back: at the default 5 ms switch interval PostgreSQL sat idle half the time
        # (10-reading batches: 92,000 rows/s drained at 5 ms, 163,000 at 1 ms). Process-wide.
        self._switch_interval.enter_context(short_switch_interval(0.001))  # put back in stop()
        for thread in self._writer_threads:
            thread.start()
        self._parser.start()
        if self.config.analyse_every_s:
            self._analyst.start()
        if self.config.housekeeping_every_s:
            threading.Thread(target=self._housekeeping_loop, name="ingest-housekeeping", daemon=True).start()
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
        for thread in self._writer_threads:
            thread.join(timeout)
        if self._receiver is not None:
            self._receiver.stop()
        self._switch_interval.close()

    def run_until(self, stop_event: threading.Event, report_every: float = 30.0) -> None:
        """Run until ``stop_event`` is set (the CLI sets it on SIGTERM/SIGINT)."""
        self.start()
        while not stop_event.wait(report_every):
            log.info("ingest stats %s", self.stats.as_dict())
        self.stop()

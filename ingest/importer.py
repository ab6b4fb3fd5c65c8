"""Import a complaint export file: read, parse, and feed batches to the intake service.

Each batch is one transaction, so a failure later in a big file keeps what went in before;
re-running the import changes nothing for rows already in (channel + external id).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from envpetition.gil import short_switch_interval
from ingest import repository as repo
from ingest.batch import Entry, IntakeContext, PreparedBatch, RowResult, prepare_batch
from ingest.dedupe_memory import DedupeMemory
from ingest.fields import BadRow, clean_text, fields_from_row
from ingest.readers import Mapping, RawFile, RawRow, read_file
from ingest.service import store_batch

DEFAULT_BATCH = 2000
Progress = Callable[[int, int], None]


@dataclass
class ImportSummary:
    file: str
    format: str
    channel: str
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    repeats: int = 0
    quarantined: int = 0
    needs_location: int = 0
    cases_opened: int = 0
    urgent: int = 0
    near_boundary: int = 0
    warnings: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    file_problems: list[str] = field(default_factory=list)

    def add(self, result: RowResult) -> None:
        self.rows += 1
        if result.status == "accepted":
            self.accepted += 1
        elif result.status == "duplicate":
            self.duplicates += 1
        else:
            self.quarantined += 1
            self.reasons[reason_key(result.reason or "")] += 1
            self.needs_location += int((result.reason or "").startswith("needs location"))
        if result.status != "quarantined":
            self.repeats += int(result.repeat_of is not None)
            self.urgent += int(result.urgent)
            self.near_boundary += int(result.near_boundary)
            self.warnings += int(bool(result.reason and "Excel serial" in result.reason))

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "reasons"}
        data["quarantined_reasons"] = dict(self.reasons.most_common())
        return data


def reason_key(reason: str) -> str:
    """Group reasons for the summary: 'bad date '2026-13-01'' -> 'bad date'."""
    return re.sub(r"\s*[(（'\"‘“:：;].*$", "", reason).strip() or reason


def _entry(row: RawRow, raw: RawFile, *, now: datetime) -> Entry:
    try:
        fields = fields_from_row(row.data, row.columns, channel=raw.channel, now=now, default_crs=raw.default_crs,
                                 date_format=raw.date_format)
        return Entry(row.row_no, row.data, fields, channel=raw.channel, external_id=fields.external_id)
    except BadRow as exc:
        ext = next((clean_text(row.data.get(k)) for k in row.columns.get("external_id", [])), None)
        return Entry(row.row_no, row.data, None, str(exc), channel=raw.channel, external_id=ext)


def _batches(rows: list[RawRow], size: int) -> Iterator[list[RawRow]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def import_raw(conn: psycopg.Connection[Any], raw: RawFile, *, source: str, now: datetime, ctx: IntakeContext,
               batch_size: int = DEFAULT_BATCH, progress: Progress | None = None,
               on_result: Callable[[RowResult], None] | None = None) -> ImportSummary:
    """Import rows already read from a file (or built by a test)."""
    summary = ImportSummary(file=source, format=raw.format, channel=raw.channel)
    if raw.problems:
        with conn.transaction():
            for problem, reason in raw.problems:
                repo.quarantine(conn, source=f"{raw.channel}:{source}", row_no=None, raw=problem, reason=reason,
                                kind="bad_file", channel=raw.channel)
                summary.quarantined += 1
                summary.reasons[reason_key(reason)] += 1
                summary.file_problems.append(reason)
    done = 0
    memory = DedupeMemory(ctx.rules, ctx.metric_crs)

    def prepare(batch: list[RawRow]) -> PreparedBatch:
        return prepare_batch([_entry(row, raw, now=now) for row in batch], ctx)

    # Parsing, locating and classifying need no database: one batch ahead on a thread, they run
    # while this batch's COPY and SQL wait on PostgreSQL (the second core), which releases the GIL.
    # While the prepare thread computes, a query's answer waits for the GIL: 5 ms by default for each
    # of a batch's round trips; 0.5 ms keeps the database side of the import moving.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prepare") as ahead, short_switch_interval(0.0005):
        batches = _batches(raw.rows, batch_size)
        first = next(batches, None)
        pending = ahead.submit(prepare, first) if first is not None else None
        while pending is not None:
            prepared = pending.result()
            following = next(batches, None)
            pending = ahead.submit(prepare, following) if following is not None else None
            done += _store(conn, prepared, summary, ctx, source=f"{raw.channel}:{source}", now=now, memory=memory,
                           on_result=on_result)
            if progress:
                progress(done, len(raw.rows))
    return summary


def _store(conn: psycopg.Connection[Any], prepared: PreparedBatch, summary: ImportSummary, ctx: IntakeContext, *,
           source: str, now: datetime, memory: DedupeMemory,
           on_result: Callable[[RowResult], None] | None) -> int:
    """Store one prepared batch in its own transaction and count its results; return its size."""
    with conn.transaction():
        results = store_batch(conn, prepared, ctx, source=source, now=now, memory=memory)
        summary.cases_opened += _count_new_cases(results)
    for result in results:
        summary.add(result)
        if on_result:
            on_result(result)
    return len(prepared.entries)


def _count_new_cases(results: list[RowResult]) -> int:
    return sum(r.opened_case for r in results)


def import_file(conn: psycopg.Connection[Any], path: str | Path, *, now: datetime, fmt: str = "auto",
                mapping: Mapping | None = None, channel: str | None = None, ctx: IntakeContext | None = None,
                batch_size: int = DEFAULT_BATCH, progress: Progress | None = None,
                on_result: Callable[[RowResult], None] | None = None) -> ImportSummary:
    """Import one export file; return the summary (results go to ``on_result``, one per row)."""
    path = Path(path)
    raw = read_file(path, fmt=fmt, mapping=mapping, channel=channel)
    ctx = ctx or IntakeContext.load(conn)
    return import_raw(conn, raw, source=path.name, now=now, ctx=ctx, batch_size=batch_size, progress=progress,
                      on_result=on_result)

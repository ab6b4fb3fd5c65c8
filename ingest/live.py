"""The sample channels' complaints played again on the demo's live clock.

The sample city's complaints were made by the generators in ``sample_data/`` together with the
sensor readings, so an episode's complaints and its readings belong together. The live demo
shifts both by the same whole number of weeks (``dashboard.live_city`` picks the shift): the
complaints keep their weekday and hour, and still line up with the readings replayed beside them.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from ingest.importer import _entry
from ingest.readers import read_file
from ingest.sample import COMPLAINT_FILES
from ingest.service import Entry, IntakeContext, ingest_batch

LIVE_SOURCE = "demo-live"


class SampleFeed:
    """Every readable sample complaint, parsed once and sorted by receipt time."""

    def __init__(self, folder: str | Path, *, now: datetime) -> None:
        folder = Path(folder)
        complaints = folder / "complaints" if (folder / "complaints").is_dir() else folder
        entries: list[Entry] = []
        for name in COMPLAINT_FILES:
            if (complaints / name).exists():
                raw = read_file(complaints / name)
                entries += [e for e in (_entry(row, raw, now=now) for row in raw.rows) if e.fields is not None]
        entries.sort(key=lambda e: e.fields.received_at)  # type: ignore[union-attr]
        self.entries = entries
        self.times = [e.fields.received_at for e in entries]  # type: ignore[union-attr]

    def between(self, since: datetime, until: datetime) -> list[Entry]:
        """The sample entries received in ``[since, until)`` (sample time)."""
        return self.entries[bisect.bisect_left(self.times, since):bisect.bisect_left(self.times, until)]


def shifted(entry: Entry, shift: timedelta, lap: int) -> Entry:
    """The entry as if received ``shift`` later, with an external id of its own for this lap."""
    fields = entry.fields
    assert fields is not None
    external_id = f"{fields.external_id}-L{lap}"
    return replace(entry, fields=replace(fields, received_at=fields.received_at + shift, external_id=external_id,
                                         warnings=list(fields.warnings)),
                   external_id=external_id)


def feed_window(conn: psycopg.Connection[Any], feed: SampleFeed, ctx: IntakeContext, *, since: datetime,
                until: datetime, shift: timedelta, lap: int, now: datetime) -> dict[str, int]:
    """Register the sample complaints of ``[since, until)`` (sample time) ``shift`` later; count the outcomes."""
    entries = [shifted(e, shift, lap) for e in feed.between(since, until)]
    if not entries:
        return {}
    with conn.transaction():
        results = ingest_batch(conn, entries, ctx, source=LIVE_SOURCE, now=now)
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
        counts["cases_opened"] = counts.get("cases_opened", 0) + int(result.opened_case)
    return counts

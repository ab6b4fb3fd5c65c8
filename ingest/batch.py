"""The types of one intake batch and its database-free half: locate and classify.

A file import cuts its rows into batches (the API sends batches of one). ``prepare_batch`` needs no
database and no clock, so an importer prepares the next batch on a thread while the previous one is
stored (``ingest.service.store_batch``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from ingest.classify import Classification, Classifier, default_classifier
from ingest.dedupe import DedupeRules, Seen
from ingest.fields import ComplaintFields
from ingest.locating import Placed, Places
from ingest.privacy import phone_hash


@dataclass
class IntakeContext:
    """What an import needs, built once: the city's places, the classifier, the rules, who acts."""

    places: Places
    classifier: Classifier
    rules: DedupeRules = field(default_factory=DedupeRules)
    actor: str = "ingest"
    role: str | None = "intake"
    backfill: bool = False  # history import: cases are registered at each complaint's receipt time
    timings: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))  # seconds per phase

    def event_time(self, fields: ComplaintFields, now: datetime) -> datetime:
        """When the case history says the complaint was registered."""
        return fields.received_at if self.backfill else now

    @property
    def metric_crs(self) -> str:
        """The projection every distance of this import is measured in (the city's)."""
        return self.places.locator.crs

    @classmethod
    def load(cls, conn: psycopg.Connection[Any], *, lexicon_dir: str | None = None, rules: DedupeRules | None = None,
             nearby_radius_m: float = 1000.0, boundary_m: float = 20.0, actor: str = "ingest",
             role: str | None = "intake", backfill: bool = False) -> IntakeContext:
        places = Places.load(conn, nearby_radius_m=nearby_radius_m, boundary_m=boundary_m)
        return cls(places, default_classifier(lexicon_dir), rules or DedupeRules(), actor, role, backfill)


@dataclass
class Entry:
    """One input row: its raw cells, and either the parsed fields or why they could not be parsed."""

    row_no: int | None
    raw: dict[str, Any]
    fields: ComplaintFields | None = None
    error: str | None = None
    channel: str | None = None
    external_id: str | None = None


@dataclass
class RowResult:
    row: int | None
    channel: str | None
    external_id: str | None
    status: str
    complaint_id: int | None = None
    case_id: int | None = None
    lon: float | None = None
    lat: float | None = None
    community: str | None = None
    enterprise: str | None = None
    nearby_enterprises: list[dict[str, Any]] = field(default_factory=list)
    grid: str | None = None
    district: str | None = None
    categories: list[str] = field(default_factory=list)
    priority: str | None = None
    urgent: bool = False
    signals: list[str] = field(default_factory=list)
    near_boundary: bool = False
    duplicate_of: int | None = None
    repeat_of: int | None = None
    reason: str | None = None
    quarantine_id: int | None = None
    opened_case: bool = False
    receipt_token: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The results-file line: no identity, no receipt token."""
        data = dict(self.__dict__)
        data.pop("receipt_token")
        return data


@dataclass
class Located:
    """A parsed, located and classified row on its way to storage; every derived value is computed once here."""

    entry: Entry
    fields: ComplaintFields
    placed: Placed
    result: RowResult
    classified: Classification
    phone_hash: str | None
    seen: Seen | None = None


@dataclass
class PreparedBatch:
    """A batch located and classified, not yet stored."""

    entries: list[Entry]
    results: list[RowResult | None]
    work: list[Located]


def prepare_batch(entries: list[Entry], ctx: IntakeContext) -> PreparedBatch:
    """Locate and classify a batch (pure: no database, no clock)."""
    results: list[RowResult | None] = [None] * len(entries)
    parsed = [(i, e) for i, e in enumerate(entries) if e.fields is not None]
    with timed(ctx, "locate"):
        placed = ctx.places.place_many([e.fields for _, e in parsed])  # type: ignore[misc]
    started = time.perf_counter()
    work: list[Located] = []
    for (i, entry), where in zip(parsed, placed, strict=True):
        f = entry.fields
        assert f is not None
        result = RowResult(entry.row_no, f.channel, f.external_id, "accepted", reason="; ".join(f.warnings) or None)
        _fill_location(result, where)
        if where.problem is not None:
            entries[i].error = where.problem
            entries[i].channel, entries[i].external_id = f.channel, f.external_id
            continue
        enterprise_involved = bool(result.enterprise or f.reported_party)
        classified = ctx.classifier.classify(f.text, enterprise_involved=enterprise_involved, hint=f.category_hint)
        result.categories, result.signals = classified.categories, classified.signals
        result.priority, result.urgent = classified.priority, classified.urgent
        work.append(Located(entry, f, where, result, classified, phone_hash(f.phone)))
        results[i] = result
    ctx.timings["classify"] += time.perf_counter() - started
    return PreparedBatch(entries, results, work)


@contextmanager
def timed(ctx: IntakeContext, phase: str) -> Iterator[None]:
    """Add the time spent in the block to ``ctx.timings[phase]``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        ctx.timings[phase] += time.perf_counter() - started


def _fill_location(result: RowResult, where: Placed) -> None:
    loc = where.location
    if loc is None:
        return
    result.lon, result.lat = round(loc.lon, 7), round(loc.lat, 7)
    result.community, result.enterprise, result.grid, result.district = loc.community, loc.enterprise, loc.grid, loc.district
    result.near_boundary = loc.near_boundary
    result.nearby_enterprises = [{"name": n.name, "distance_m": round(n.distance_m, 1)} for n in loc.nearby_enterprises]

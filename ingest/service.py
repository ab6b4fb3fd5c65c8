"""Take complaints in: locate, classify, de-duplicate, store, and put each one in a case.

One call handles a batch (a file is cut into batches; the API sends batches of one). Geometry,
classification and duplicate checks are done for the whole batch in memory, the rows go in with
COPY, then every accepted complaint is put in a case through ``dispatch.cases`` — a new one, or the
case of the event it duplicates or the burst it belongs to. Rows that cannot be taken go to
``quarantine`` with the raw row and the reason. The caller owns the transaction.
"""

from __future__ import annotations

import secrets
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch.cases import NewCase, attach_complaints, open_cases
from envpetition.geo_crs import to_metric
from ingest import repository as repo
from ingest.classify import Classification, Classifier, category_label, default_classifier
from ingest.dedupe import DedupeRules, RecentComplaints, Seen, judge
from ingest.fields import ComplaintFields
from ingest.locating import Placed, Places
from ingest.privacy import phone_hash

STATUSES = ("accepted", "duplicate", "quarantined")
TARGETED_BATCH = 200  # up to this many rows without a shared memory, read only the neighbourhood


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
    join_case_id: int | None = None  # the intake seat chose this open case instead of a new one


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
class _Work:
    entry: Entry
    fields: ComplaintFields
    placed: Placed
    result: RowResult
    classified: Classification | None = None
    seen: Seen | None = None


class DedupeMemory:
    """Recent complaints kept in memory across the batches of one import.

    The database is read once per time span (each batch only adds what its window newly covers);
    complaints of this import are added as they are judged, so no batch re-reads earlier ones.
    """

    def __init__(self, rules: DedupeRules, *, targeted: bool = False) -> None:
        self.targeted = targeted  # one small batch (the API): read only what is near it
        self.recent = RecentComplaints(rules)
        self.known: set[int] = set()
        self.lo: datetime | None = None
        self.hi: datetime | None = None

    def cover(self, conn: psycopg.Connection[Any], start: datetime, end: datetime, work: list[_Work]) -> None:
        """Make sure every stored complaint received between start and end (near ``work``) is known."""
        if self.lo is None or self.hi is None:
            spans = [(start, end)]
        else:
            spans = [(a, b) for a, b in ((start, self.lo), (self.hi, end)) if a < b]
        for a, b in spans:
            if self.targeted:
                lons = [w.result.lon for w in work if w.result.lon is not None]
                lats = [w.result.lat for w in work if w.result.lat is not None]
                rules = self.recent.rules
                radius = max(rules.burst_radius_m, rules.duplicate_place_m, rules.repeat_place_m)
                margin = radius * 1.3 / 80_000  # degrees; a degree of longitude is over 80 km south of 44 N
                bbox = ((min(lons) - margin, min(lats) - margin, max(lons) + margin, max(lats) + margin)
                        if lons else (0.0, 0.0, 0.0, 0.0))
                phones = [h for h in (phone_hash(w.fields.phone) for w in work) if h]
                communities = [w.placed.location.community_id for w in work
                               if w.placed.location and w.placed.location.community_id]
                found = repo.recent_complaints_near(conn, a, b, bbox, phones, communities)
            else:
                found = repo.recent_complaints(conn, a, b)
            rows = [r for r in found if int(r[0]) not in self.known]
            with_point = [r for r in rows if r[3] is not None]
            xs, ys = to_metric([r[3] for r in with_point], [r[4] for r in with_point])
            metric = {int(r[0]): (float(x), float(y)) for r, x, y in zip(with_point, xs, ys, strict=True)}
            for cid, channel, at, _, _, cats, ph, case_id, case_open, opened_at, community_id in rows:
                x, y = metric.get(int(cid), (None, None))
                self.add(Seen(int(cid), channel, at, x, y, frozenset(cats), ph, case_id, bool(case_open), opened_at,
                              community_id))
        self.lo = start if self.lo is None else min(self.lo, start)
        self.hi = end if self.hi is None else max(self.hi, end)

    def add(self, seen: Seen) -> None:
        self.known.add(seen.key)
        self.recent.add(seen)


@dataclass
class PreparedBatch:
    """A batch located and classified, not yet stored: ``prepare_batch`` needs no database, so an
    importer prepares the next batch on a thread while this one waits on PostgreSQL."""

    entries: list[Entry]
    results: list[RowResult | None]
    work: list[tuple[int, _Work]]


def ingest_batch(conn: psycopg.Connection[Any], entries: list[Entry], ctx: IntakeContext, *, source: str,
                 now: datetime, memory: DedupeMemory | None = None) -> list[RowResult]:
    """Import one batch; return one result per entry, in order. The caller owns the transaction.

    Pass the same ``memory`` to every batch of one import so duplicates are judged across batches
    without reading the database again.
    """
    return store_batch(conn, prepare_batch(entries, ctx), ctx, source=source, now=now, memory=memory)


def prepare_batch(entries: list[Entry], ctx: IntakeContext) -> PreparedBatch:
    """Locate and classify a batch (pure: no database, no clock)."""
    results: list[RowResult | None] = [None] * len(entries)
    parsed = [(i, e) for i, e in enumerate(entries) if e.fields is not None]
    with _timed(ctx, "locate"):
        placed = ctx.places.place_many([e.fields for _, e in parsed])  # type: ignore[misc]
    started = time.perf_counter()
    work: list[tuple[int, _Work]] = []
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
        work.append((i, _Work(entry, f, where, result, classified)))
        results[i] = result
    ctx.timings["classify"] += time.perf_counter() - started
    return PreparedBatch(entries, results, work)


def store_batch(conn: psycopg.Connection[Any], prepared: PreparedBatch, ctx: IntakeContext, *, source: str,
                now: datetime, memory: DedupeMemory | None = None) -> list[RowResult]:
    """Quarantine, de-duplicate, store and case a prepared batch; see ``ingest_batch``."""
    entries, results, work = prepared.entries, prepared.results, prepared.work
    _quarantine_unless_imported(conn, entries, results, source)
    accepted, twins = _drop_already_imported(conn, work)
    _judge_and_store(conn, accepted, ctx, now=now,
                     memory=memory or DedupeMemory(ctx.rules, targeted=len(entries) <= TARGETED_BATCH))
    for first, twin in twins:
        twin.duplicate_of = twin.complaint_id = first.result.complaint_id
        twin.case_id = first.result.case_id
    return [r for r in results if r is not None]


@contextmanager
def _timed(ctx: IntakeContext, phase: str) -> Iterator[None]:
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


def _quarantine_unless_imported(conn: psycopg.Connection[Any], entries: list[Entry], results: list[RowResult | None],
                                source: str) -> None:
    """Quarantine the rows that could not be taken, unless a person already fixed and imported them."""
    waiting = [i for i, r in enumerate(results) if r is None]
    known = _already_imported(conn, [(entries[i].channel, entries[i].external_id) for i in waiting])
    for i in waiting:
        entry = entries[i]
        hit = known.get((entry.channel or "", entry.external_id or ""))
        if hit is not None:
            results[i] = RowResult(entry.row_no, entry.channel, entry.external_id, "duplicate", complaint_id=hit[0],
                                   case_id=hit[1], duplicate_of=hit[0], reason="already imported")
        else:
            results[i] = _quarantine(conn, entry, source)


def _already_imported(conn: psycopg.Connection[Any], keys: list[tuple[str | None, str | None]]
                      ) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(channel, external id) -> (complaint id, case id) for the keys already stored."""
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        if channel and external_id:
            by_channel.setdefault(channel, []).append(external_id)
    return {(ch, ext): hit for ch, ids in by_channel.items() for ext, hit in repo.existing_ids(conn, ch, ids).items()}


def _quarantine(conn: psycopg.Connection[Any], entry: Entry, source: str) -> RowResult:
    reason = entry.error or "unreadable row"
    kind = "needs_location" if reason.startswith("needs location") else "bad_row"
    qid = repo.quarantine(conn, source=source, row_no=entry.row_no, raw=entry.raw, reason=reason, kind=kind,
                          channel=entry.channel, external_id=entry.external_id)
    return RowResult(entry.row_no, entry.channel, entry.external_id, "quarantined", reason=reason, quarantine_id=qid)


def _drop_already_imported(conn: psycopg.Connection[Any], work: list[tuple[int, _Work]]
                           ) -> tuple[list[_Work], list[tuple[_Work, RowResult]]]:
    """Rows imported before (same channel and external id) change nothing: status duplicate."""
    known = _already_imported(conn, [(w.fields.channel, w.fields.external_id) for _, w in work])
    fresh: list[_Work] = []
    twins: list[tuple[_Work, RowResult]] = []
    first_in_batch: dict[tuple[str, str], _Work] = {}
    for _, w in work:
        key = (w.fields.channel, w.fields.external_id)
        if key in known:
            w.result.status, w.result.reason = "duplicate", "already imported"
            w.result.duplicate_of, w.result.case_id = known[key]
            w.result.complaint_id = known[key][0]
        elif key in first_in_batch:
            w.result.status, w.result.reason = "duplicate", "same external id earlier in this import"
            twins.append((first_in_batch[key], w.result))
        else:
            first_in_batch[key] = w
            fresh.append(w)
    return fresh, twins


def _judge_and_store(conn: psycopg.Connection[Any], work: list[_Work], ctx: IntakeContext, *, now: datetime,
                     memory: DedupeMemory) -> None:
    if not work:
        return
    rules = ctx.rules
    work.sort(key=lambda w: (w.fields.received_at, w.result.row or 0))
    earliest = min(w.fields.received_at for w in work) - timedelta(days=rules.repeat_days)
    latest = max(w.fields.received_at for w in work) + timedelta(hours=max(rules.duplicate_hours, rules.burst_hours))
    started = time.perf_counter()
    memory.cover(conn, earliest, latest, work)
    recent = memory.recent
    ids = repo.next_complaint_ids(conn, len(work))
    xs, ys = to_metric([w.result.lon or 0.0 for w in work], [w.result.lat or 0.0 for w in work])
    new_cases: dict[int, _Work] = {}
    for n, (w, cid) in enumerate(zip(work, ids, strict=True)):
        w.result.complaint_id = cid
        ph = phone_hash(w.fields.phone)
        w.seen = Seen(cid, w.fields.channel, w.fields.received_at, float(xs[n]), float(ys[n]),
                      frozenset(w.result.categories), ph, None, True, w.fields.received_at,
                      w.placed.location.community_id if w.placed.location else None)
        verdict = judge(w.seen, recent)
        if w.entry.join_case_id is not None:  # a person on the phone knows better than the rules
            verdict.case_key = w.entry.join_case_id
            verdict.reason = f"受理员并入案件 {w.entry.join_case_id} / joined case {w.entry.join_case_id} by the seat"
        w.result.duplicate_of, w.result.repeat_of = verdict.duplicate_of, verdict.repeat_of
        if verdict.duplicate_of is not None:
            w.result.status = "duplicate"
        if verdict.reason:
            w.result.reason = "; ".join(filter(None, [w.result.reason, verdict.reason]))
        if verdict.case_key is None:
            w.seen.case_key = -cid  # placeholder until the case exists
            new_cases[-cid] = w
        else:
            w.seen.case_key = verdict.case_key
            w.seen.case_opened_at = None
        memory.add(w.seen)
    ctx.timings["dedupe"] += time.perf_counter() - started
    with _timed(ctx, "dispatch.open_case"):
        opened = _open_cases(conn, work, new_cases, ctx, now=now)
    for placeholder, case_id in opened.items():
        memory.recent.case_sizes[case_id] += memory.recent.case_sizes.pop(placeholder, 0)
    started = time.perf_counter()
    repo.copy_complaints(conn, (_complaint_row(w) for w in work))
    repo.copy_contacts(conn, ((w.result.complaint_id, w.fields.name, w.fields.phone, w.seen.phone_hash if w.seen else None)
                              for w in work if w.fields.name or w.fields.phone))
    ctx.timings["copy"] += time.perf_counter() - started
    with _timed(ctx, "dispatch.attach_complaint"):
        _attach(conn, work, ctx, now=now)


def _complaint_row(w: _Work) -> tuple[Any, ...]:
    f, r, loc = w.fields, w.result, w.placed.location
    assert loc is not None and w.classified is not None
    r.receipt_token = secrets.token_urlsafe(12)
    nearby = [{"id": n.area_id, "name": n.name, "distance_m": round(n.distance_m, 1)} for n in loc.nearby_enterprises]
    return (r.complaint_id, f.channel, f.external_id, f.received_at, f.text, f.address, f.reported_party, f.raw_lon,
            f.raw_lat, f.source_crs if f.raw_lon is not None else None, loc.lon, loc.lat, loc.community_id,
            loc.enterprise_id, loc.grid_id, loc.district_id, Jsonb(nearby), r.categories, r.urgent, r.near_boundary,
            r.duplicate_of, r.repeat_of, r.receipt_token, w.placed.source, r.priority, r.signals, f.method, f.warnings,
            r.case_id)


def case_title(w: _Work) -> str:
    loc = w.placed.location
    place = (loc.community or loc.enterprise or loc.district) if loc else None
    place = place or (w.fields.address or "")[:30] or "未定位"
    return f"{place} · {'、'.join(category_label(c) for c in w.result.categories)}"


def _open_cases(conn: psycopg.Connection[Any], work: list[_Work], new_cases: dict[int, _Work],
                ctx: IntakeContext, *, now: datetime) -> dict[int, int]:
    """Open one case per new event in one dispatch call (clocks, team, order) and give every complaint its case id."""
    teams = repo.teams_for_grids(conn, [w.placed.location.grid_id for w in new_cases.values()
                                        if w.placed.location and w.placed.location.grid_id])
    news = []
    for w in new_cases.values():
        loc = w.placed.location
        assert loc is not None
        news.append(NewCase(
            title=case_title(w), opened_at=w.fields.received_at, priority=w.result.priority or "normal",
            categories=list(w.result.categories), team_id=teams.get(loc.grid_id) if loc.grid_id else None,
            community_id=loc.community_id, enterprise_id=loc.enterprise_id, grid_id=loc.grid_id,
            lon=loc.lon, lat=loc.lat,
        ))
        w.result.opened_case = True
    ids = open_cases(conn, news, actor=ctx.actor, role=ctx.role,
                     now=[ctx.event_time(w.fields, now) for w in new_cases.values()])
    case_ids = dict(zip(new_cases, ids, strict=True))
    for w in work:
        assert w.seen is not None and w.seen.case_key is not None
        w.seen.case_key = w.result.case_id = case_ids.get(w.seen.case_key, w.seen.case_key)
    return case_ids


def _attach(conn: psycopg.Connection[Any], work: list[_Work], ctx: IntakeContext, *, now: datetime) -> None:
    """Record each complaint on its case through dispatch, the whole batch in one call."""
    attach_complaints(conn, [(w.result.case_id, w.result.complaint_id) for w in work],  # type: ignore[misc]
                      actor=ctx.actor, now=[ctx.event_time(w.fields, now) for w in work])

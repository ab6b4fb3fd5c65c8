"""Store a prepared intake batch: quarantine, de-duplicate, put each complaint in a case, write it.

The order, per batch: rows that could not be taken go to ``quarantine`` with the raw row and the
reason; rows imported before change nothing; the rest are judged against recent complaints
(``ingest.dedupe_memory``) in receipt order; then ONE call to ``dispatch.cases.take_complaints``
opens the new cases (clocks, team, order) and records every complaint on its case, and returns the
case ids, which go into the complaint rows written with COPY. The caller owns the transaction.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from dispatch.cases import Joining, NewCase, take_complaints
from ingest import repository as repo
from ingest.batch import Entry, IntakeContext, Located, PreparedBatch, RowResult, prepare_batch, timed
from ingest.classify import category_label
from ingest.dedupe import PendingCase, Seen, judge
from ingest.dedupe_memory import TARGETED_BATCH, DedupeMemory


def ingest_batch(conn: psycopg.Connection[Any], entries: list[Entry], ctx: IntakeContext, *, source: str,
                 now: datetime, memory: DedupeMemory | None = None) -> list[RowResult]:
    """Import one batch; return one result per entry, in order. The caller owns the transaction.

    Pass the same ``memory`` to every batch of one import so duplicates are judged across batches
    without reading the database again.
    """
    return store_batch(conn, prepare_batch(entries, ctx), ctx, source=source, now=now, memory=memory)


def store_batch(conn: psycopg.Connection[Any], prepared: PreparedBatch, ctx: IntakeContext, *, source: str,
                now: datetime, memory: DedupeMemory | None = None) -> list[RowResult]:
    """Quarantine, de-duplicate, store and case a prepared batch; see ``ingest_batch``."""
    entries, results, work = prepared.entries, prepared.results, prepared.work
    _quarantine_unless_imported(conn, entries, results, source)
    accepted, twins = _drop_already_imported(conn, work)
    memory = memory or DedupeMemory(ctx.rules, ctx.metric_crs, targeted=len(entries) <= TARGETED_BATCH)
    _judge_and_store(conn, accepted, ctx, now=now, memory=memory)
    for first, twin in twins:
        twin.duplicate_of = twin.complaint_id = first.result.complaint_id
        twin.case_id = first.result.case_id
    return [r for r in results if r is not None]


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


def _drop_already_imported(conn: psycopg.Connection[Any], work: list[Located]
                           ) -> tuple[list[Located], list[tuple[Located, RowResult]]]:
    """Rows imported before (same channel and external id) change nothing: status duplicate."""
    known = _already_imported(conn, [(w.fields.channel, w.fields.external_id) for w in work])
    fresh: list[Located] = []
    twins: list[tuple[Located, RowResult]] = []
    first_in_batch: dict[tuple[str, str], Located] = {}
    for w in work:
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


def _judge_and_store(conn: psycopg.Connection[Any], work: list[Located], ctx: IntakeContext, *, now: datetime,
                     memory: DedupeMemory) -> None:
    if not work:
        return
    rules = ctx.rules
    work.sort(key=lambda w: (w.fields.received_at, w.result.row or 0))
    earliest = min(w.fields.received_at for w in work) - timedelta(days=rules.repeat_days)
    latest = max(w.fields.received_at for w in work) + timedelta(hours=max(rules.duplicate_hours, rules.burst_hours))
    started = time.perf_counter()
    memory.cover(conn, earliest, latest, work)
    ids = repo.next_complaint_ids(conn, len(work))
    # the case an opening complaint will open -> (its index among the new cases, the complaint's index in work)
    pending: dict[PendingCase, tuple[int, int]] = {}
    for n, (w, cid) in enumerate(zip(work, ids, strict=True)):
        loc = w.placed.location
        assert loc is not None
        w.result.complaint_id = cid
        w.seen = Seen(cid, w.fields.channel, w.fields.received_at, loc.x, loc.y, frozenset(w.result.categories),
                      w.phone_hash, None, True, w.fields.received_at, loc.community_id)
        verdict = judge(w.seen, memory.recent)
        w.result.duplicate_of, w.result.repeat_of = verdict.duplicate_of, verdict.repeat_of
        if verdict.duplicate_of is not None:
            w.result.status = "duplicate"
        if verdict.reason:
            w.result.reason = "; ".join(filter(None, [w.result.reason, verdict.reason]))
        if verdict.case_key is None:
            key = PendingCase(cid)
            pending[key] = (len(pending), n)
            w.seen.case_key = key
            w.result.opened_case = True
        else:
            w.seen.case_key = verdict.case_key
            w.seen.case_opened_at = None
        memory.add(w.seen)
    ctx.timings["dedupe"] += time.perf_counter() - started
    with timed(ctx, "dispatch.take_complaints"):
        _take(conn, work, pending, ctx, now=now, memory=memory)
    with timed(ctx, "copy"):
        repo.copy_complaints(conn, (_complaint_row(w) for w in work))
        repo.copy_contacts(conn, ((w.result.complaint_id, w.fields.name, w.fields.phone, w.phone_hash)
                                  for w in work if w.fields.name or w.fields.phone))


def _take(conn: psycopg.Connection[Any], work: list[Located], pending: dict[PendingCase, tuple[int, int]],
          ctx: IntakeContext, *,
          now: datetime, memory: DedupeMemory) -> None:
    """The batch's one dispatch call: open the new cases, record every complaint on its case; keep the ids."""
    opening = [w for w in work if w.result.opened_case]
    news = [_new_case(w) for w in opening]
    joinings = []
    for w in work:
        key = w.seen.case_key if w.seen else None
        assert key is not None
        if isinstance(key, PendingCase):
            joinings.append(Joining(w.result.complaint_id, ctx.event_time(w.fields, now), new=pending[key][0]))  # type: ignore[arg-type]
        else:
            joinings.append(Joining(w.result.complaint_id, ctx.event_time(w.fields, now), case_id=key))  # type: ignore[arg-type]
    case_ids = take_complaints(conn, news, [ctx.event_time(w.fields, now) for w in opening], joinings,
                               actor=ctx.actor, role=ctx.role)
    for key, (_, position) in pending.items():
        memory.opened(key, case_ids[position])
    for w, case_id in zip(work, case_ids, strict=True):
        assert w.seen is not None
        w.seen.case_key = w.result.case_id = case_id


def _new_case(w: Located) -> NewCase:
    """The case a complaint that starts a new event opens; dispatch chooses the team (grid first)."""
    loc = w.placed.location
    assert loc is not None
    return NewCase(title=case_title(w), opened_at=w.fields.received_at, priority=w.result.priority or "normal",
                   categories=list(w.result.categories), community_id=loc.community_id,
                   enterprise_id=loc.enterprise_id, grid_id=loc.grid_id, lon=loc.lon, lat=loc.lat)


def _complaint_row(w: Located) -> tuple[Any, ...]:
    f, r, loc = w.fields, w.result, w.placed.location
    assert loc is not None
    r.receipt_token = secrets.token_urlsafe(12)
    nearby = [{"id": n.area_id, "name": n.name, "distance_m": round(n.distance_m, 1)} for n in loc.nearby_enterprises]
    return (r.complaint_id, f.channel, f.external_id, f.received_at, f.text, f.address, f.reported_party, f.raw_lon,
            f.raw_lat, f.source_crs if f.raw_lon is not None else None, loc.lon, loc.lat, loc.community_id,
            loc.enterprise_id, loc.grid_id, loc.district_id, Jsonb(nearby), r.categories, r.urgent, r.near_boundary,
            r.duplicate_of, r.repeat_of, r.receipt_token, w.placed.source, r.priority, r.signals, f.method, f.warnings,
            r.case_id)


def case_title(w: Located) -> str:
    loc = w.placed.location
    place = (loc.community or loc.enterprise or loc.district) if loc else None
    place = place or (w.fields.address or "")[:30] or "未定位"
    return f"{place} · {'、'.join(category_label(c) for c in w.result.categories)}"

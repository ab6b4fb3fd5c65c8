"""Recent complaints kept in memory across the batches of one import, for the duplicate rules."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import psycopg

from dispatch.views import case_openings
from envpetition.geo_crs import to_metric
from ingest import repository as repo
from ingest.batch import Located
from ingest.dedupe import CaseKey, DedupeRules, RecentComplaints, Seen

TARGETED_BATCH = 200  # up to this many rows without a shared memory, read only the neighbourhood


class DedupeMemory:
    """Recent complaints kept in memory across the batches of one import.

    The database is read once per time span (each batch only adds what its window newly covers);
    complaints of this import are added as they are judged, so no batch re-reads earlier ones.
    """

    def __init__(self, rules: DedupeRules, metric_crs: str, *, targeted: bool = False) -> None:
        self.targeted = targeted  # one small batch (the API): read only what is near it
        self.metric_crs = metric_crs
        self.recent = RecentComplaints(rules)
        self.known: set[int] = set()
        self.lo: datetime | None = None
        self.hi: datetime | None = None

    def cover(self, conn: psycopg.Connection[Any], start: datetime, end: datetime, work: list[Located]) -> None:
        """Make sure every stored complaint received between start and end (near ``work``) is known."""
        if self.lo is None or self.hi is None:
            spans = [(start, end)]
        else:
            spans = [(a, b) for a, b in ((start, self.lo), (self.hi, end)) if a < b]
        for a, b in spans:
            found = self._read(conn, a, b, work)
            rows = [r for r in found if int(r[0]) not in self.known]
            with_point = [r for r in rows if r[3] is not None]
            xs, ys = to_metric([r[3] for r in with_point], [r[4] for r in with_point], self.metric_crs)
            metric = {int(r[0]): (float(x), float(y)) for r, x, y in zip(with_point, xs, ys, strict=True)}
            cases = case_openings(conn, {int(r[7]) for r in rows if r[7] is not None})
            for cid, channel, at, _, _, cats, ph, case_id, community_id in rows:
                x, y = metric.get(int(cid), (None, None))
                case_open, opened_at = cases.get(case_id, (True, None))  # no case yet counts as open
                self.add(Seen(int(cid), channel, at, x, y, frozenset(cats), ph, case_id, case_open, opened_at,
                              community_id))
        self.lo = start if self.lo is None else min(self.lo, start)
        self.hi = end if self.hi is None else max(self.hi, end)

    def _read(self, conn: psycopg.Connection[Any], start: datetime, end: datetime,
              work: list[Located]) -> list[tuple[Any, ...]]:
        if not self.targeted:
            return repo.recent_complaints(conn, start, end)
        lons = [w.result.lon for w in work if w.result.lon is not None]
        lats = [w.result.lat for w in work if w.result.lat is not None]
        rules = self.recent.rules
        radius = max(rules.burst_radius_m, rules.duplicate_place_m, rules.repeat_place_m)
        bbox = (0.0, 0.0, 0.0, 0.0)
        if lons:
            dlat = radius * 1.3 / 110_000  # degrees; a degree of latitude is over 110 km
            dlon = dlat / math.cos(math.radians(min(max(abs(v) for v in lats) + dlat, 89.0)))
            bbox = (min(lons) - dlon, min(lats) - dlat, max(lons) + dlon, max(lats) + dlat)
        phones = [w.phone_hash for w in work if w.phone_hash]
        communities = [w.placed.location.community_id for w in work
                       if w.placed.location and w.placed.location.community_id]
        return repo.recent_complaints_near(conn, start, end, bbox, phones, communities)

    def add(self, seen: Seen) -> None:
        self.known.add(seen.key)
        self.recent.add(seen)

    def opened(self, pending: CaseKey, case_id: int) -> None:
        """A case this import was going to open now has its id: count its complaints under it."""
        self.recent.case_sizes[case_id] += self.recent.case_sizes.pop(pending, 0)

"""Duplicates, repeat complainants and bursts: pure rules over recent complaints.

* duplicate: the same event reported twice — a shared category, within ``duplicate_hours``, and
  the same phone (any channel) or, through another channel (12369 vs 12345), the same place
  (within ``duplicate_place_m``) when that first report is still alone in its case. The duplicate
  joins the first report's case.
* burst: complaints sharing a category within ``burst_radius_m`` and ``burst_hours`` of a complaint
  whose case is still open join that case: many complaints, one case.
* repeat: the same phone, or the same place (``repeat_place_m``) and category, seen before within
  ``repeat_days`` but not part of the same case: flagged ``repeat_of`` for the intake seat.

Distances are metres in the city's projection (``envpetition.geo_crs.metric_crs_for``); candidates are bucketed
in square grids (and the short-window rules in time slices too) so every check looks at nine
squares only (see ``RecentComplaints``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DedupeRules:
    duplicate_hours: float = 6.0
    duplicate_place_m: float = 300.0
    burst_hours: float = 3.0
    burst_radius_m: float = 500.0
    burst_max_span_hours: float = 24.0
    repeat_days: float = 30.0
    repeat_place_m: float = 100.0


@dataclass
class Seen:
    """A complaint already known (in the database or earlier in this batch)."""

    key: int  # complaint id
    channel: str
    received_at: datetime
    x: float | None  # metres in the city's projection
    y: float | None
    categories: frozenset[str]
    phone_hash: str | None
    case_key: CaseKey | None  # the case id, or the case this batch will open
    case_open: bool = True
    case_opened_at: datetime | None = None
    community_id: int | None = None


@dataclass(eq=False, frozen=True)
class PendingCase:
    """The case a complaint of the batch being judged will open; equal only to itself until dispatch gives the id."""

    opened_by: int  # the complaint id


CaseKey = int | PendingCase


@dataclass
class Verdict:
    duplicate_of: int | None = None
    repeat_of: int | None = None
    case_key: CaseKey | None = None  # join this case; None = open a new one
    reason: str | None = None


@dataclass
class RecentComplaints:
    """Index of recent complaints by place cell and phone hash.

    Each rule looks only where it can match. The duplicate and burst rules (hours, a few hundred
    metres) read ``cells``: squares of ``coarse_m`` cut into time slices of twice ``window_s``, so
    a check reads two slices of nine squares, not a month of them. The repeat rule (30 days but
    ``repeat_place_m``) reads ``fine``: squares of that size. Either returns a superset of what its
    rules accept; ``judge`` applies the exact distances and windows.
    """

    rules: DedupeRules
    items: list[Seen] = field(default_factory=list)
    cells: dict[tuple[int, int, str, int], list[tuple[int, Seen]]] = field(default_factory=lambda: defaultdict(list))
    fine: dict[tuple[int, int, str], list[Seen]] = field(default_factory=lambda: defaultdict(list))
    phones: dict[str, list[Seen]] = field(default_factory=lambda: defaultdict(list))
    no_place: dict[tuple[int, str], list[Seen]] = field(default_factory=lambda: defaultdict(list))
    case_sizes: Counter[CaseKey] = field(default_factory=Counter)

    @property
    def coarse_m(self) -> float:
        # the squares of the one-index version: the burst rule's tie-break order stays the same
        return max(self.rules.burst_radius_m, self.rules.duplicate_place_m, self.rules.repeat_place_m, 1.0)

    @property
    def fine_m(self) -> float:
        return max(self.rules.repeat_place_m, 1.0)

    @property
    def window_s(self) -> float:
        """The longest window of the duplicate and burst rules, in seconds."""
        return max(self.rules.duplicate_hours, self.rules.burst_hours, 0.001) * 3600

    def _slice(self, seconds: float) -> int:
        # slices twice the window wide: t ± window spans two of them (three when it ends on an edge)
        return int(math.floor(seconds / (2 * self.window_s)))

    def add(self, seen: Seen) -> None:
        self.items.append(seen)
        if seen.case_key is not None:
            self.case_sizes[seen.case_key] += 1
        # Indexed per category: every rule but the phone one needs a shared category.
        for category in seen.categories:
            if seen.x is not None and seen.y is not None:
                cx, cy = _square(seen.x, seen.y, self.coarse_m)
                # the position in ``items`` keeps the order of adding across time slices
                self.cells[(cx, cy, category, self._slice(seen.received_at.timestamp()))].append((len(self.items), seen))
                self.fine[(*_square(seen.x, seen.y, self.fine_m), category)].append(seen)
            elif seen.community_id is not None:
                self.no_place[(seen.community_id, category)].append(seen)
        if seen.phone_hash:
            self.phones[seen.phone_hash].append(seen)

    def near_in_time(self, new: Seen) -> list[tuple[Seen, float]]:
        """Known complaints sharing a category with ``new`` within ``coarse_m`` and ``window_s`` of it
        (and more), with their distance in metres; without coordinates the same community counts as 0 m.

        Per category and square they come in the order they were added (the burst rule's tie-break).
        """
        at, reach = new.received_at.timestamp(), self.window_s + 1.0  # a second more than float rounding
        slices = range(self._slice(at - reach), self._slice(at + reach) + 1)  # two, rarely three

        def around(x: float, y: float, category: str) -> Iterator[Seen]:
            cx, cy = _square(x, y, self.coarse_m)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    square = [hits for t in slices if (hits := self.cells.get((cx + dx, cy + dy, category, t)))]
                    if len(square) > 1:
                        square = [sorted((hit for hits in square for hit in hits), key=_position)]
                    for hits in square:
                        for _, s in hits:
                            yield s

        return self._near(new, around)

    def near_place(self, new: Seen) -> list[tuple[Seen, float]]:
        """Known complaints sharing a category with ``new`` within ``fine_m`` of it (and more), at any time."""

        def around(x: float, y: float, category: str) -> Iterator[Seen]:
            cx, cy = _square(x, y, self.fine_m)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    yield from self.fine.get((cx + dx, cy + dy, category), ())

        return self._near(new, around)

    def _near(self, new: Seen, around: Callable[[float, float, str], Iterator[Seen]]) -> list[tuple[Seen, float]]:
        found: dict[int, tuple[Seen, float]] = {}
        x, y = new.x, new.y
        # Sorted: frozenset order follows the process's string hash seed, and the burst tie-break
        # takes candidates in the order found, so unsorted the same data could join another case.
        for category in sorted(new.categories):
            if new.community_id is not None:
                for s in self.no_place.get((new.community_id, category), ()):
                    found[s.key] = (s, 0.0)
            if x is None or y is None:
                continue
            for s in around(x, y, category):
                if s.key not in found:
                    found[s.key] = (s, math.hypot(s.x - x, s.y - y))  # type: ignore[operator]
        return list(found.values())


def _square(x: float, y: float, size: float) -> tuple[int, int]:
    return int(math.floor(x / size)), int(math.floor(y / size))


def _position(hit: tuple[int, Seen]) -> int:
    return hit[0]


def judge(new: Seen, recent: RecentComplaints) -> Verdict:
    """Decide duplicate / burst / repeat for ``new`` against what is already known."""
    rules = recent.rules
    verdict = Verdict()
    dup_window = timedelta(hours=rules.duplicate_hours)
    burst_window = timedelta(hours=rules.burst_hours)
    repeat_window = timedelta(days=rules.repeat_days)

    def within(s: Seen, window: timedelta) -> bool:
        return abs(new.received_at - s.received_at) <= window

    by_phone = recent.phones.get(new.phone_hash, []) if new.phone_hash else []
    shares = [(s, d) for s, d in recent.near_in_time(new) if s.key != new.key]  # duplicate and burst
    places = [(s, d) for s, d in recent.near_place(new) if s.key != new.key]  # repeat

    # 1. Duplicate: same event, reported again (same phone, or same place through another channel).
    duplicates = [s for s in by_phone if s.categories & new.categories and within(s, dup_window)]
    # By place only when the first report stands alone: in a burst, other callers are burst members.
    duplicates += [s for s, d in shares if s.channel != new.channel and d <= rules.duplicate_place_m
                   and within(s, dup_window) and recent.case_sizes[s.case_key or 0] <= 1]
    duplicates = [s for s in duplicates if s.case_open]
    if duplicates:
        first = min(duplicates, key=lambda s: (s.received_at, s.key))
        how = "same phone" if first in by_phone else f"same place via {first.channel}"
        return Verdict(duplicate_of=first.key, case_key=first.case_key, reason=f"same event as complaint {first.key} ({how})")

    # 2. Burst: one category around one place in a short window -> the same (open) case.
    burst = [s for s, d in shares if d <= rules.burst_radius_m and within(s, burst_window) and s.case_open
             and s.case_key is not None
             and (s.case_opened_at is None or new.received_at - s.case_opened_at <= timedelta(hours=rules.burst_max_span_hours))]
    if burst:
        verdict.case_key = min(burst, key=lambda s: abs((new.received_at - s.received_at).total_seconds())).case_key

    # 3. Repeat: same person, or same place and category, within N days, not this case.
    repeats = [s for s in by_phone if within(s, repeat_window) and s.received_at <= new.received_at]
    repeats += [s for s, d in places if d <= rules.repeat_place_m and within(s, repeat_window)
                and s.received_at <= new.received_at]
    repeats = [s for s in repeats if verdict.case_key is None or s.case_key != verdict.case_key]
    if repeats:
        latest = max(repeats, key=lambda s: (s.received_at, s.key))
        verdict.repeat_of = latest.key
        verdict.reason = f"repeat of complaint {latest.key}"
    return verdict

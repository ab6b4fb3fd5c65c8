"""The pre-index-change ``ingest.dedupe`` (RecentComplaints + judge), kept verbatim as the oracle for
``test_dedupe_oracle``: the time-bucketed index must give the same verdicts."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from ingest.dedupe import DedupeRules, Seen, Verdict


@dataclass
class RecentComplaints:
    """Index of recent complaints by place cell and phone hash."""

    rules: DedupeRules
    items: list[Seen] = field(default_factory=list)
    cells: dict[tuple[int, int, str], list[Seen]] = field(default_factory=lambda: defaultdict(list))
    phones: dict[str, list[Seen]] = field(default_factory=lambda: defaultdict(list))
    no_place: dict[tuple[int, str], list[Seen]] = field(default_factory=lambda: defaultdict(list))
    case_sizes: Counter[int] = field(default_factory=Counter)

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        size = max(self.rules.burst_radius_m, self.rules.duplicate_place_m, self.rules.repeat_place_m)
        return int(math.floor(x / size)), int(math.floor(y / size))

    def add(self, seen: Seen) -> None:
        self.items.append(seen)
        if seen.case_key is not None:
            self.case_sizes[seen.case_key] += 1
        # Indexed per category: every rule but the phone one needs a shared category.
        for category in seen.categories:
            if seen.x is not None and seen.y is not None:
                self.cells[(*self._cell(seen.x, seen.y), category)].append(seen)
            elif seen.community_id is not None:
                self.no_place[(seen.community_id, category)].append(seen)
        if seen.phone_hash:
            self.phones[seen.phone_hash].append(seen)

    def near(self, x: float | None, y: float | None, community_id: int | None,
             categories: frozenset[str]) -> list[tuple[Seen, float]]:
        """Known complaints sharing a category near a place, with their distance in metres.

        Without coordinates, the same community counts as 0 m.
        """
        found: dict[int, tuple[Seen, float]] = {}
        for category in categories:
            if community_id is not None:
                for s in self.no_place.get((community_id, category), ()):
                    found[s.key] = (s, 0.0)
            if x is None or y is None:
                continue
            cx, cy = self._cell(x, y)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for s in self.cells.get((cx + dx, cy + dy, category), ()):
                        if s.key not in found:
                            found[s.key] = (s, math.hypot(s.x - x, s.y - y))  # type: ignore[operator]
        return list(found.values())


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
    shares = [(s, d) for s, d in recent.near(new.x, new.y, new.community_id, new.categories) if s.key != new.key]

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
    repeats += [s for s, d in shares if d <= rules.repeat_place_m and within(s, repeat_window)
                and s.received_at <= new.received_at]
    repeats = [s for s in repeats if verdict.case_key is None or s.case_key != verdict.case_key]
    if repeats:
        latest = max(repeats, key=lambda s: (s.received_at, s.key))
        verdict.repeat_of = latest.key
        verdict.reason = f"repeat of complaint {latest.key}"
    return verdict

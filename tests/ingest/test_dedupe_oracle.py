"""The indexed ``judge`` gives the verdicts the one-index version gave, frozen in
``data/dedupe_verdicts.json.gz`` (generated once from that version before it was removed).

Random complaints (clustered places and times so every rule fires, a few without coordinates, shared
phones, two channels, equal receipt times for the burst tie-break) are judged one after another the
way the intake does it: each joins the index with the case its verdict gave it.
"""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ingest.dedupe import DedupeRules, RecentComplaints, Seen, judge

T0 = datetime(2026, 9, 1, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CATEGORIES = ("odour", "noise", "water", "dust")
FROZEN = Path(__file__).parent / "data" / "dedupe_verdicts.json.gz"


def _complaints(seed: int, count: int) -> list[Seen]:
    rng = random.Random(seed)
    hubs = [(rng.uniform(0, 20_000), rng.uniform(0, 20_000)) for _ in range(25)]
    out = []
    for key in range(1, count + 1):
        hx, hy = rng.choice(hubs)
        placed = rng.random() > 0.05
        at = T0 + timedelta(minutes=rng.choice([rng.randint(0, 60 * 24 * 50), 600, 601]))
        out.append(Seen(key, rng.choice(["12369", "12345"]), at,
                        hx + rng.gauss(0, 400) if placed else None, hy + rng.gauss(0, 400) if placed else None,
                        frozenset(rng.sample(CATEGORIES, rng.choice([1, 1, 2]))),
                        f"p{rng.randint(0, count // 3)}" if rng.random() < 0.4 else None, None,
                        community_id=rng.randint(1, 6) if rng.random() < 0.8 else None))
    out.sort(key=lambda s: (s.received_at, s.key))
    return out


def _verdicts(index: RecentComplaints, complaints: list[Seen]) -> list[list]:
    out = []
    for s in complaints:
        new = Seen(s.key, s.channel, s.received_at, s.x, s.y, s.categories, s.phone_hash, None,
                   community_id=s.community_id)
        verdict = judge(new, index)
        new.case_key = verdict.case_key if verdict.case_key is not None else -new.key  # synthetic case keys
        new.case_open = new.key % 7 != 0  # a few cases closed
        index.add(new)
        out.append([verdict.duplicate_of, verdict.repeat_of, verdict.case_key, verdict.reason])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(("name", "rules"), [
    ("default", DedupeRules()), ("tight", DedupeRules(repeat_place_m=600.0, burst_hours=8.0, duplicate_hours=2.0))])
def test_indexed_judge_gives_the_frozen_verdicts(seed, name, rules):
    with gzip.open(FROZEN, "rt", encoding="utf-8") as fh:
        expected = json.load(fh)[f"{name}-{seed}"]
    got = _verdicts(RecentComplaints(rules), _complaints(seed, 3000))
    kinds = Counter("dup" if d else "burst" if c is not None else "new" for d, _, c, _ in expected)
    assert kinds["dup"] > 20 and kinds["burst"] > 20 and sum(r is not None for _, r, _, _ in expected) > 20
    assert got == expected

"""What each plant smells of, and what each complaint says it smells of.

Two editable tables under ``monitoring/data/``: ``odour_profiles.csv`` (industry keyword → odour
types and HJ 212 pollutant codes) and ``odour_descriptors.csv`` (a word in a complaint → odour type).
An enterprise's own attributes ``odour_types`` / ``pollutants`` (lists) override its industry's row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
ODOUR_TYPES = ("sulfide", "ammonia", "tar", "solvent", "putrid", "rubber", "acid", "chemical", "smoke", "dust")
ODOUR_LABELS = {
    "sulfide": "臭鸡蛋/硫化氢 rotten egg", "ammonia": "氨味 ammonia", "tar": "焦油/煤气 tar, coal gas",
    "solvent": "油漆/溶剂 paint, solvent", "putrid": "腐臭/粪便 putrid", "rubber": "橡胶/塑料焦糊 burnt rubber",
    "acid": "酸味/刺激 acid", "chemical": "化学味 chemical", "smoke": "烟味 smoke", "dust": "粉尘 dust",
}


@dataclass(frozen=True)
class Profile:
    """The odour types and pollutants a plant emits ('' source = unknown industry)."""

    odour_types: frozenset[str]
    pollutants: frozenset[str]
    source: str


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@lru_cache(maxsize=1)
def industry_table() -> tuple[tuple[str, frozenset[str], frozenset[str]], ...]:
    """(keyword, odour types, pollutants) rows in file order."""
    out = []
    for row in _rows("odour_profiles.csv"):
        types = frozenset(t.strip() for t in row["odour_types"].split(";") if t.strip())
        unknown = types - set(ODOUR_TYPES)
        if unknown:
            raise ValueError(f"odour_profiles.csv: unknown odour type(s) {sorted(unknown)} for {row['industry']}")
        out.append((row["industry"].strip(), types,
                    frozenset(p.strip() for p in row["pollutants"].split(";") if p.strip())))
    return tuple(out)


@lru_cache(maxsize=1)
def descriptor_table() -> tuple[tuple[str, str], ...]:
    """(term, odour type), longest terms first so that 刺鼻的氨 wins over shorter words."""
    rows = [(r["term"].strip(), r["odour_type"].strip()) for r in _rows("odour_descriptors.csv")]
    bad = {t for _, t in rows} - set(ODOUR_TYPES)
    if bad:
        raise ValueError(f"odour_descriptors.csv: unknown odour type(s) {sorted(bad)}")
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def profile_for(industry: str | None, attributes: Mapping[str, Any] | None = None) -> Profile:
    """The profile of an enterprise: its own override, else its industry's row, else unknown.

    >>> sorted(profile_for("焦化").odour_types), profile_for("水泥").source
    (['ammonia', 'sulfide', 'tar'], '水泥')
    >>> sorted(profile_for("焦化", {"odour_types": ["solvent"]}).odour_types)
    ['solvent']
    >>> profile_for(None).source
    ''
    """
    attrs = attributes or {}
    text = (industry or "").lower()
    base = next(((k, t, p) for k, t, p in industry_table() if k.lower() in text), None) if text else None
    types = frozenset(attrs["odour_types"]) if attrs.get("odour_types") else (base[1] if base else frozenset())
    pollutants = frozenset(attrs["pollutants"]) if attrs.get("pollutants") else (base[2] if base else frozenset())
    source = "override" if attrs.get("odour_types") else (base[0] if base else "")
    return Profile(types, pollutants, source)


def descriptors(text: str | None) -> frozenset[str]:
    """Odour types a complaint's text names.

    >>> sorted(descriptors("晚上一股臭鸡蛋味，还有点煤气味"))
    ['sulfide', 'tar']
    >>> descriptors("有异味") == frozenset()
    True
    """
    found: set[str] = set()
    rest = text or ""
    for term, kind in descriptor_table():
        if term in rest:
            found.add(kind)
            rest = rest.replace(term, " ")
    return frozenset(found)


def relevant_pollutants(profiles: Iterable[Profile]) -> frozenset[str]:
    """Every pollutant some candidate emits (the monitors worth reading)."""
    out: set[str] = set()
    for p in profiles:
        out |= p.pollutants
    return frozenset(out)

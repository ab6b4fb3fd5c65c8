"""Odour-type evidence: what the complainants smell against what the plant emits."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitoring.evidence.model import Complaint, Evidence
from monitoring.odour_profiles import ODOUR_LABELS, ODOUR_TYPES, Profile

K = len(ODOUR_TYPES)


def descriptor_llr(described: frozenset[str], profile: Profile, confusion: float) -> float:
    """Log-likelihood ratio of one complaint's odour words under this plant against any odour.

    A complainant names one of the plant's odour types with probability 1 - ``confusion``
    (evenly among them) and any type at random otherwise; the reference is a type at random.
    A plant of unknown industry, or a complaint naming no type, carries no evidence (0).

    >>> coke = Profile(frozenset({"tar", "sulfide", "ammonia"}), frozenset(), "焦化")
    >>> paint = Profile(frozenset({"solvent"}), frozenset(), "涂装")
    >>> [round(descriptor_llr(frozenset({"sulfide"}), p, 0.2), 2) for p in (coke, paint)]
    [1.05, -1.61]
    """
    if not described or not profile.odour_types:
        return 0.0
    total = 0.0
    for d in described:
        hit = (1.0 - confusion) / len(profile.odour_types) if d in profile.odour_types else 0.0
        total += float(np.log((hit + confusion / K) * K))
    return total


def odour_terms(complaints: Sequence[Complaint], profiles: Sequence[Profile], *, confusion: float,
                cap: float) -> list[Evidence]:
    """For each candidate: the summed descriptor LLRs (at most ``cap`` complaints' worth)."""
    described = [c.descriptors for c in complaints if c.descriptors]
    counts: dict[str, int] = {}
    for d in described:
        for t in d:
            counts[t] = counts.get(t, 0) + 1
    said = "、".join(f"{ODOUR_LABELS[t].split(' ')[0]}×{n}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    said_en = ", ".join(f"{ODOUR_LABELS[t].split(' ', 1)[1]}×{n}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    out = []
    for prof in profiles:
        if not described:
            out.append(Evidence("odour", 0.0, "投诉未描述气味类型", "no complaint names the kind of smell"))
            continue
        if not prof.odour_types:
            out.append(Evidence("odour", 0.0, "该企业行业气味未知", "the plant's odour profile is unknown"))
            continue
        # Complaints repeat a handful of word sets: score each set once.
        llrs = {d: descriptor_llr(d, prof, confusion) for d in set(described)}
        llr = float(np.mean([llrs[d] for d in described])) * min(len(described), cap)
        emits = "、".join(ODOUR_LABELS[t].split(" ")[0] for t in sorted(prof.odour_types))
        emits_en = ", ".join(ODOUR_LABELS[t].split(" ", 1)[1] for t in sorted(prof.odour_types))
        matched = sum(1 for d in described if d & prof.odour_types)
        out.append(Evidence(
            "odour", llr, f"投诉描述 {said}；该企业排放 {emits}（{matched}/{len(described)} 相符）",
            f"complaints say {said_en}; it emits {emits_en} ({matched} of {len(described)} match)",
            {"matched": matched, "described": len(described), "profile": sorted(prof.odour_types),
             "profile_source": prof.source}))
    return out

"""History evidence: earlier incidents whose investigation confirmed this plant."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitoring.evidence.model import Candidate, Evidence


def history_terms(candidates: Sequence[Candidate], confirmed_total: int, *, weight: float) -> list[Evidence]:
    """log((k + 1/2) / (N / M + 1/2)) for a plant confirmed in k of N confirmed incidents among M plants.

    >>> from monitoring.odour_profiles import Profile
    >>> p = Profile(frozenset(), frozenset(), "")
    >>> cands = [Candidate(1, "a", 0, 0, p, confirmed=3), Candidate(2, "b", 0, 0, p)]
    >>> [round(e.llr, 2) for e in history_terms(cands, 3, weight=1.0)]
    [0.56, -1.39]
    """
    m = max(len(candidates), 1)
    out = []
    for c in candidates:
        if confirmed_total <= 0:
            out.append(Evidence("history", 0.0, "暂无已查实的历史事件", "no confirmed incidents yet"))
            continue
        llr = weight * float(np.log((c.confirmed + 0.5) / (confirmed_total / m + 0.5)))
        out.append(Evidence("history", llr, f"历史查实为该企业 {c.confirmed}/{confirmed_total} 次",
                            f"confirmed as the source in {c.confirmed} of {confirmed_total} earlier incidents",
                            {"confirmed": c.confirmed, "total": confirmed_total}))
    return out

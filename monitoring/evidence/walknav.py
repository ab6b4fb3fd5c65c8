"""Walk-navigation evidence: background-subtracted peaks along a vehicle's track downwind of a plant."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from monitoring.evidence.model import Evidence, WalkPeak
from monitoring.odour_profiles import Profile

Float = NDArray[np.float64]


def walknav_terms(peaks: Sequence[WalkPeak], align: Float, dist: Float, profiles: Sequence[Profile], *,
                  pd0: float, pd_scale_m: float, base_rate: float, cap: float) -> list[Evidence]:
    """For each candidate: LLR summed over peaks of a pollutant it emits, by how well each points at it.

    ``align[k, j]`` (0-1): the air at peak k came from candidate j; ``dist[k, j]`` metres apart.

    >>> p = Profile(frozenset(), frozenset({"a24088"}), "x")
    >>> pk = [WalkPeak("W01", 0, 0, 0, "a24088", 8.0, 0.9)]
    >>> [round(e.llr, 2) for e in walknav_terms(pk, np.array([[1.0, 0.0]]), np.array([[500., 500.]]), [p, p],
    ...                                          pd0=0.6, pd_scale_m=3000, base_rate=0.1, cap=4)]
    [1.64, 0.0]
    """
    out = []
    for j, prof in enumerate(profiles):
        llrs, used = [], []
        for k, pk in enumerate(peaks):
            if pk.pollutant not in prof.pollutants:
                continue
            a = float(align[k, j])
            pd = pd0 / (1.0 + dist[k, j] / pd_scale_m)
            llrs.append(float(np.log((a * pd + (1 - a) * base_rate) / base_rate)))
            if llrs[-1] > 0.3:
                used.append(f"{pk.sensor_id} {pk.pollutant} {pk.value:g}/{pk.background:g}")
        llr = float(np.clip(sum(sorted(llrs, reverse=True)[:3]), -cap, cap)) if llrs else 0.0
        out.append(Evidence("walknav", llr,
                            f"{len(used)} 个走航峰值位于其下风向" + (f"（{'; '.join(used[:3])}）" if used else ""),
                            f"{len(used)} walk-navigation peaks downwind of it" + (f" ({'; '.join(used[:3])})" if used else ""),
                            {"peaks": used}))
    return out

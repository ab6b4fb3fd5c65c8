"""Which enterprise most likely caused a complaint: a pure, explainable ranking.

A complaint about air (odour, exhaust, dust) points upwind: the source lies in the direction the wind
comes from. Each enterprise near the complaint scores on four pieces of evidence, each shown to the
monitoring staff in plain words (seed 000: "全过程分析溯源" with online monitoring and 走航):

* proximity      1 - distance / radius (0 at the edge of the search radius)
* wind           +1 if the enterprise lies within 45° of where the wind came from, +0.5 within 90°,
                 +0.5 for everyone when no wind was measured (no evidence either way)
* exceedances    +1 per exceedance event at the enterprise's own monitors in the window (at most 3)
* walk-navigation peaks  +0.5 per peak attached to it in the window (at most 2)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

UPWIND_DEG = 45.0
SIDEWIND_DEG = 90.0


@dataclass
class Candidate:
    enterprise_id: int
    name: str
    distance_m: float
    bearing_deg: float  # from the complaint to the enterprise, clockwise from north
    exceedances: int = 0
    peaks: int = 0
    score: float = 0.0
    evidence: list[str] = field(default_factory=list)


def bearing_deg(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Initial bearing from point 1 to point 2 in degrees clockwise from north (0–360).

    >>> round(bearing_deg(117.80, 30.94, 117.80, 30.95)), round(bearing_deg(117.80, 30.94, 117.81, 30.94))
    (0, 90)
    """
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlon = math.radians(lon2 - lon1)
    x = math.sin(dlon) * math.cos(phi2)
    y = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlon)
    return math.degrees(math.atan2(x, y)) % 360.0


def angle_between(a: float, b: float) -> float:
    """Smallest angle between two bearings (0–180)."""
    diff = abs(a - b) % 360.0
    return 360.0 - diff if diff > 180.0 else diff


def circular_mean_deg(directions: list[float], weights: list[float] | None = None) -> float | None:
    """Mean of directions in degrees (wind from 350° and 10° averages to 0°, not 180°)."""
    if not directions:
        return None
    weights = weights or [1.0] * len(directions)
    s = sum(w * math.sin(math.radians(d)) for d, w in zip(directions, weights, strict=True))
    c = sum(w * math.cos(math.radians(d)) for d, w in zip(directions, weights, strict=True))
    if abs(s) < 1e-12 and abs(c) < 1e-12:
        return None
    return math.degrees(math.atan2(s, c)) % 360.0


def rank_candidates(candidates: list[Candidate], *, wind_from_deg: float | None, radius_m: float) -> list[Candidate]:
    """Score every candidate (see the module docstring) and return them best first."""
    for cand in candidates:
        proximity = max(0.0, 1.0 - cand.distance_m / radius_m)
        cand.evidence = [f"距离 {cand.distance_m:.0f} 米 / {cand.distance_m:.0f} m away"]
        if wind_from_deg is None:
            wind = 0.5
            cand.evidence.append("无风向数据 / no wind measured")
        else:
            off = angle_between(cand.bearing_deg, wind_from_deg)
            wind = 1.0 if off <= UPWIND_DEG else 0.5 if off <= SIDEWIND_DEG else 0.0
            label = "上风向" if wind == 1.0 else "侧风向" if wind == 0.5 else "下风向"
            cand.evidence.append(f"{label}（偏离来风 {off:.0f}°）/ {off:.0f}° off the wind's origin")
        exceed = min(cand.exceedances, 3)
        peaks = min(cand.peaks, 2)
        if cand.exceedances:
            cand.evidence.append(f"厂界监测超标 {cand.exceedances} 次 / {cand.exceedances} exceedances at its monitors")
        if cand.peaks:
            cand.evidence.append(f"走航峰值 {cand.peaks} 处 / {cand.peaks} walk-navigation peaks")
        cand.score = round(proximity + wind + exceed + 0.5 * peaks, 3)
    return sorted(candidates, key=lambda c: (-c.score, c.distance_m))

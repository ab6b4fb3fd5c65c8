"""Repeat complainants (counts only, never identity) and repeat sites (≥ 3 complaints in 30 days)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from envpetition.geo_crs import to_metric, to_wgs84
from ingest import views as complaints_views
from ingest.views import ComplaintFilter


def repeat_complainant_rows(conn: Any, where: ComplaintFilter, names: dict[int, str], min_count: int,
                            days: int) -> list[dict[str, Any]]:
    """Repeat complainants numbered 1…n (no name, phone or hash), most complaints first."""
    rows = complaints_views.repeat_complainants(conn, where, min_count=min_count, window_days=days)
    return [{"no": i, "complaints": int(r["complaints"]), "most_in_30_days": int(r["most_in_window"]),
             "first_at": r["first_at"].isoformat(), "last_at": r["last_at"].isoformat(),
             "channels": sorted(r["channels"] or []),
             "community_id": r["main_community_id"], "community": names.get(r["main_community_id"]),
             "communities": sorted(names.get(c, str(c)) for c in (r["community_ids"] or []))}
            for i, r in enumerate(rows, 1)]


def repeat_sites(points: list[tuple[Any, ...]], names: dict[int, str], *, site_m: float, min_count: int,
                 days: int, crs: str) -> list[dict[str, Any]]:
    """Places (``site_m`` squares) with ``min_count`` or more complaints within ``days`` days.

    ``points`` are (id, lon, lat, received_at, community_id, categories) rows.

    Examples
    --------
    >>> from datetime import datetime
    >>> pts = [(d, 117.81, 30.94, datetime(2026, 9, d), None, ["odour"]) for d in (1, 5, 9)]
    >>> repeat_sites(pts, {}, site_m=100, min_count=3, days=30, crs="EPSG:4548")[0]["complaints"]
    3
    """
    if not points:
        return []
    x, y = to_metric([p[1] for p in points], [p[2] for p in points], crs)
    keys = np.floor(x / site_m).astype(np.int64) * 10_000_000 + np.floor(y / site_m).astype(np.int64)
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    window = timedelta(days=days)
    found = []
    for group in np.nonzero(counts >= min_count)[0]:  # only places with enough complaints at all
        members = order[starts[group]:starts[group] + counts[group]].tolist()
        times = sorted(points[i][3] for i in members)
        best, lo = 0, 0
        for hi in range(len(times)):
            while times[hi] - times[lo] > window:
                lo += 1
            best = max(best, hi - lo + 1)
        if best < min_count:
            continue
        lon, lat = to_wgs84([float(np.mean(x[members]))], [float(np.mean(y[members]))], crs)
        communities = [points[i][4] for i in members if points[i][4]]
        main = max(set(communities), key=communities.count) if communities else None
        cats: dict[str, int] = {}
        for i in members:
            for c in points[i][5] or []:
                cats[c] = cats.get(c, 0) + 1
        found.append({"lon": round(float(lon[0]), 6), "lat": round(float(lat[0]), 6), "complaints": len(members),
                      "most_in_30_days": best, "first_at": times[0].isoformat(), "last_at": times[-1].isoformat(),
                      "community_id": main, "community": names.get(main) if main else None,
                      "categories": sorted(cats, key=lambda c: -cats[c])[:3]})
    found.sort(key=lambda r: (-r["most_in_30_days"], -r["complaints"]))
    for i, row in enumerate(found, 1):
        row["no"] = i
    return found

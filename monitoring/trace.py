"""The old pollution trace of one case (3 km radius, proximity bonus, 45° wind step).

Superseded by the incident trace (``monitoring/trace_service.py``, docs/trace.md); kept as the
baseline that ``bench/trace_speed.py`` and ``bench/trace_eval.py`` measure the new trace against.

Distances are measured in the metric CRS of ``envpetition.geo_crs`` (to each enterprise's centroid).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.views import case_brief
from envpetition.areas import current_areas
from envpetition.geo_crs import distance_m
from monitoring.archive_reads import archived_rows
from monitoring.trace_rules import Candidate, bearing_deg, circular_mean_deg, rank_candidates

WIND_CODES = ("a01008", "a01008:1h", "a01007", "a01007:1h")
WIND = """
select r.sensor_id, r.pollutant, r.ts, r.value from readings r join sensors s on s.id = r.sensor_id
where s.kind = 'met' and r.pollutant = any(%s)
  and r.ts >= %s and r.ts < %s and r.value is not null and (r.flag is null or r.flag = 'N')
"""
MET_SENSORS = "select id from sensors where kind = 'met'"
FIXED_SENSORS = "select id, name, lon, lat, enterprise_id, pollutants, units from sensors where kind = 'fixed' and lon is not null"
EXCEEDANCES = """
select e.sensor_id, e.pollutant, e.averaging, e.standard, e.limit_value, e.unit, e.verified, e.started_at,
       e.ended_at, e.peak_value, e.peak_at, e.enterprise_id
from exceedances e where e.started_at < %s and e.ended_at > %s order by e.started_at
"""
PEAKS = "select enterprise_id, count(*) from walknav_peaks where ts >= %s and ts < %s and enterprise_id is not null group by 1"

WIND_HOURS = 3  # the wind that carried the smell: the hours before the complaint


def _wind(conn: psycopg.Connection[Any], at: datetime) -> dict[str, float | None]:
    start, end = at - timedelta(hours=WIND_HOURS), at + timedelta(minutes=1)
    found = {(s, p, t): v for s, p, t, v in conn.execute(WIND, (list(WIND_CODES), start, end)).fetchall()}
    met = [m for (m,) in conn.execute(MET_SENSORS).fetchall()]
    for s, p, t, v, f in archived_rows(conn, start, end, ["sensor_id", "pollutant", "ts", "value", "flag"],
                                       sensors=met, pollutants=WIND_CODES):
        if v is not None and f in (None, "N"):
            found.setdefault((s, p, t), v)
    rows = [(p, v) for (_s, p, _t), v in found.items()]
    directions = [float(v) for p, v in rows if p.startswith("a01008")]
    speeds = [float(v) for p, v in rows if p.startswith("a01007")]
    return {"from_deg": circular_mean_deg(directions), "speed_m_s": sum(speeds) / len(speeds) if speeds else None,
            "samples": len(directions)}


def case_trace(conn: psycopg.Connection[Any], case_id: int, *, hours_before: float = 12, hours_after: float = 6,
               radius_m: float = 3000) -> dict[str, Any] | None:
    """Everything the monitoring staff check for one case; None when the case does not exist."""
    case = case_brief(conn, case_id)
    if case is None:
        return None
    at = case["opened_at"]
    start, end = at - timedelta(hours=hours_before), at + timedelta(hours=hours_after)
    out: dict[str, Any] = {"case": case, "start": start, "end": end, "radius_m": radius_m, "wind": _wind(conn, at),
                           "candidates": [], "sensors": [], "exceedances": []}
    if case["lon"] is None:
        return out
    lon, lat = case["lon"], case["lat"]

    enterprises = current_areas(conn, ("enterprise",))
    cents = [e.geom.centroid for e in enterprises]
    dists = distance_m([lon] * len(cents), [lat] * len(cents), [c.x for c in cents], [c.y for c in cents])
    peaks = dict(conn.execute(PEAKS, (start, end)).fetchall())
    with conn.cursor(row_factory=dict_row) as cur:
        exceedances = cur.execute(EXCEEDANCES, (end, start)).fetchall()
        sensors = cur.execute(FIXED_SENSORS).fetchall()
    per_enterprise: dict[int, int] = {}
    for e in exceedances:
        if e["enterprise_id"] is not None:
            per_enterprise[e["enterprise_id"]] = per_enterprise.get(e["enterprise_id"], 0) + 1
    candidates = [
        Candidate(int(area.id), area.name, float(d), bearing_deg(lon, lat, c.x, c.y),  # type: ignore[arg-type]
                  exceedances=per_enterprise.get(int(area.id), 0),  # type: ignore[arg-type]
                  peaks=int(peaks.get(area.id, 0)))
        for area, c, d in zip(enterprises, cents, dists, strict=True) if d <= radius_m
    ]
    out["candidates"] = rank_candidates(candidates, wind_from_deg=out["wind"]["from_deg"], radius_m=radius_m)

    if sensors:
        sd = distance_m([lon] * len(sensors), [lat] * len(sensors), [s["lon"] for s in sensors], [s["lat"] for s in sensors])
        for sensor, d in zip(sensors, sd, strict=True):
            sensor["distance_m"] = float(d)
        out["sensors"] = sorted((s for s in sensors if s["distance_m"] <= radius_m), key=lambda s: s["distance_m"])
    near = {s["id"] for s in out["sensors"]}
    out["exceedances"] = [e for e in exceedances if e["sensor_id"] in near]
    return out

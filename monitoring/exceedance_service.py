"""Find exceedances in stored readings, keep them as events, open proactive cases (未诉先办).

An exceedance at a monitor within ``NEAR_COMMUNITY_M`` of a community opens a proactive case
through ``dispatch.cases.open_case``, or adds the evidence to that community's open proactive case.
Distances are measured in the city's metric projection (``envpetition.geo_crs``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.cases import NewCase, open_case
from dispatch.events import record_event
from dispatch.views import open_proactive_case
from envpetition.areas import current_areas
from envpetition.localtime import LOCAL_BIN_ORIGIN_SQL
from monitoring.archive_reads import archived_buckets, archived_rows, merge_buckets
from monitoring.exceedances import MERGE_GAP, events_over, hourly_laeq, hourly_means, windows_for
from monitoring.flags import VALID_READING_SQL
from monitoring.limits import NOISE_CODE, Limit, applicable, load_limits, unit_factor
from monitoring.nearest import nearest

NEAR_COMMUNITY_M = 1000.0
ACTOR = "monitoring"

SELECT_FIXED_SENSORS = "select * from sensors where kind = 'fixed' and area_class is not null"
SELECT_MINUTES = f"""
select date_bin('1 minute', ts, {LOCAL_BIN_ORIGIN_SQL}), avg(value), count(*) from readings
where sensor_id = %s and pollutant = %s and ts >= %s and ts < %s and {VALID_READING_SQL}
group by 1 order by 1
"""
SELECT_RAW_VALID = f"""
select ts, value from readings where sensor_id = %s and pollutant = %s and ts >= %s and ts < %s
and {VALID_READING_SQL} order by ts
"""
UPSERT_EXCEEDANCE = """
insert into exceedances (sensor_id, pollutant, averaging, standard, zone_class, limit_value, unit, verified,
    started_at, ended_at, peak_value, peak_at, windows, community_id, enterprise_id, detected_at)
values (%(sensor_id)s, %(pollutant)s, %(averaging)s, %(standard)s, %(zone_class)s, %(limit_value)s, %(unit)s,
    %(verified)s, %(started_at)s, %(ended_at)s, %(peak_value)s, %(peak_at)s, %(windows)s, %(community_id)s,
    %(enterprise_id)s, %(detected_at)s)
on conflict (sensor_id, pollutant, averaging, started_at) do update set ended_at = excluded.ended_at,
    peak_value = excluded.peak_value, peak_at = excluded.peak_at, windows = excluded.windows
returning id, case_id
"""
SET_CASE = "update exceedances set case_id = %s where id = %s"
# An event seen in part (the analysis window cut it, or its readings came later) is stored again whole
# once more readings arrive, under an earlier start: the parts it now contains go, their case is kept.
DROP_CONTAINED_PARTS = """
delete from exceedances where sensor_id = %(sensor_id)s and pollutant = %(pollutant)s and averaging = %(averaging)s
  and started_at > %(started_at)s and ended_at <= %(ended_at)s
returning case_id
"""

def nearest_community(conn: psycopg.Connection[Any], lon: float, lat: float) -> tuple[int | None, float | None]:
    """The nearest current community and its distance in metres (0 inside)."""
    return nearest(current_areas(conn, ("community",)), [lon], [lat])[0]


def _raw_valid(conn: psycopg.Connection[Any], sensor_id: str, code: str, start: datetime,
               end: datetime) -> list[tuple[datetime, float]]:
    rows = {ts: float(v) for ts, v in archived_rows(conn, start, end, ["ts", "value"], sensors=[sensor_id],
                                                     pollutants=[code], valid_only=True)}
    rows.update((ts, float(v)) for ts, v in conn.execute(SELECT_RAW_VALID, (sensor_id, code, start, end)).fetchall())
    return sorted(rows.items())


def _series(conn: psycopg.Connection[Any], sensor_id: str, code: str, start: datetime, end: datetime,
            noise: bool) -> tuple[list[tuple[datetime, float]], dict[datetime, float]]:
    if noise:
        raw = _raw_valid(conn, sensor_id, code, start, end)
        return raw, hourly_laeq(raw)
    hot = [{"ts": ts, "value": float(v), "n": n} for ts, v, n in conn.execute(SELECT_MINUTES, (sensor_id, code, start, end))]
    archived = archived_buckets(conn, sensor_id, start, end, timedelta(minutes=1), [code])
    minutes = [(row["ts"], float(row["value"])) for row in merge_buckets(hot, archived, ts_key="ts", pollutant=code)]
    hourly = hourly_means(minutes)
    # Hourly packets (CN=2061, stored as CODE:1h) fill hours the minute data do not cover.
    for ts, v in _raw_valid(conn, sensor_id, code + ":1h", start, end):
        hourly.setdefault(ts, v)
    return minutes, hourly


def _case_for(conn: psycopg.Connection[Any], sensor: dict[str, Any], limit: Limit, record: dict[str, Any],
              community_id: int, now: datetime) -> int:
    open_id = open_proactive_case(conn, community_id, record["started_at"] - timedelta(hours=24))
    evidence = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}
    if open_id is not None:
        record_event(conn, open_id, "exceedance_evidence", actor=ACTOR, role="monitoring", at=now, data=evidence)
        return open_id
    category = "noise" if limit.code == NOISE_CODE else ("odour" if limit.standard.startswith("GB 14554") else "air")
    case_id = open_case(conn, NewCase(
        title=f"未诉先办：{sensor['name']} {limit.pollutant} 超标（{limit.standard}）",
        opened_at=record["started_at"], priority="urgent" if record["peak_value"] > 2 * limit.value else "normal",
        categories=[category], community_id=community_id, enterprise_id=sensor.get("enterprise_id"),
        lon=sensor.get("lon"), lat=sensor.get("lat"), proactive=True,
    ), actor=ACTOR, role="monitoring", now=now)
    record_event(conn, case_id, "exceedance_evidence", actor=ACTOR, role="monitoring", at=now, data=evidence)
    return case_id


def detect_and_record(conn: psycopg.Connection[Any], *, start: datetime, end: datetime, now: datetime,
                      open_cases: bool = True, limits: list[Limit] | None = None) -> dict[str, Any]:
    """Evaluate every fixed monitor over [start, end); store events; return a summary."""
    limits = limits if limits is not None else load_limits()
    with conn.cursor(row_factory=dict_row) as cur:
        sensors = list(cur.execute(SELECT_FIXED_SENSORS).fetchall())
    found: list[dict[str, Any]] = []
    cases: set[int] = set()
    with conn.transaction():
        for sensor in sensors:
            role = str((sensor["attributes"] or {}).get("role") or "")
            community_id, distance = (None, None)
            if sensor["lon"] is not None:
                community_id, distance = nearest_community(conn, sensor["lon"], sensor["lat"])
            for index, code in enumerate(sensor["pollutants"]):
                rules = applicable(limits, role, sensor["area_class"], code)
                if not rules:
                    continue
                sensor_unit = sensor["units"][index] if index < len(sensor["units"]) else None
                minutes, hourly = _series(conn, sensor["id"], code, start, end, code == NOISE_CODE)
                for limit in rules:
                    factor = unit_factor(sensor_unit, limit.unit)
                    scaled_minutes = [(t, v * factor) for t, v in minutes]
                    scaled_hourly = {h: v * factor for h, v in hourly.items()}
                    windows = windows_for(limit, scaled_minutes, scaled_hourly)
                    gap = MERGE_GAP.get(limit.averaging, timedelta(0))
                    for event in events_over(windows, limit.value, gap):
                        record = {
                            "sensor_id": sensor["id"], "pollutant": code, "averaging": limit.averaging,
                            "standard": limit.standard, "zone_class": limit.zone_class, "limit_value": limit.value,
                            "unit": limit.unit, "verified": limit.verified, "started_at": event.start,
                            "ended_at": event.end, "peak_value": round(event.peak_value, 4), "peak_at": event.peak_at,
                            "windows": event.windows, "community_id": community_id,
                            "enterprise_id": sensor["enterprise_id"], "detected_at": now,
                        }
                        ex_id, case_id = conn.execute(UPSERT_EXCEEDANCE, record).fetchone()  # type: ignore[misc]
                        parts = [c for (c,) in conn.execute(DROP_CONTAINED_PARTS, record).fetchall() if c is not None]
                        if case_id is None and parts:
                            case_id = parts[0]
                            conn.execute(SET_CASE, (case_id, ex_id))
                        near = distance is not None and distance <= NEAR_COMMUNITY_M
                        if open_cases and near and case_id is None and community_id is not None:
                            case_id = _case_for(conn, sensor, limit, record, community_id, now)
                            conn.execute(SET_CASE, (case_id, ex_id))
                        if case_id is not None:
                            cases.add(case_id)
                        found.append({**record, "id": ex_id, "case_id": case_id})
    return {"exceedances": len(found), "unverified": sum(1 for f in found if not f["verified"]),
            "cases": sorted(cases), "events": found}



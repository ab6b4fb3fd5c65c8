"""What the monitoring page shows: the chosen sensors and factor, the map, one chart, the roses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import psycopg

from dashboard.basemap import base_source
from dashboard.monitoring_figures import (
    multi_sensor_figure,
    pollution_rose_figure,
    sensor_map,
    wind_rose_figure,
)
from envpetition.errors import InvalidInput
from envpetition.geo_crs import distance_m
from envpetition.runtime import local_now
from envpetition.settings import Settings
from monitoring.pollutants import pollutant_name, unit_symbol
from monitoring.queries import bucketed_many, hourly_wind, latest_values
from monitoring.roses import pollution_rose, wind_rose
from monitoring.sensors import list_sensors

BUCKETS = {"1 minute": "1 分钟", "10 minutes": "10 分钟", "1 hour": "1 小时", "1 day": "1 天"}
DEFAULT_WINDOW = timedelta(days=7)
MAX_ROSES = 4  # pollution roses drawn for the first chosen sensors
MAX_SENSORS = 8  # lines on one chart before it stops being readable


def _nearest_met(sensors: list[dict[str, Any]], near: dict[str, Any]) -> dict[str, Any] | None:
    mets = [s for s in sensors if s["kind"] == "met" and s.get("lon") is not None]
    if not mets:
        return None
    if near.get("lon") is None:
        return mets[0]
    distances = distance_m(near["lon"], near["lat"], [m["lon"] for m in mets], [m["lat"] for m in mets])
    return mets[int(distances.argmin())]


def _unit(sensor: dict[str, Any], code: str) -> str | None:
    for pollutant, unit in zip(sensor["pollutants"], sensor["units"], strict=False):
        if pollutant == code:
            return str(unit)
    return None


def monitoring_context(conn: psycopg.Connection[Any], settings: Settings, *, sensor_ids: list[str],
                       pollutant: str | None, start: datetime | None, end: datetime | None,
                       bucket: str) -> dict[str, Any]:
    """Everything the template needs; figures as plotly JSON."""
    if bucket not in BUCKETS:
        raise InvalidInput(f"bucket must be one of {', '.join(BUCKETS)}")
    sensors = list_sensors(conn)
    by_id = {s["id"]: s for s in sensors}
    unknown = [s for s in sensor_ids if s not in by_id]
    if unknown:
        raise InvalidInput(f"未知监测点 / unknown sensor {', '.join(unknown)}")
    if len(sensor_ids) > MAX_SENSORS:
        raise InvalidInput(f"一张图最多 {MAX_SENSORS} 个监测点 / at most {MAX_SENSORS} sensors on one chart")
    default = next((s["id"] for s in sensors if s["kind"] == "fixed"), sensors[0]["id"] if sensors else None)
    chosen = list(dict.fromkeys(sensor_ids)) or ([default] if default else [])
    options = list(dict.fromkeys(p for sid in chosen for p in by_id[sid]["pollutants"]))
    if pollutant is not None and pollutant not in options:
        raise InvalidInput(f"所选监测点不测 {pollutant} / none of the chosen sensors measures {pollutant}")
    code = pollutant or (options[0] if options else None)
    context: dict[str, Any] = {
        "sensors": sensors, "chosen": chosen, "code": code, "options": options, "bucket": bucket, "buckets": BUCKETS,
        "names": {p: pollutant_name(p) for p in options}, "start": start, "end": end, "series": None,
        "map": None, "roses": [], "latest": [], "unit": None,
    }
    if code is None:
        return context
    measuring = [sid for sid in chosen if code in by_id[sid]["pollutants"]]
    context.update(measuring=measuring, not_measuring=[sid for sid in chosen if sid not in measuring])
    unit = _unit(by_id[measuring[0]], code)
    located = [s["id"] for s in sensors if s.get("lon") is not None and code in s["pollutants"]]
    latest = latest_values(conn, list(dict.fromkeys(located + measuring)), code)
    # Default window: the week up to the first chosen sensor's newest reading of this factor.
    newest = latest[measuring[0]]["ts"] if measuring[0] in latest else None
    if newest is not None:  # a device clock set to 9999 must not move (or overflow) the window
        newest = min(newest, local_now())
    end = end or (newest + timedelta(seconds=1) if newest else None)
    start = start or (end - DEFAULT_WINDOW if end else None)
    context.update(start=start, end=end, unit=unit_symbol(unit))
    latest = {k: v for k, v in latest.items() if k in located}
    context["latest"] = sorted(({"sensor": by_id[k], **v} for k, v in latest.items()), key=lambda r: -r["value"])
    source = base_source(conn)
    context["map"] = sensor_map(sensors, latest, code, unit, source, settings, set(chosen)).to_json()
    if start is None or end is None:
        return context
    rows = bucketed_many(conn, measuring, code, start, end, bucket)
    if rows:
        context["series"] = multi_sensor_figure(rows, {sid: by_id[sid] for sid in measuring}, code, unit).to_json()
    met = _nearest_met(sensors, by_id[measuring[0]])
    if met is not None:
        wind = {r["hour"]: r for r in hourly_wind(conn, met["id"], start, end)
                if r["direction"] is not None and r["speed"] is not None}
        if wind:
            hours = list(wind.values())
            rose = wind_rose([h["direction"] for h in hours], [h["speed"] for h in hours])
            context["roses"].append(wind_rose_figure(rose, f"{met['id']} {met['name']}").to_json())
            hourly = rows if bucket == "1 hour" else bucketed_many(conn, measuring, code, start, end, "1 hour")
            for sid in measuring[:MAX_ROSES]:
                pairs = [(wind[r["bucket"]]["direction"], r["value"]) for r in hourly
                         if r["sensor_id"] == sid and r["bucket"] in wind]
                if pairs and sid != met["id"]:
                    prose = pollution_rose([d for d, _ in pairs], [v for _, v in pairs])
                    context["roses"].append(pollution_rose_figure(prose, f"{sid} {by_id[sid]['name']}", code,
                                                                  _unit(by_id[sid], code)).to_json())
        context["met"] = met
    return context

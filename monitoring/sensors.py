"""The sensor registry: load from CSV, list, upsert (the API manages it through these)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from envpetition.errors import InvalidInput
from envpetition.views import enterprise_id as enterprise_by_name

SENSOR_KINDS = ("fixed", "mobile", "met")
# MN type letters (TLEB + district code + type + sequence) → the monitor's role for the limit rules.
MN_ROLES = {"CJ": "boundary", "HJ": "ambient", "ZS": "noise", "QX": "met", "ZH": "mobile"}

UPSERT_SENSOR = """
insert into sensors (id, kind, name, mn, lon, lat, enterprise_id, area_class, pollutants, units, attributes)
values (%(id)s, %(kind)s, %(name)s, %(mn)s, %(lon)s, %(lat)s, %(enterprise_id)s, %(area_class)s,
        %(pollutants)s, %(units)s, %(attributes)s)
on conflict (id) do update set kind = excluded.kind, name = excluded.name, mn = excluded.mn, lon = excluded.lon,
    lat = excluded.lat, enterprise_id = excluded.enterprise_id, area_class = excluded.area_class,
    pollutants = excluded.pollutants, units = excluded.units, attributes = excluded.attributes
"""
SELECT_SENSORS = "select * from sensors order by id"
SELECT_SENSOR = "select * from sensors where id = %s"


@dataclass
class Sensor:
    id: str
    kind: str
    name: str
    mn: str | None = None
    lon: float | None = None
    lat: float | None = None
    enterprise: str | None = None
    area_class: str | None = None
    pollutants: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    role: str | None = None

    def validate(self) -> None:
        if not self.id or "/" in self.id or "+" in self.id or "#" in self.id:
            raise InvalidInput(f"传感器编号无效 / invalid sensor id {self.id!r} (no '/', '+', '#')")
        if self.kind not in SENSOR_KINDS:
            raise InvalidInput(f"传感器类型无效 / kind must be one of {', '.join(SENSOR_KINDS)}")
        if len(self.pollutants) != len(self.units):
            raise InvalidInput("污染物与单位数量不一致 / pollutants and units must pair up")
        if (self.lon is None) != (self.lat is None):
            raise InvalidInput("经纬度须同时给出 / lon and lat go together")


def role_of(sensor: Sensor) -> str:
    """boundary | ambient | noise | met | mobile (from the MN type letters, else the kind)."""
    if sensor.role:
        return sensor.role
    if sensor.mn and len(sensor.mn) >= 12 and sensor.mn[10:12] in MN_ROLES:
        return MN_ROLES[sensor.mn[10:12]]
    if sensor.kind != "fixed":
        return sensor.kind
    return "noise" if sensor.pollutants == ["LA"] else ("boundary" if sensor.enterprise else "ambient")


def save_sensor(conn: psycopg.Connection[Any], sensor: Sensor) -> None:
    """Insert or update one sensor (enterprise resolved by name among current areas), in one transaction."""
    sensor.validate()
    with conn.transaction():
        _upsert_sensor(conn, sensor)


def _upsert_sensor(conn: psycopg.Connection[Any], sensor: Sensor) -> None:
    enterprise_id = enterprise_by_name(conn, sensor.enterprise) if sensor.enterprise else None
    conn.execute(UPSERT_SENSOR, {
        "id": sensor.id, "kind": sensor.kind, "name": sensor.name, "mn": sensor.mn or None, "lon": sensor.lon,
        "lat": sensor.lat, "enterprise_id": enterprise_id, "area_class": sensor.area_class or None,
        "pollutants": sensor.pollutants, "units": sensor.units,
        "attributes": Jsonb({"role": role_of(sensor), "enterprise_name": sensor.enterprise}),
    })


def _float(text: str) -> float | None:
    return float(text) if text.strip() else None


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(";") if p.strip()]


def load_sensors_csv(conn: psycopg.Connection[Any], path: str | Path) -> int:
    """Load ``sensor_id,kind,name,mn,lon,lat,enterprise,area_class,pollutants,units``; return the count."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with conn.transaction():
        for row in rows:
            save_sensor(conn, Sensor(
                id=row["sensor_id"].strip(), kind=row["kind"].strip(), name=row["name"].strip(),
                mn=row.get("mn", "").strip() or None, lon=_float(row.get("lon", "")), lat=_float(row.get("lat", "")),
                enterprise=row.get("enterprise", "").strip() or None, area_class=row.get("area_class", "").strip() or None,
                pollutants=_split(row.get("pollutants", "")), units=_split(row.get("units", "")),
            ))
    return len(rows)


def list_sensors(conn: psycopg.Connection[Any]) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(SELECT_SENSORS).fetchall())


def get_sensor(conn: psycopg.Connection[Any], sensor_id: str) -> dict[str, Any] | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(SELECT_SENSOR, (sensor_id,)).fetchone()

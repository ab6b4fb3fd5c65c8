"""Repository of the city's areas (communities, enterprises, grids, districts) with their versions.

Geometry is kept in EPSG:4326 as WKB. Replacing an area closes the current version (``valid_to``)
and inserts the new one, so the history of a boundary survives re-imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
import shapely
from psycopg.types.json import Jsonb
from shapely.geometry.base import BaseGeometry

AREA_KINDS = ("community", "enterprise", "grid", "district")

SELECT_CURRENT = """
select id, kind, name, code, aliases, attributes, geom from areas
where valid_to is null and kind = any(%s) order by id
"""
SELECT_CURRENT_ONE = "select id, code, aliases, attributes, geom from areas where valid_to is null and kind = %s and name = %s"
CLOSE_VERSION = "update areas set valid_to = %s where id = %s"
INSERT_AREA = """
insert into areas (kind, name, code, aliases, attributes, geom, min_lon, min_lat, max_lon, max_lat, valid_from)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning id
"""


@dataclass
class Area:
    kind: str
    name: str
    geom: BaseGeometry
    code: str | None = None
    aliases: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def save_area(conn: psycopg.Connection[Any], area: Area, *, now: datetime) -> tuple[int, str]:
    """Insert or replace the current version of ``area``; return (id, 'created'|'updated'|'unchanged')."""
    if area.kind not in AREA_KINDS:
        raise ValueError(f"unknown area kind {area.kind!r}; kinds are {', '.join(AREA_KINDS)}")
    wkb = shapely.to_wkb(area.geom)
    current = conn.execute(SELECT_CURRENT_ONE, (area.kind, area.name)).fetchone()
    if current is not None:
        cur_id, code, aliases, attributes, geom = current
        if (code, list(aliases), attributes, bytes(geom)) == (area.code, area.aliases, area.attributes, wkb):
            return int(cur_id), "unchanged"
        conn.execute(CLOSE_VERSION, (now, cur_id))
    min_lon, min_lat, max_lon, max_lat = area.geom.bounds
    row = conn.execute(
        INSERT_AREA,
        (area.kind, area.name, area.code, area.aliases, Jsonb(area.attributes), wkb,
         min_lon, min_lat, max_lon, max_lat, now),
    ).fetchone()
    assert row is not None
    return int(row[0]), "created" if current is None else "updated"


def current_areas(conn: psycopg.Connection[Any], kinds: tuple[str, ...] = AREA_KINDS) -> list[Area]:
    """Every current area of the given kinds, geometry decoded."""
    rows = conn.execute(SELECT_CURRENT, (list(kinds),)).fetchall()
    return [
        Area(kind=k, name=n, code=c, aliases=list(a), attributes=attrs, geom=shapely.from_wkb(bytes(g)), id=i)
        for i, k, n, c, a, attrs, g in rows
    ]

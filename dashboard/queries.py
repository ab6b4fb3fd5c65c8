"""Read-only SQL for the shared views. No complainant identity is selected here, ever."""

from __future__ import annotations

from typing import Any

import psycopg
import shapely
from psycopg.rows import dict_row

AREAS_WITH_COUNTS = """
select a.id, a.kind, a.name, a.code, a.attributes, a.geom,
       coalesce(cc.n, 0) + coalesce(ce.n, 0) as complaints
from areas a
left join (select community_id as id, count(*) as n from complaints group by 1) cc on cc.id = a.id
left join (select enterprise_id as id, count(*) as n from complaints group by 1) ce on ce.id = a.id
where a.valid_to is null and (%(kind)s::text is null or a.kind = %(kind)s)
order by a.kind, a.name
"""

CASE_LIST = """
select c.id, c.state, c.priority, c.level, c.title, c.categories, c.opened_at, c.closed_at,
       t.name as team, com.name as community, ent.name as enterprise,
       (select count(*) from complaints x where x.case_id = c.id) as complaints,
       (select min(k.due_at) from clocks k where k.case_id = c.id and k.met_at is null) as next_due
from cases c
left join teams t on t.id = c.team_id
left join areas com on com.id = c.community_id
left join areas ent on ent.id = c.enterprise_id
where (%(state)s::text is null or c.state = %(state)s)
order by c.opened_at desc, c.id desc
limit %(limit)s offset %(offset)s
"""

TABLE_COUNTS = """
select 'areas' as t, count(*) from areas union all
select 'teams', count(*) from teams union all
select 'users', count(*) from users union all
select 'complaints', count(*) from complaints union all
select 'cases', count(*) from cases union all
select 'clocks', count(*) from clocks union all
select 'case_events', count(*) from case_events union all
select 'dispatch_orders', count(*) from dispatch_orders union all
select 'quarantine', count(*) from quarantine union all
select 'sensors', count(*) from sensors union all
select 'readings', count(*) from readings
"""


def areas_with_counts(conn: psycopg.Connection[Any], kind: str | None = None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(AREAS_WITH_COUNTS, {"kind": kind}).fetchall()
    for row in rows:
        row["geom"] = shapely.from_wkb(bytes(row["geom"]))
    return rows


def areas_geojson(conn: psycopg.Connection[Any], kind: str | None = None) -> dict[str, Any]:
    features = [
        {
            "type": "Feature",
            "id": r["id"],
            "geometry": shapely.geometry.mapping(r["geom"]),
            "properties": {"kind": r["kind"], "name": r["name"], "code": r["code"],
                           "complaints": r["complaints"], **r["attributes"]},
        }
        for r in areas_with_counts(conn, kind)
    ]
    return {"type": "FeatureCollection", "features": features}


def case_list(conn: psycopg.Connection[Any], *, state: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CASE_LIST, {"state": state, "limit": limit, "offset": offset}).fetchall()


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    return {name: int(n) for name, n in conn.execute(TABLE_COUNTS).fetchall()}

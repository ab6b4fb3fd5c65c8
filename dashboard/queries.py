"""The shared views' data (hotspot map, case list, table counts), assembled from each owner's views.

No SQL here: every table is read through the functions of the package that owns it. No complainant
identity is selected, ever.
"""

from __future__ import annotations

from typing import Any

import psycopg
import shapely

from dispatch import views as dispatch_views
from envpetition import views as core_views
from ingest import views as ingest_views
from monitoring import queries as monitoring_queries

# The home page's and the demo's summary, in this order.
COUNTED_TABLES = ("areas", "teams", "users", "complaints", "cases", "clocks", "case_events", "dispatch_orders",
                  "quarantine", "sensors", "readings")


def areas_with_counts(conn: psycopg.Connection[Any], kind: str | None = None) -> list[dict[str, Any]]:
    """Current areas with the number of complaints placed in each (as community or enterprise)."""
    rows = core_views.current_area_rows(conn, kind)
    counts = ingest_views.complaint_counts_by_area(conn)
    for row in rows:
        row["complaints"] = counts.get(row["id"], 0)
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
    """Cases, newest first, with team, places, the number of complaints and the next due time."""
    cases = dispatch_views.case_list(conn, state=state, limit=limit, offset=offset)
    counts = ingest_views.complaint_counts_by_case(conn, [c["id"] for c in cases])
    return [{**{k: v for k, v in case.items() if k != "next_due"}, "complaints": counts.get(case["id"], 0),
             "next_due": case["next_due"]} for case in cases]


def table_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Row counts of the main tables of every package."""
    counts = {**core_views.table_counts(conn), **ingest_views.table_counts(conn),
              **dispatch_views.table_counts(conn), **monitoring_queries.table_counts(conn)}
    return {name: counts[name] for name in COUNTED_TABLES}

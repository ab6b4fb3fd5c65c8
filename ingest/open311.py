"""Open311 GeoReport v2 views of our complaints (services, requests), without personal data.

Public request views never carry the complainant, the street address or the exact point: the
address is the community's name and lat/long are rounded to 0.001° (about 100 m), so a request
cannot lead back to a door. ``expected_datetime`` is the next open deadline of the complaint's
case, read through dispatch's views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.views import case_status
from ingest.classify import CATEGORIES, CATEGORY_LABELS

GROUPS = {"odour": "大气", "smoke_dust": "大气", "industrial_exhaust": "大气", "cooking_fumes": "大气",
          "noise_construction": "噪声", "noise_industrial": "噪声", "noise_social": "噪声", "noise_traffic": "噪声",
          "water": "水", "solid_waste": "固体废物", "radiation": "辐射", "ecology": "生态", "other": "其他"}
AGENCY = "生态环境局"

REQUESTS = """
select c.id, c.channel, c.external_id, c.received_at, c.text, c.lon, c.lat, c.categories, c.case_id,
       com.name as community
from complaints c
left join areas com on com.id = c.community_id
where (%(ids)s::bigint[] is null or c.id = any(%(ids)s))
  and (%(start)s::timestamptz is null or c.received_at >= %(start)s)
  and (%(end)s::timestamptz is null or c.received_at <= %(end)s)
  and (%(code)s::text is null or %(code)s = any(c.categories))
order by c.received_at desc, c.id desc
limit %(limit)s offset %(offset)s
"""


def services() -> list[dict[str, Any]]:
    """The service list: one service per complaint category."""
    return [{"service_code": code, "service_name": CATEGORY_LABELS[code], "description": f"{CATEGORY_LABELS[code]} ({code})",
             "metadata": False, "type": "realtime", "keywords": code.replace("_", ","), "group": GROUPS[code]}
            for code in CATEGORIES]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def as_request(row: dict[str, Any]) -> dict[str, Any]:
    code = (row["categories"] or ["other"])[0]
    closed = row["closed_at"] is not None
    return {
        "service_request_id": str(row["id"]),
        "status": "closed" if closed else "open",
        "status_notes": row["state"],
        "service_name": CATEGORY_LABELS.get(code, code),
        "service_code": code,
        "description": row["text"],
        "agency_responsible": AGENCY,
        "service_notice": None,
        "requested_datetime": _iso(row["received_at"]),
        "updated_datetime": _iso(row["updated_at"] or row["received_at"]),
        "expected_datetime": _iso(row["expected"]),
        "address": row["community"],
        "address_id": None,
        "zipcode": None,
        "lat": None if row["lat"] is None else round(row["lat"], 3),
        "long": None if row["lon"] is None else round(row["lon"], 3),
        "media_url": None,
    }


def find_requests(conn: psycopg.Connection[Any], *, ids: list[int] | None = None, start: datetime | None = None,
                  end: datetime | None = None, service_code: str | None = None, status: str | None = None,
                  limit: int = 1000) -> list[dict[str, Any]]:
    """Requests matching the GeoReport v2 query parameters, newest first."""
    found: list[dict[str, Any]] = []
    page = limit if status is None else max(limit, 500)  # a status filter drops rows: read ahead in pages
    offset = 0
    while len(found) < limit:
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute(REQUESTS, {"ids": ids, "start": start, "end": end, "code": service_code,
                                          "limit": page, "offset": offset}).fetchall()
        cases = case_status(conn, sorted({r["case_id"] for r in rows if r["case_id"] is not None}))
        for row in rows:
            case = cases.get(row["case_id"], {})
            row.update(state=case.get("state"), closed_at=case.get("closed_at"), updated_at=case.get("updated_at"),
                       expected=case.get("next_due"))
            if status is None or (status == "closed") == (row["closed_at"] is not None):
                found.append(row)
        if len(rows) < page:
            break
        offset += page
    return [as_request(r) for r in found[:limit]]

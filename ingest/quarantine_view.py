"""The quarantine as a person sees it: open rows, identity masked unless the viewer is intake."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from envpetition import access_log
from ingest.fields import ALIAS_LOOKUP, header_key
from ingest.privacy import mask_name, mask_phone, mask_text

OPEN_ROWS = """
select id, kind, source, row_no, channel, external_id, reason, raw, created_at from quarantine
where resolved_at is null and (%(kind)s::text is null or kind = %(kind)s)
order by created_at desc, id desc limit %(limit)s
"""
RESOLVE = """
update quarantine set resolved_at = %s, resolved_by = %s, complaint_id = %s
where id = %s and resolved_at is null returning id
"""
IDENTITY_KEYS = {"first_name", "last_name", "email"}


def mask_raw(raw: Any) -> Any:
    """The raw row with name and phone cells masked (any header the importers know for them), identity in text too."""
    if isinstance(raw, str):
        return mask_text(raw)
    if not isinstance(raw, dict):
        return raw
    out = {}
    for key, value in raw.items():
        field = ALIAS_LOOKUP.get(header_key(key))
        if field == "phone" and value is not None:
            out[key] = mask_phone(str(value))
        elif (field == "name" or key in IDENTITY_KEYS) and value is not None:
            out[key] = mask_name(str(value))
        elif isinstance(value, str):
            out[key] = mask_text(value)  # the complaint text (or any free text) may name the complainant
        else:
            out[key] = value
    return out


def open_quarantine(conn: psycopg.Connection[Any], *, kind: str | None = None, limit: int = 100,
                    unmasked: bool = False) -> list[dict[str, Any]]:
    """Open quarantine rows, newest first; identity masked unless ``unmasked`` (intake role)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(OPEN_ROWS, {"kind": kind, "limit": limit}).fetchall()
    if not unmasked:
        for row in rows:
            row["raw"] = mask_raw(row["raw"])
    return rows


def open_quarantine_for(conn: psycopg.Connection[Any], *, user_id: int, username: str, role: str, unmasked: bool,
                        now: datetime, view: str, kind: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Open quarantine rows for a logged-in user; the rows shown unmasked are written to the identity access log."""
    with conn.transaction():
        rows = open_quarantine(conn, kind=kind, limit=limit, unmasked=unmasked)
        if unmasked:
            access_log.record(conn, user_id=user_id, username=username, role=role, view=view, now=now,
                              quarantine_ids=[r["id"] for r in rows])
    return rows


FIELD_LABELS = {"external_id": "编号", "received_at": "举报时间", "name": "举报人", "phone": "联系电话",
                "reported_party": "被举报单位", "address": "地址", "lon": "经度", "lat": "纬度", "crs": "坐标系",
                "text": "举报内容", "method": "方式", "category_hint": "类别"}
FIELD_ORDER = tuple(FIELD_LABELS)


def readable(raw: Any) -> list[dict[str, Any]]:
    """The raw row as labelled fields a person can read (known fields first, in form order).

    >>> [(f["field"], f["label"], f["value"]) for f in readable({"举报内容": "异味", "x": 1})]
    [('text', '举报内容', '异味'), (None, 'x', '1')]
    """
    if not isinstance(raw, dict):
        return [{"field": None, "label": "原始内容", "value": str(raw)}]
    rows = []
    for key, value in raw.items():
        if value is None or str(value).strip() == "":
            continue
        field = ALIAS_LOOKUP.get(header_key(key))
        label = FIELD_LABELS[field] if field else str(key)
        if header_key(label) != header_key(key):
            label = f"{label}（{key}）"  # the file's own header, so the seat can find the cell
        rows.append({"field": field, "label": label, "value": str(value)})
    rank = {name: i for i, name in enumerate(FIELD_ORDER)}
    return sorted(rows, key=lambda r: rank.get(r["field"], len(rank)))

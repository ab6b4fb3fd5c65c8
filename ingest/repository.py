"""SQL of the ingest package. Functions take a connection first and never commit."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from envpetition.db import copy_rows

COMPLAINT_COLUMNS = (
    "id", "channel", "external_id", "received_at", "text", "address", "reported_party", "raw_lon", "raw_lat",
    "source_crs", "lon", "lat", "community_id", "enterprise_id", "grid_id", "district_id", "nearby_enterprises",
    "categories", "urgent", "near_boundary", "duplicate_of", "repeat_of", "receipt_token", "location_source",
    "priority", "signals", "method", "warnings", "case_id",
)
COMPLAINT_TYPES = (
    "int8", "text", "text", "timestamptz", "text", "text", "text", "float8", "float8",
    "text", "float8", "float8", "int8", "int8", "int8", "int8", "jsonb",
    "text[]", "bool", "bool", "int8", "int8", "text", "text",
    "text", "text[]", "text", "text[]", "int8",
)
COPY_COMPLAINTS = f"copy complaints ({', '.join(COMPLAINT_COLUMNS)}) from stdin (format binary)"
COPY_CONTACTS = "copy complainant_contacts (complaint_id, name, phone, phone_hash) from stdin (format binary)"
CONTACT_TYPES = ("int8", "text", "text", "text")
NEXT_IDS = "select nextval('complaints_id_seq') from generate_series(1, %s)"
EXISTING = """
select external_id, id, case_id from complaints where channel = %s and external_id = any(%s)
"""
RECENT = """
select c.id, c.channel, c.received_at, c.lon, c.lat, c.categories, k.phone_hash, c.case_id, c.community_id
from complaints c
left join complainant_contacts k on k.complaint_id = c.id
where c.received_at between %s and %s
"""
RECENT_NEAR = RECENT + """
  and ((c.lon between %s and %s and c.lat between %s and %s) or k.phone_hash = any(%s) or c.community_id = any(%s))
"""
INSERT_QUARANTINE = """
insert into quarantine (source, row_no, raw, reason, kind, channel, external_id, fingerprint)
values (%s, %s, %s, %s, %s, %s, %s, %s)
on conflict (fingerprint) where resolved_at is null do nothing
returning id
"""
FIND_QUARANTINE = "select id from quarantine where fingerprint = %s and resolved_at is null"
COMPLAINT_BY_ID = """
select c.id, c.channel, c.external_id, c.received_at, c.text, c.address, c.lon, c.lat, c.categories,
       c.priority, c.urgent, c.case_id, c.community_id, com.name as community, ent.name as enterprise,
       c.duplicate_of, c.repeat_of, c.near_boundary,
       c.receipt_token
from complaints c
left join areas com on com.id = c.community_id
left join areas ent on ent.id = c.enterprise_id
"""


def json_safe(value: Any) -> Any:
    """Make a raw row storable as JSON (NaN -> null, dates and numpy values -> text/numbers)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "item") and not hasattr(value, "isoformat"):
        return json_safe(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def fingerprint(source: str, raw: Any) -> str:
    return hashlib.sha1(f"{source}|{json.dumps(raw, sort_keys=True, ensure_ascii=False)}".encode()).hexdigest()


def quarantine(conn: psycopg.Connection[Any], *, source: str, row_no: int | None, raw: Any, reason: str, kind: str,
               channel: str | None = None, external_id: str | None = None) -> int:
    """Keep a row we could not take; the same open row is kept once. Return its quarantine id."""
    safe = json_safe(raw)
    key = fingerprint(source, safe)
    row = conn.execute(INSERT_QUARANTINE, (source, row_no, Jsonb(safe), reason, kind, channel, external_id, key)).fetchone()
    if row is None:
        row = conn.execute(FIND_QUARANTINE, (key,)).fetchone()
    assert row is not None
    return int(row[0])


def existing_ids(conn: psycopg.Connection[Any], channel: str, external_ids: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    """external_id -> (complaint id, case id) for those already imported through ``channel``."""
    if not external_ids:
        return {}
    rows = conn.execute(EXISTING, (channel, list(external_ids))).fetchall()
    return {ext: (int(cid), case_id) for ext, cid, case_id in rows}


def recent_complaints(conn: psycopg.Connection[Any], start: datetime, end: datetime) -> list[tuple[Any, ...]]:
    return conn.execute(RECENT, (start, end)).fetchall()


def recent_complaints_near(conn: psycopg.Connection[Any], start: datetime, end: datetime,
                           bbox: tuple[float, float, float, float], phone_hashes: list[str],
                           community_ids: list[int]) -> list[tuple[Any, ...]]:
    """Recent complaints inside a lon/lat box, or with one of the phones, or in one of the communities."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return conn.execute(RECENT_NEAR, (start, end, min_lon, max_lon, min_lat, max_lat, phone_hashes,
                                      community_ids)).fetchall()


def next_complaint_ids(conn: psycopg.Connection[Any], count: int) -> list[int]:
    if count == 0:
        return []
    return [int(r[0]) for r in conn.execute(NEXT_IDS, (count,)).fetchall()]


def copy_complaints(conn: psycopg.Connection[Any], rows: Iterable[Sequence[Any]]) -> None:
    """Insert complaint rows (values in COMPLAINT_COLUMNS order) with COPY."""
    copy_rows(conn, COPY_COMPLAINTS, COMPLAINT_TYPES, rows)


def copy_contacts(conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    copy_rows(conn, COPY_CONTACTS, CONTACT_TYPES, rows)


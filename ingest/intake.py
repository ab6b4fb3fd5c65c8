"""Single complaints from the API and the Open311 endpoint; reading complaints back, masked.

Service functions: each owns its transaction. The intake context (areas, trees, lexicons) is
cached per process and rebuilt when the areas change.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch.followup import vote
from dispatch.views import case_status
from envpetition.errors import InvalidInput, NotFound
from envpetition.views import areas_version
from ingest import repository as repo
from ingest.batch import Entry, IntakeContext, RowResult
from ingest.fields import HEADER_ALIASES, BadRow, fields_from_row, map_headers
from ingest.privacy import mask_name, mask_phone
from ingest.quarantine_view import RESOLVE
from ingest.readers import OPEN311_COLUMNS
from ingest.service import ingest_batch

CONTACT = "select name, phone from complainant_contacts where complaint_id = %s"
QUARANTINED = "select id, source, row_no, raw, reason, kind, channel from quarantine where id = %s and resolved_at is null for update"
COMPLAINT_ID_BY_TOKEN = "select id from complaints where receipt_token = %s"
CASE_COMPLAINTS = """
select id, channel, external_id, received_at, text, address, categories, urgent
from complaints where case_id = %s order by received_at, id
"""
CASE_OF_RECEIPT = "select id, case_id from complaints where receipt_token = %s"

_cache: dict[str, Any] = {}
_lock = threading.Lock()


def cached_context(conn: psycopg.Connection[Any]) -> IntakeContext:
    """The intake context for the current areas (rebuilt after an areas import)."""
    version = (conn.info.host, conn.info.port, *areas_version(conn))
    with _lock:
        if _cache.get("version") != version or "ctx" not in _cache:
            _cache["ctx"] = IntakeContext.load(conn)
            _cache["version"] = version
        return _cache["ctx"]  # type: ignore[no-any-return]


def submit_complaint(conn: psycopg.Connection[Any], payload: dict[str, Any], *, channel: str, now: datetime,
                     actor: str, role: str | None) -> RowResult:
    """Take one complaint (fields named as in HEADER_ALIASES' canonical names). Quarantines bad ones."""
    data = {k: v for k, v in payload.items() if v is not None}
    data.setdefault("external_id", f"{channel}-{uuid.uuid4().hex[:12]}")
    data.setdefault("received_at", now.isoformat())
    columns = {name: [name] for name in HEADER_ALIASES if name in data}
    return _ingest_one(conn, data, columns, channel=channel, now=now, actor=actor, role=role)


def _ingest_one(conn: psycopg.Connection[Any], data: dict[str, Any], columns: dict[str, list[str]], *, channel: str,
                now: datetime, actor: str, role: str | None, source: str | None = None) -> RowResult:
    ctx = cached_context(conn)
    ctx = IntakeContext(ctx.places, ctx.classifier, ctx.rules, actor=actor, role=role)
    try:
        fields = fields_from_row(data, columns, channel=channel, now=now)
        entry = Entry(None, data, fields, channel=channel, external_id=fields.external_id)
    except BadRow as exc:
        entry = Entry(None, data, None, str(exc), channel=channel, external_id=str(data.get("external_id") or ""))
    with conn.transaction():
        (result,) = ingest_batch(conn, [entry], ctx, source=source or f"{channel}:api", now=now)
    return result


def open311_payload(form: dict[str, Any]) -> dict[str, Any]:
    """Open311 POST parameters to our canonical fields."""
    name = " ".join(filter(None, [form.get("last_name"), form.get("first_name")])) or None
    return {"text": form.get("description"), "lat": form.get("lat"), "lon": form.get("long"),
            "address": form.get("address_string"), "name": name, "phone": form.get("phone"),
            "crs": form.get("crs"), "received_at": form.get("requested_datetime"),
            "category_hint": form.get("service_code")}


def complaint_view(conn: psycopg.Connection[Any], complaint_id: int, *, unmasked: bool) -> dict[str, Any]:
    """One complaint with its case; the complainant's identity masked unless ``unmasked``."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(repo.COMPLAINT_BY_ID + " where c.id = %s", (complaint_id,)).fetchone()
    if row is None:
        raise NotFound(f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
    row.pop("receipt_token")
    contact = conn.execute(CONTACT, (complaint_id,)).fetchone()
    name, phone = contact if contact else (None, None)
    row["complainant"] = ({"name": name, "phone": phone} if unmasked
                          else {"name": mask_name(name), "phone": mask_phone(phone)})
    case = case_status(conn, [row["case_id"]]).get(row["case_id"], {}) if row["case_id"] is not None else {}
    row.update(case_state=case.get("state"), case_closed_at=case.get("closed_at"), expected_datetime=case.get("next_due"))
    return row


def receipt(conn: psycopg.Connection[Any], token: str) -> dict[str, Any]:
    """The complainant's own receipt: their complaint, their details unmasked, the case's progress."""
    found = conn.execute(COMPLAINT_ID_BY_TOKEN, (token,)).fetchone()
    if found is None:
        raise NotFound("回执不存在 / receipt not found")
    view = complaint_view(conn, int(found[0]), unmasked=True)
    return {k: view[k] for k in ("id", "channel", "external_id", "received_at", "text", "categories", "case_id",
                                 "case_state", "case_closed_at", "expected_datetime", "complainant")}


def resolve_quarantined(conn: psycopg.Connection[Any], quarantine_id: int, *, lon: float, lat: float, crs: str | None,
                        now: datetime, actor: str, role: str | None) -> RowResult:
    """A person placed a 'needs location' row (or fixed its coordinates): import it, close the row.

    One transaction: the complaint is stored and its quarantine entry closed together, or neither.
    """
    with conn.transaction():
        return _resolve_quarantined(conn, quarantine_id, lon=lon, lat=lat, crs=crs, now=now, actor=actor, role=role)


def _resolve_quarantined(conn: psycopg.Connection[Any], quarantine_id: int, *, lon: float, lat: float,
                         crs: str | None, now: datetime, actor: str, role: str | None) -> RowResult:
    row = conn.execute(QUARANTINED, (quarantine_id,)).fetchone()
    if row is None:
        raise NotFound(f"隔离记录 {quarantine_id} 不存在或已处理 / quarantine row {quarantine_id} not found or resolved")
    qid, source, _, raw, _, kind, channel = row
    if kind not in ("needs_location", "bad_row") or not isinstance(raw, dict):
        raise InvalidInput("只有单条记录可以补录位置 / only single rows can be placed")
    columns = dict(OPEN311_COLUMNS) if "service_request_id" in raw else map_headers(list(raw))
    data = {**raw, "_lon": lon, "_lat": lat, "_crs": crs or "wgs84"}
    columns = {**columns, "lon": ["_lon"], "lat": ["_lat"], "crs": ["_crs"]}
    result = _ingest_one(conn, data, columns, channel=channel or "api", now=now, actor=actor, role=role,
                         source=f"{source}:resolved")
    if result.status != "quarantined":
        conn.execute(RESOLVE, (now, actor, result.complaint_id, qid))
    return result


def vote_by_receipt(conn: psycopg.Connection[Any], token: str, verdict: str, *, now: datetime,
                    comment: str | None = None) -> dict[str, Any]:
    """The complainant's satisfaction vote with their complaint's receipt token (no account needed)."""
    row = conn.execute(CASE_OF_RECEIPT, (token,)).fetchone()
    if row is None or row[1] is None:
        raise NotFound("回执号无效或尚未立案 / unknown receipt or no case yet")
    return vote(conn, row[1], verdict, via="receipt", now=now, actor="complainant", comment=comment,
                complaint_id=row[0])


def complaints_of_case(conn: psycopg.Connection[Any], case_id: int) -> list[dict[str, Any]]:
    """The complaints grouped under a case, oldest first (texts only: no complainant identity)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(CASE_COMPLAINTS, (case_id,)).fetchall()

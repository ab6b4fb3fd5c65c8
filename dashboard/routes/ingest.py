"""Routes of the ingest package: complaints API, receipts, quarantine, locate, Open311 GeoReport v2."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from dashboard.deps import current_user, get_conn, require_role
from envpetition import auth
from envpetition.errors import InvalidInput
from envpetition.runtime import local_now
from ingest import intake, open311
from ingest.classify import CATEGORIES

router = APIRouter(tags=["ingest"])
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]
CurrentUser = Annotated[auth.User, Depends(current_user)]
Intake = Annotated[auth.User, Depends(require_role(auth.INTAKE))]


class ComplaintIn(BaseModel):
    """A complaint as the intake seat or another system sends it. Coordinates in ``crs`` (blank = WGS-84)."""

    text: str = Field(min_length=1, description="举报内容 / what happened")
    received_at: datetime | None = Field(None, description="举报时间; default now")
    channel: str = Field("api", description="渠道, e.g. 12369, 12345, api")
    external_id: str | None = Field(None, description="编号 in the source system; generated when absent")
    address: str | None = None
    reported_party: str | None = Field(None, description="被举报单位")
    name: str | None = Field(None, description="举报人 (kept apart, masked)")
    phone: str | None = Field(None, description="联系电话 (kept apart, masked)")
    lon: float | None = None
    lat: float | None = None
    crs: str | None = Field(None, description="WGS84, GCJ02, BD09 or EPSG:n")


class PlaceIn(BaseModel):
    lon: float
    lat: float
    crs: str | None = None


def _result(result: Any) -> dict[str, Any]:
    data = result.as_dict()
    data["receipt_token"] = result.receipt_token
    return data


@router.post("/api/complaints", status_code=201)
def post_complaint(body: ComplaintIn, conn: Conn, user: Intake) -> dict[str, Any]:
    """Register one complaint: located, classified, de-duplicated, put in a case. Bad input is quarantined (422)."""
    payload = body.model_dump(exclude={"channel"})
    if payload["received_at"] is not None:
        payload["received_at"] = payload["received_at"].isoformat()
    result = intake.submit_complaint(conn, payload, channel=body.channel, now=local_now(), actor=user.username,
                                     role=user.role)
    if result.status == "quarantined":
        raise InvalidInput(f"已隔离待人工处理 (#{result.quarantine_id}): {result.reason} / quarantined: {result.reason}")
    return _result(result)


@router.get("/api/complaints/{complaint_id}")
def get_complaint(complaint_id: int, conn: Conn, user: CurrentUser) -> dict[str, Any]:
    """One complaint; the complainant is masked except for the intake role."""
    return intake.complaint_view(conn, complaint_id, unmasked=auth.may(user.role, auth.INTAKE))


@router.get("/api/receipts/{token}")
def get_receipt(token: str, conn: Conn) -> dict[str, Any]:
    """The complainant's own receipt (the token is the secret they were given)."""
    return intake.receipt(conn, token)


@router.get("/api/quarantine")
def get_quarantine(conn: Conn, user: CurrentUser, kind: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Open quarantine rows for a person to fix; identity masked except for intake."""
    from ingest.quarantine_view import open_quarantine

    return open_quarantine(conn, kind=kind, limit=min(max(limit, 1), 1000), unmasked=auth.may(user.role, auth.INTAKE))


@router.post("/api/quarantine/{quarantine_id}/place")
def place_quarantined(quarantine_id: int, body: PlaceIn, conn: Conn, user: Intake) -> dict[str, Any]:
    """Give a 'needs location' row its coordinates; it is imported and the quarantine row closed."""
    result = intake.resolve_quarantined(conn, quarantine_id, lon=body.lon, lat=body.lat, crs=body.crs,
                                        now=local_now(), actor=user.username, role=user.role)
    if result.status == "quarantined":
        raise InvalidInput(f"仍无法受理 / still cannot be taken: {result.reason}")
    return _result(result)


@router.get("/api/locate")
def get_locate(conn: Conn, user: CurrentUser, lon: float, lat: float, crs: str = "wgs84") -> dict[str, Any]:
    """Where a point is (community, enterprise, grid, district, nearby enterprises, near_boundary)."""
    from envpetition.geo_crs import UnknownCRS, to_wgs84

    try:
        x, y = to_wgs84([lon], [lat], crs)
    except UnknownCRS as exc:
        raise InvalidInput(str(exc)) from exc
    return intake.cached_context(conn).places.locator.locate(x, y)[0].as_dict()


# --- Open311 GeoReport v2 -------------------------------------------------------------------------

@router.get("/open311/v2/services.json")
def open311_services() -> list[dict[str, Any]]:
    return open311.services()


@router.get("/open311/v2/requests.json")
def open311_requests(
    conn: Conn, service_request_id: str | None = None, service_code: str | None = None,
    start_date: datetime | None = None, end_date: datetime | None = None,
    status: str | None = Query(None, pattern="^(open|closed)$"),
) -> list[dict[str, Any]]:
    """Requests (GeoReport v2 query parameters); no personal data, positions rounded to ~100 m."""
    ids = None
    if service_request_id:
        try:
            ids = [int(part) for part in service_request_id.split(",") if part.strip()]
        except ValueError as exc:
            raise InvalidInput("service_request_id must be numbers separated by commas") from exc
    if service_code and service_code not in CATEGORIES:
        raise InvalidInput(f"unknown service_code {service_code}")
    return open311.find_requests(conn, ids=ids, start=start_date, end=end_date, service_code=service_code,
                                 status=status, limit=1000)


@router.get("/open311/v2/requests/{request_id}.json")
def open311_request(request_id: int, conn: Conn) -> list[dict[str, Any]]:
    found = open311.find_requests(conn, ids=[request_id], limit=1)
    if not found:
        from envpetition.errors import NotFound

        raise NotFound(f"request {request_id} not found")
    return found


@router.post("/open311/v2/requests.json", status_code=201)
async def open311_post(request: Request, conn: Conn, user: Intake) -> list[dict[str, Any]]:
    """Create a request (form-encoded or JSON, GeoReport v2 fields); answers the new id and a notice."""
    if request.headers.get("content-type", "").startswith("application/json"):
        form: dict[str, Any] = await request.json()
    else:
        form = dict(await request.form())
    if not form.get("description"):
        raise InvalidInput("description is required")
    payload = intake.open311_payload(form)
    result = intake.submit_complaint(conn, payload, channel="open311", now=local_now(), actor=user.username, role=user.role)
    if result.status == "quarantined":
        raise InvalidInput(f"quarantined: {result.reason}")
    notice = f"已受理，案件 {result.case_id} / received, case {result.case_id}"
    return [{"service_request_id": str(result.complaint_id), "service_notice": notice, "account_id": None,
             "token": result.receipt_token}]

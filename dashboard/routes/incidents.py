"""JSON API of incidents and their traces (source attribution), and the investigation outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import psycopg
from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from dashboard.deps import current_user, get_conn, require_role
from envpetition import auth
from envpetition.errors import NotFound
from envpetition.localtime import LOCAL_TZ_NAME
from envpetition.runtime import local_now
from monitoring import incident_store, incident_views, trace_service

router = APIRouter(tags=["incidents"])
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]
User = Annotated[auth.User, Depends(current_user)]
INVESTIGATORS = auth.MONITORING + auth.FIELD  # who records what an investigation found


class InvestigationIn(BaseModel):
    outcome: Literal["enterprise", "other", "none"]
    enterprise_id: int | None = None
    note: str | None = None


@router.get("/api/incidents", summary="Incidents: air complaints grouped in space and time")
def list_incidents(conn: Conn, user: User, start: datetime | None = None, end: datetime | None = None,
                   min_size: Annotated[int, Query(ge=1)] = 1,
                   limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    return incident_views.list_incidents(conn, start=start, end=end, min_size=min_size, limit=limit)


@router.get("/api/incidents/accuracy", summary="The trace's top-1 / top-3 over confirmed incidents, per month")
def accuracy(conn: Conn, user: User) -> list[dict[str, Any]]:
    return incident_views.accuracy_by_month(conn, LOCAL_TZ_NAME)


@router.get("/api/incidents/{incident_id}/trace",
            summary="Ranked candidate sources of an incident, each evidence term with its log-likelihood ratio")
def incident_trace(incident_id: int, conn: Conn, user: User) -> dict[str, Any]:
    return trace_service.incident_trace(conn, incident_id)


@router.get("/api/cases/{case_id}/trace", summary="The trace of a case's incident (or of the case alone)")
def case_trace(case_id: int, conn: Conn, user: User) -> dict[str, Any]:
    return trace_service.case_trace(conn, case_id)


@router.put("/api/incidents/{incident_id}/investigation", summary="Record the confirmed source of an incident")
def put_investigation(incident_id: int, body: InvestigationIn, conn: Conn,
                      user: Annotated[auth.User, Depends(require_role(INVESTIGATORS))],
                      ) -> dict[str, Any]:
    if incident_views.get_incident(conn, incident_id) is None:
        raise NotFound(f"事件不存在 / no incident {incident_id}")
    ranking = [c["enterprise_id"] for c in trace_service.incident_trace(conn, incident_id)["candidates"]]
    incident_store.record_investigation(conn, incident_id, outcome=body.outcome, enterprise_id=body.enterprise_id,
                                        note=body.note, actor=user.username, now=local_now(), trace_ranking=ranking)
    found = incident_views.get_incident(conn, incident_id)
    assert found is not None
    found.pop("complaints")
    return found

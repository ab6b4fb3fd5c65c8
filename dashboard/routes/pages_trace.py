"""The trace page: an incident's map (complaints, hull, back-trajectories, plumes, monitors, peaks),
the CPF polar plot and the evidence table; the investigation's outcome is recorded from here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dashboard.basemap import base_source, base_style
from dashboard.templating import Conn, PageUser, templates
from dashboard.trace_figure import cpf_polar, trace_map
from envpetition import auth, permissions
from monitoring import trace_service
from monitoring.attribution import TERMS

router = APIRouter(include_in_schema=False)
TERM_LABELS = {"upwind": "上风向轨迹 upwind", "plume": "烟羽覆盖 plume", "odour": "气味类型 odour",
               "monitors": "监测异常 monitors", "cpf": "风向条件概率 CPF", "walknav": "走航峰值 walk-nav",
               "history": "历史查实 history"}


def _page(request: Request, conn: Any, user: Any, trace: dict[str, Any], title: str) -> Response:
    polar = cpf_polar(trace)
    figure = trace_map(trace)
    # The city's base map (dashboard/basemap.py) under the trace; the trace keeps its own view.
    figure.update_layout(map_style=base_style(base_source(conn), request.app.state.settings))
    return templates.TemplateResponse(request, "trace_incident.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "trace": trace, "title": title,
        "terms": TERMS, "term_labels": TERM_LABELS, "map": figure.to_json(),
        "polar": polar.to_json() if polar else None, "can_record": permissions.permits(user.role, "incident.investigation"),
    })


@router.get("/incidents/{incident_id}/trace", response_class=HTMLResponse)
def incident_trace_page(request: Request, incident_id: int, conn: Conn, user: PageUser) -> Response:
    trace = trace_service.incident_trace(conn, incident_id)
    return _page(request, conn, user, trace, f"事件 {incident_id} · incident {incident_id}")


@router.get("/cases/{case_id}/trace", response_class=HTMLResponse)
def case_trace_page(request: Request, case_id: int, conn: Conn, user: PageUser) -> Response:
    trace = trace_service.case_trace(conn, case_id)
    incident = trace.get("incident")
    title = f"案件 {case_id} · case {case_id}" + (f" · 事件 {incident['id']}" if incident else "（单起投诉 a single complaint）")
    return _page(request, conn, user, trace, title)

"""HTML pages (Chinese first). Every asset, plotly.js included, is served by the app itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import plotly
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from dashboard import queries
from dashboard.deps import SESSION_COOKIE
from dashboard.dispatch_queries import case_with_complaints
from dashboard.map_figure import hotspot_map
from dashboard.templating import Conn, PageUser, templates
from dispatch import views
from dispatch.escalation import LEVEL_AT
from dispatch.ladder import LEVEL_LABELS
from envpetition import auth
from envpetition.runtime import local_now

router = APIRouter(include_in_schema=False)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

@router.get("/assets/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(PLOTLY_JS, media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str | None = None) -> Response:
    return templates.TemplateResponse(request, "login.html", {"error": error})


@router.post("/login")
def login_form(conn: Conn, username: Annotated[str, Form()], password: Annotated[str, Form()]) -> Response:
    try:
        token = auth.login(conn, username, password, now=local_now())
    except auth.AuthError:
        return RedirectResponse("/login?error=1", status_code=303)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax")
    return response


@router.get("/logout")
def logout_page() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, conn: Conn, user: PageUser) -> Response:
    """The hotspot map and the newest cases."""
    areas = queries.areas_with_counts(conn)
    figure = hotspot_map(areas).to_json()
    ranked = sorted((a for a in areas if a["kind"] == "community"), key=lambda a: -a["complaints"])[:10]
    cases = queries.case_list(conn, state=None, limit=50, offset=0)
    return templates.TemplateResponse(request, "home.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "figure": figure, "ranked": ranked,
        "cases": cases, "counts": queries.table_counts(conn),
    })


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, conn: Conn, user: PageUser) -> Response:
    """One case: history, clocks, the complaints' texts. No complainant identity on this page."""
    case = case_with_complaints(conn, case_id)  # NotFound → 404
    ladder_view = None
    if auth.may(user.role, auth.LEADERS):
        ladder_view = {"label": LEVEL_LABELS.get(case["level"], case["level"]),
                       "history": views.ladder_history(conn, case_id), "labels": LEVEL_LABELS, "level_at": LEVEL_AT}
    return templates.TemplateResponse(request, "case.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "case": case, "now": local_now(),
        "ladder": ladder_view,
    })

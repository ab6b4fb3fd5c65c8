"""HTML pages (Chinese first). Every asset, plotly.js included, is served by the app itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import plotly
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from dashboard.basemap import base_source
from dashboard.case_map import case_map, surroundings
from dashboard.deps import SESSION_COOKIE, client_address, session_token, set_session_cookie
from dashboard.dispatch_queries import case_with_complaints
from dashboard.templating import Conn, PageUser, templates
from dispatch import views
from dispatch.escalation import LEVEL_AT
from dispatch.ladder import LEVEL_LABELS
from envpetition import auth
from envpetition.areas import current_areas
from envpetition.runtime import local_now
from ingest import label_view
from monitoring.sensors import list_sensors

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
def login_form(request: Request, conn: Conn, username: Annotated[str, Form(max_length=100)],
               password: Annotated[str, Form(max_length=200)]) -> Response:
    """Log in from the page; a new session id every time, the one the browser held before is revoked."""
    try:
        token = auth.login(conn, username, password, now=local_now(), address=client_address(request),
                           replaces=request.cookies.get(SESSION_COOKIE), hours=request.app.state.settings.session_hours)
    except auth.LoginThrottled as exc:
        return templates.TemplateResponse(request, "login.html", {"error": str(exc)}, status_code=429,
                                          headers={"Retry-After": str(exc.retry_after)})
    except auth.AuthError:
        return RedirectResponse("/login?error=1", status_code=303)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(request, response, token)
    return response


@router.get("/logout")
def logout_page(request: Request, conn: Conn) -> Response:
    """Revoke the session on the server, then forget the cookie."""
    token = session_token(request)
    if token:
        auth.logout(conn, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, conn: Conn, user: PageUser, labelled: int | None = None,
              label_error: str | None = None) -> Response:
    """One case: history, clocks, the complaints' texts. No complainant identity on this page."""
    case = case_with_complaints(conn, case_id)  # NotFound → 404; identity in the texts masked by ingest
    ladder_view = None
    if auth.may(user.role, auth.LEADERS):
        ladder_view = {"label": LEVEL_LABELS.get(case["level"], case["level"]),
                       "history": views.ladder_history(conn, case_id), "labels": LEVEL_LABELS, "level_at": LEVEL_AT}
    near = surroundings(case, current_areas(conn, ("community", "enterprise")), list_sensors(conn))
    figure = case_map(near, base_source(conn), request.app.state.settings).to_json() if near else None
    return templates.TemplateResponse(request, "case.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "case": case, "now": local_now(),
        "ladder": ladder_view, "labels": label_view.explain_complaints(conn, [x["id"] for x in case["complaints"]]),
        "choices": label_view.form_choices(), "can_label": auth.may(user.role, auth.OFFICE),
        "labelled": labelled, "label_error": label_error,
        "near": near, "figure": figure,
    })

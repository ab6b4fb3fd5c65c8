"""HTML pages (Chinese first). Every asset, plotly.js included, is served by the app itself."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import plotly
import psycopg
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from dashboard import queries
from dashboard.deps import SESSION_COOKIE, get_conn, optional_user
from dashboard.map_figure import hotspot_map
from envpetition import auth
from envpetition.runtime import local_now

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]
MaybeUser = Annotated[auth.User | None, Depends(optional_user)]

STATE_LABELS = {
    "registered": "已登记", "accepted": "已受理", "assigned": "已交办", "en_route": "赶赴中", "on_site": "已到场",
    "investigated": "已查处", "replied": "已答复", "followed_up": "已回访", "closed": "已办结",
    "archived": "已归档", "transferred": "已转办", "returned": "已退回", "reopened": "重新办理",
}
PRIORITY_LABELS = {"emergency": "特急", "urgent": "紧急", "normal": "一般"}


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
def home(request: Request, conn: Conn, user: MaybeUser) -> Response:
    """The hotspot map and the newest cases."""
    if user is None:
        return RedirectResponse("/login", status_code=303)
    areas = queries.areas_with_counts(conn)
    figure = hotspot_map(areas).to_json()
    ranked = sorted((a for a in areas if a["kind"] == "community"), key=lambda a: -a["complaints"])[:10]
    cases = queries.case_list(conn, state=None, limit=50, offset=0)
    return templates.TemplateResponse(request, "home.html", {
        "user": user, "role_label": auth.ROLE_LABELS[user.role], "figure": figure, "ranked": ranked,
        "cases": cases, "counts": queries.table_counts(conn), "states": STATE_LABELS,
        "priorities": PRIORITY_LABELS,
    })

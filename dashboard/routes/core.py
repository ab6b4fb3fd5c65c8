"""Login, health, and the shared read views (areas with counts, case list)."""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Form, HTTPException, Response
from pydantic import BaseModel

from dashboard import queries
from dashboard.deps import SESSION_COOKIE, current_user, get_conn
from envpetition import auth
from envpetition import views as core_views
from envpetition.runtime import local_now

router = APIRouter(tags=["core"])
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]
CurrentUser = Annotated[auth.User, Depends(current_user)]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str


@router.post("/api/login", response_model=Token)
def login(
    response: Response, conn: Conn, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Token:
    """Log in with a form (OAuth2 password style); returns a bearer token and sets the page cookie."""
    try:
        token = auth.login(conn, username, password, now=local_now())
    except auth.AuthError as exc:
        raise HTTPException(401, str(exc)) from exc
    user = auth.user_for_token(conn, token, now=local_now())
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax")
    return Token(access_token=token, role=user.role)


@router.post("/api/logout", status_code=204)
def logout(response: Response, conn: Conn, user: CurrentUser) -> None:
    response.delete_cookie(SESSION_COOKIE)


@router.get("/api/me")
def me(user: CurrentUser) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "role_label": auth.ROLE_LABELS[user.role], "team_id": user.team_id}


@router.get("/api/health")
def health(conn: Conn) -> dict[str, Any]:
    return {"status": "ok", "schema": core_views.schema_version(conn)}


@router.get("/api/areas")
def areas(conn: Conn, user: CurrentUser, kind: str | None = None) -> dict[str, Any]:
    """Current areas as a GeoJSON FeatureCollection with their complaint counts."""
    return queries.areas_geojson(conn, kind)


@router.get("/api/cases")
def cases(conn: Conn, user: CurrentUser, state: str | None = None, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    """Cases, newest first, with team and next due clock. No complainant identity here."""
    if not 1 <= limit <= 1000:
        raise HTTPException(422, "limit must be between 1 and 1000")
    return queries.case_list(conn, state=state, limit=limit, offset=offset)

"""Login, health, and the shared read views (areas with counts, case list)."""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, Response
from pydantic import BaseModel

from dashboard import queries
from dashboard.deps import (
    SESSION_COOKIE,
    action,
    client_address,
    current_user,
    get_conn,
    require_action,
    session_token,
    set_session_cookie,
)
from envpetition import auth
from envpetition import views as core_views
from envpetition.runtime import local_now

router = APIRouter(tags=["core"])
Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]
CurrentUser = Annotated[auth.User, Depends(current_user)]
Admin = Annotated[auth.User, Depends(require_action("user.unlock"))]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    role: str


@router.post("/api/login", response_model=Token, responses={429: {"description": "too many failed logins"}},
             openapi_extra=action("session.login"))
def login(
    request: Request, response: Response, conn: Conn, username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Token:
    """Log in with a form (OAuth2 password style); returns a bearer token and sets the page cookie.

    Failed attempts are throttled per account and per client address (429 with Retry-After); an
    account locked after repeated failures is unlocked by an administrator.
    """
    try:
        token = auth.login(conn, username, password, now=local_now(), address=client_address(request),
                           replaces=request.cookies.get(SESSION_COOKIE), hours=request.app.state.settings.session_hours)
    except auth.LoginThrottled as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc
    except auth.AuthError as exc:
        raise HTTPException(401, str(exc)) from exc
    user = auth.user_for_token(conn, token, now=local_now())
    set_session_cookie(request, response, token)
    return Token(access_token=token, role=user.role)


@router.post("/api/logout", status_code=204, openapi_extra=action("session.logout"))
def logout(request: Request, response: Response, conn: Conn, user: CurrentUser) -> None:
    """Revoke this session on the server (the token stops working everywhere) and drop the cookie."""
    token = session_token(request)
    if token:
        auth.logout(conn, token)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/api/admin/locked-accounts")
def locked_accounts(conn: Conn, user: Admin) -> list[dict[str, Any]]:
    """Accounts locked after repeated failed logins."""
    return [{"username": u, "failures": n, "last_failure_at": last, "locked_at": at}
            for u, n, last, at in auth.locked_accounts(conn)]


@router.post("/api/admin/users/{username}/unlock", openapi_extra=action("user.unlock"))
def unlock_account(conn: Conn, user: Admin, username: Annotated[str, Path(max_length=100)]) -> dict[str, Any]:
    """Lift an account's login lockout (administrator only)."""
    return {"username": username, "unlocked": auth.unlock(conn, username)}


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

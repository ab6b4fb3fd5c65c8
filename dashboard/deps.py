"""Request dependencies: a pooled connection, the logged-in user, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from fastapi import Depends, HTTPException, Request, Response

from dashboard.guard import SESSION_COOKIE  # named once, next to the CSRF guard that reads it
from envpetition import auth, permissions
from envpetition.db_routing import ReadRouter, lsn_value
from envpetition.runtime import local_now

__all__ = ["SESSION_COOKIE", "action", "client_address", "current_user", "get_conn", "optional_user",
           "require_action", "require_role", "session_token", "set_session_cookie"]


READ_METHODS = frozenset({"GET", "HEAD"})
# The primary's WAL position after this user's last write; reads wait for a replica that replayed it.
LSN_COOKIE = "envp_lsn"
LSN_HEADER = "X-Primary-LSN"  # API clients without cookies send it back in this header
LSN_COOKIE_SECONDS = 600


def get_conn(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """One pooled connection per request, autocommit; services open their own transactions.

    GET and HEAD go to a read replica when one is configured, up and recent enough
    (envpetition/db_routing.py); everything else goes to the primary.
    """
    reads: ReadRouter | None = getattr(request.app.state, "reads", None)
    if request.method in READ_METHODS and reads is not None and reads.pools:
        after = lsn_value(request.headers.get(LSN_HEADER) or request.cookies.get(LSN_COOKIE))
        with reads.read_connection(after) as (conn, where):
            request.state.read_from = where
            yield conn
        return
    request.state.read_from = "primary"
    with request.app.state.pool.connection() as conn:
        conn.autocommit = True
        yield conn


def session_token(request: Request) -> str | None:
    """The bearer token of the request (Authorization header, else the session cookie)."""
    return _token(request)


def client_address(request: Request) -> str | None:
    """The client's address as the server sees it (login attempts are throttled per address)."""
    return request.client.host if request.client else None


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The page cookie: HttpOnly, SameSite=Lax, and Secure when the ``https`` setting says so."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.app.state.settings.https)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE)


def current_user(request: Request, conn: psycopg.Connection[Any] = Depends(get_conn)) -> auth.User:
    token = _token(request)
    if not token:
        raise HTTPException(401, "请先登录 / login required", headers={"WWW-Authenticate": "Bearer"})
    try:
        return auth.user_for_token(conn, token, now=local_now())
    except auth.AuthError as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc


def optional_user(request: Request, conn: psycopg.Connection[Any] = Depends(get_conn)) -> auth.User | None:
    token = _token(request)
    if not token:
        return None
    try:
        return auth.user_for_token(conn, token, now=local_now())
    except auth.AuthError:
        return None


def require_role(*groups: tuple[str, ...]) -> Callable[..., auth.User]:
    """Dependency for the API: the user must be in one of the role ``groups`` (``auth.may``)."""
    roles = tuple(role for group in groups for role in group)
    unknown = set(roles) - set(auth.ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def check(user: auth.User = Depends(current_user)) -> auth.User:
        if not auth.may(user.role, roles):
            raise HTTPException(403, f"角色 {user.role} 无权执行此操作 / role {user.role} may not do this")
        return user

    return check


def require_action(action: str) -> Callable[..., auth.User]:
    """Dependency for a write: the user's role may do ``action`` (``envpetition.permissions``; no admin bypass).

    Whose case it is (own team, own leader case) is checked by the service that loads the case.
    """
    roles = permissions.roles_for(action)  # KeyError at import time for an action the table lacks

    def check(user: auth.User = Depends(current_user)) -> auth.User:
        if user.role not in roles:
            raise HTTPException(403, f"角色 {user.role} 无权执行此操作 / role {user.role} may not {action}")
        return user

    return check


def action(name: str) -> dict[str, Any]:
    """The route's ``openapi_extra``: its action in the policy table, so the role-matrix test finds it."""
    permissions.roles_for(name)
    return {"x-action": name}

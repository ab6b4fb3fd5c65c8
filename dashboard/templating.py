"""What every page shares: the Jinja environment, labels in Chinese, the page-login rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import Depends, HTTPException
from fastapi.templating import Jinja2Templates

from dashboard.deps import get_conn, optional_user
from dispatch.deadlines import CLOCK_LABELS, PRIORITY_LABELS
from dispatch.states import STATE_LABELS
from envpetition import auth

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

templates.env.globals.update(states=STATE_LABELS, priorities=PRIORITY_LABELS, clock_labels=CLOCK_LABELS,
                             role_labels=auth.ROLE_LABELS, may=auth.may, auth=auth)

Conn = Annotated[psycopg.Connection[Any], Depends(get_conn)]


class LoginRedirect(HTTPException):
    """Raised by ``page_user`` when nobody is logged in; app.py turns it into a redirect."""

    def __init__(self) -> None:
        super().__init__(303, "login required", headers={"Location": "/login"})


def page_user(user: auth.User | None = Depends(optional_user)) -> auth.User:
    if user is None:
        raise LoginRedirect()
    return user


PageUser = Annotated[auth.User, Depends(page_user)]


class PageForbidden(HTTPException):
    """Raised by ``page_role`` for a role outside the page's group; app.py renders the refusal page."""

    def __init__(self, user: auth.User) -> None:
        super().__init__(403, f"角色「{auth.ROLE_LABELS[user.role]}」无权查看此页 / role {user.role} may not view this page")
        self.user = user


def page_role(*groups: tuple[str, ...]) -> Callable[..., auth.User]:
    """Dependency for pages: logged in (else redirect) and in one of the role ``groups`` (``auth.may``)."""
    roles = tuple(role for group in groups for role in group)
    unknown = set(roles) - set(auth.ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def check(user: auth.User = Depends(page_user)) -> auth.User:
        if not auth.may(user.role, roles):
            raise PageForbidden(user)
        return user

    return check

"""What every page shares: the Jinja environment, labels in Chinese, the page-login rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import Depends, HTTPException
from fastapi.templating import Jinja2Templates

from dashboard.deps import get_conn, optional_user
from envpetition import auth

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

STATE_LABELS = {
    "registered": "已登记", "accepted": "已受理", "assigned": "已交办", "en_route": "赶赴中", "on_site": "已到场",
    "investigated": "已查处", "replied": "已答复", "followed_up": "已回访", "closed": "已办结",
    "archived": "已归档", "transferred": "已转办", "returned": "已退回", "reopened": "重新办理",
}
PRIORITY_LABELS = {"emergency": "特急", "urgent": "紧急", "normal": "一般"}
CLOCK_LABELS = {"accept": "受理", "dispatch": "交办", "arrive": "到场", "reply": "答复", "follow_up": "回访",
                "close": "办结", "supervision": "督办"}
templates.env.globals.update(states=STATE_LABELS, priorities=PRIORITY_LABELS, clock_labels=CLOCK_LABELS,
                             role_labels=auth.ROLE_LABELS)

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


def page_role(*roles: str) -> Callable[..., auth.User]:
    """Dependency for pages: logged in (else redirect) and holding one of ``roles`` (admin always may)."""

    def check(user: auth.User = Depends(page_user)) -> auth.User:
        if user.role != "admin" and user.role not in roles:
            raise HTTPException(403, f"角色 {auth.ROLE_LABELS[user.role]} 无权查看此页面 / role {user.role} may not see this page")
        return user

    return check

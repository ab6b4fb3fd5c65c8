"""Accounts, roles, password hashing (argon2) and session tokens.

Tokens are random; only their SHA-256 is stored, so a database dump does not leak live sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("intake", "team_member", "section_chief", "deputy_director", "director", "monitoring", "admin")
ROLE_LABELS = {
    "intake": "受理坐席",
    "team_member": "执法队员",
    "section_chief": "科室负责人",
    "deputy_director": "分管领导",
    "director": "主要领导",
    "monitoring": "监测人员",
    "admin": "系统管理员",
}

# Role groups, named once: the API's dependencies, the pages and the services check these through ``may``.
STAFF = ("intake", "team_member", "section_chief", "deputy_director", "director")
OFFICE = ("intake", "section_chief", "deputy_director", "director")  # the bureau's desk: accept, assign, follow up
LEADERS = ("section_chief", "deputy_director", "director")
BUREAU_LEADERS = ("deputy_director", "director")
FIELD = ("team_member", "section_chief")  # the enforcement teams and the chief who leads them
INTAKE = ("intake",)
MONITORING = ("monitoring",)
DIRECTOR = ("director",)
ADMIN = ("admin",)


def may(role: str, group: Iterable[str]) -> bool:
    """Whether ``role`` belongs to ``group``; the administrator always may."""
    return role == "admin" or role in group


_hasher = PasswordHasher()


class AuthError(Exception):
    """Login failed or a session is not valid."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    team_id: int | None


INSERT_USER = """
insert into users (username, display_name, password_hash, role, team_id)
values (%s, %s, %s, %s, %s)
on conflict (username) do update
  set display_name = excluded.display_name, password_hash = excluded.password_hash,
      role = excluded.role, team_id = excluded.team_id, active = true
returning id
"""
SELECT_BY_NAME = "select id, username, display_name, role, team_id, password_hash from users where username = %s and active"
INSERT_SESSION = "insert into user_sessions (token_hash, user_id, expires_at) values (%s, %s, %s)"
SELECT_BY_TOKEN = """
select u.id, u.username, u.display_name, u.role, u.team_id
from user_sessions s join users u on u.id = s.user_id
where s.token_hash = %s and s.expires_at > %s and u.active
"""
DELETE_SESSION = "delete from user_sessions where token_hash = %s"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    conn: psycopg.Connection[Any], username: str, password: str, role: str, *,
    display_name: str | None = None, team_id: int | None = None,
) -> int:
    """Create or reset an account; return its id."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    row = conn.execute(
        INSERT_USER, (username, display_name or username, hash_password(password), role, team_id)
    ).fetchone()
    assert row is not None
    return int(row[0])


def login(conn: psycopg.Connection[Any], username: str, password: str, *, now: datetime, hours: int = 12) -> str:
    """Check the password and open a session; return the bearer token."""
    row = conn.execute(SELECT_BY_NAME, (username,)).fetchone()
    if row is None:
        raise AuthError("用户名或密码错误 / wrong username or password")
    user_id, *_, password_hash = row
    try:
        _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise AuthError("用户名或密码错误 / wrong username or password") from exc
    token = secrets.token_urlsafe(32)
    conn.execute(INSERT_SESSION, (_token_hash(token), user_id, now + timedelta(hours=hours)))
    return token


def user_for_token(conn: psycopg.Connection[Any], token: str, *, now: datetime) -> User:
    row = conn.execute(SELECT_BY_TOKEN, (_token_hash(token), now)).fetchone()
    if row is None:
        raise AuthError("登录已失效 / session expired or unknown")
    return User(*row)


def logout(conn: psycopg.Connection[Any], token: str) -> None:
    conn.execute(DELETE_SESSION, (_token_hash(token),))

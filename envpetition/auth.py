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
# Verified when the username is unknown, so a wrong name costs the same argon2 work as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-envpetition")

# Login throttle: the first FREE_FAILURES failures cost nothing, then each one doubles the wait
# (2 s, 4 s, 8 s … capped at MAX_DELAY_S); an account at LOCK_AFTER failures is locked until an
# administrator unlocks it. Addresses are only slowed down, never locked (a shared NAT would lock everyone).
FREE_FAILURES = 3
MAX_DELAY_S = 300
LOCK_AFTER = 10


class AuthError(Exception):
    """Login failed or a session is not valid."""


class LoginThrottled(AuthError):
    """Too many failed logins: wait ``retry_after`` seconds, or the account is locked (``locked``)."""

    def __init__(self, message: str, retry_after: int, locked: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.locked = locked


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
THROTTLE = "select next_allowed_at, locked_at from login_throttle where key = any(%s)"
FAILURE = """
insert into login_throttle as t (key, failures, last_failure_at, next_allowed_at, locked_at)
values (%(key)s, 1, %(now)s, null, null)
on conflict (key) do update set failures = t.failures + 1, last_failure_at = %(now)s
returning failures
"""
SET_THROTTLE = "update login_throttle set next_allowed_at = %s, locked_at = coalesce(locked_at, %s) where key = %s"
CLEAR_THROTTLE = "delete from login_throttle where key = any(%s)"
LOCKED_ACCOUNTS = """
select substr(key, 6) as username, failures, last_failure_at, locked_at from login_throttle
where key like 'user:%%' and locked_at is not null order by locked_at desc
"""


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


def login_delay(failures: int) -> int:
    """Seconds to wait after ``failures`` failed logins in a row (0 for the first few, then doubling)."""
    if failures <= FREE_FAILURES:
        return 0
    return int(min(MAX_DELAY_S, 2 ** (failures - FREE_FAILURES)))


def _throttle_keys(username: str, address: str | None) -> list[str]:
    return [f"user:{username}"] + ([f"addr:{address}"] if address else [])


def _check_throttle(conn: psycopg.Connection[Any], keys: list[str], now: datetime) -> None:
    for next_allowed_at, locked_at in conn.execute(THROTTLE, (keys,)).fetchall():
        if locked_at is not None:
            raise LoginThrottled("账号已锁定,请联系管理员解锁 / account locked; an administrator must unlock it",
                                 retry_after=3600, locked=True)
        if next_allowed_at is not None and now < next_allowed_at:
            wait = max(1, int((next_allowed_at - now).total_seconds() + 0.999))
            raise LoginThrottled(f"登录失败次数过多,请 {wait} 秒后再试 / too many failed logins; retry in {wait} s",
                                 retry_after=wait)


def _record_failure(conn: psycopg.Connection[Any], keys: list[str], now: datetime) -> None:
    for key in keys:
        row = conn.execute(FAILURE, {"key": key, "now": now}).fetchone()
        assert row is not None
        failures = int(row[0])
        locked = now if key.startswith("user:") and failures >= LOCK_AFTER else None
        conn.execute(SET_THROTTLE, (now + timedelta(seconds=login_delay(failures)), locked, key))


def login(conn: psycopg.Connection[Any], username: str, password: str, *, now: datetime, hours: int = 12,
          address: str | None = None, replaces: str | None = None) -> str:
    """Check the password and open a session; return the bearer token.

    Failed attempts are throttled per account and per client ``address``; unknown usernames do the
    same argon2 work as known ones. ``replaces``: the session token the client held before, revoked
    (the session id changes at login).
    """
    keys = _throttle_keys(username, address)
    with conn.transaction():
        _check_throttle(conn, keys, now)
        row = conn.execute(SELECT_BY_NAME, (username,)).fetchone()
        password_hash = row[-1] if row is not None else _DUMMY_HASH
        try:
            _hasher.verify(password_hash, password)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok:
            _record_failure(conn, keys, now)
    if not ok or row is None:
        raise AuthError("用户名或密码错误 / wrong username or password")
    token = secrets.token_urlsafe(32)
    with conn.transaction():
        conn.execute(CLEAR_THROTTLE, (keys,))
        if replaces:
            conn.execute(DELETE_SESSION, (_token_hash(replaces),))
        conn.execute(INSERT_SESSION, (_token_hash(token), row[0], now + timedelta(hours=hours)))
    return token


def unlock(conn: psycopg.Connection[Any], username: str) -> bool:
    """Lift an account's login lockout (and its delay); whether there was one."""
    with conn.transaction():
        return conn.execute(CLEAR_THROTTLE, ([f"user:{username}"],)).rowcount > 0


def locked_accounts(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    """Accounts locked by failed logins: (username, failures, last failure, locked at)."""
    return conn.execute(LOCKED_ACCOUNTS).fetchall()


def user_for_token(conn: psycopg.Connection[Any], token: str, *, now: datetime) -> User:
    row = conn.execute(SELECT_BY_TOKEN, (_token_hash(token), now)).fetchone()
    if row is None:
        raise AuthError("登录已失效 / session expired or unknown")
    return User(*row)


def logout(conn: psycopg.Connection[Any], token: str) -> None:
    """Revoke the session: the token stops working everywhere, not just in this browser."""
    conn.execute(DELETE_SESSION, (_token_hash(token),))

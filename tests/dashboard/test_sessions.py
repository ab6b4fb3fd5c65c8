"""Sessions: server-side logout, login throttling and lockout, no username enumeration, CSRF and Origin, Secure cookies."""

from __future__ import annotations

import re
import statistics
import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from dashboard.app import create_app
from envpetition import auth
from envpetition.db import connect
from envpetition.servers import Services


@pytest.fixture
def wang(fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as c:
        auth.create_user(c, "wang", "a-good-password", "section_chief")
    return "wang"


def _login(client, username="wang", password="a-good-password"):
    return client.post("/api/login", data={"username": username, "password": password})


@pytest.mark.parametrize("role", auth.ROLES)
def test_logout_revokes_the_token_on_the_server(app_client, fresh_database_url, role):
    with connect(fresh_database_url, autocommit=True) as c:
        auth.create_user(c, f"u_{role}", "a-good-password", role)
    token = _login(app_client, f"u_{role}").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert app_client.post("/api/logout", headers=bearer).status_code == 204
    assert app_client.get("/api/me", headers=bearer).status_code == 401  # a copied token is dead too


def test_page_logout_revokes_the_cookie_session(app_client, wang):
    token = _login(app_client).json()["access_token"]
    app_client.get("/logout", follow_redirects=False)
    assert app_client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_login_rotates_the_session_id(app_client, wang):
    first = _login(app_client).json()["access_token"]
    second = _login(app_client).json()["access_token"]  # the client still sends the first one's cookie
    assert first != second
    assert app_client.get("/api/me", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert app_client.get("/api/me", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_failed_logins_slow_down_then_lock_the_account_until_the_admin_unlocks(app_client, fresh_database_url, wang):
    answers = [_login(app_client, password="wrong-password").status_code for _ in range(auth.FREE_FAILURES)]
    assert answers == [401] * auth.FREE_FAILURES  # the first few are free
    now = datetime.now().astimezone()
    with connect(fresh_database_url, autocommit=True) as c:  # three more, each after its wait, the last 5 minutes on
        for minutes in (-20, -10, 5):
            with pytest.raises(auth.AuthError):
                auth.login(c, "wang", "wrong-password", now=now + timedelta(minutes=minutes))
    throttled = _login(app_client)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 200  # even the right password waits
    with connect(fresh_database_url, autocommit=True) as c:
        for i in range(auth.LOCK_AFTER):
            with pytest.raises(auth.AuthError):
                auth.login(c, "wang", "wrong-password", now=now + timedelta(hours=i + 1))
    locked = _login(app_client)
    assert locked.status_code == 429 and "locked" in locked.json()["detail"]
    admin = make_bearer(app_client, fresh_database_url, "admin")
    assert [a["username"] for a in app_client.get("/api/admin/locked-accounts", headers=admin).json()] == ["wang"]
    chief = make_bearer(app_client, fresh_database_url, "section_chief")
    assert app_client.post("/api/admin/users/wang/unlock", headers=chief).status_code == 403
    assert app_client.post("/api/admin/users/wang/unlock", headers=admin).json()["unlocked"] is True
    assert _login(app_client).status_code == 200


def make_bearer(client, url, role):
    with connect(url, autocommit=True) as c:
        auth.create_user(c, f"x_{role}", "a-good-password", role)
    client.cookies.clear()  # a fresh client: logging in from the same browser would end its other session
    return {"Authorization": f"Bearer {_login(client, f'x_{role}').json()['access_token']}"}


def test_the_wait_grows_with_each_failure():
    waits = [auth.login_delay(n) for n in range(1, 15)]
    assert waits[:auth.FREE_FAILURES] == [0] * auth.FREE_FAILURES
    assert all(b >= a for a, b in zip(waits, waits[1:], strict=False)) and waits[-1] == auth.MAX_DELAY_S


def test_failed_logins_from_one_address_are_throttled_across_accounts(conn):
    now = datetime(2026, 10, 9, 9, 0).astimezone()
    for i in range(auth.FREE_FAILURES + 1):
        with pytest.raises(auth.AuthError):
            auth.login(conn, f"guess{i}", "password-1", now=now, address="10.0.0.66")
    with pytest.raises(auth.LoginThrottled):
        auth.login(conn, "another-name", "password-1", now=now, address="10.0.0.66")
    with pytest.raises(auth.AuthError) as other_address:
        auth.login(conn, "another-name", "password-1", now=now, address="10.0.0.67")
    assert not isinstance(other_address.value, auth.LoginThrottled)


def test_unknown_and_known_usernames_cost_the_same(conn):
    auth.create_user(conn, "known", "a-good-password", "intake")
    now = datetime(2026, 10, 9, 9, 0).astimezone()

    def timed(name: str) -> float:
        start = time.perf_counter()
        with pytest.raises(auth.AuthError):
            auth.login(conn, name, "wrong-password", now=now)
        conn.execute("delete from login_throttle")
        return time.perf_counter() - start

    known = statistics.median(timed("known") for _ in range(7))
    unknown = statistics.median(timed("nobody-here") for _ in range(7))
    assert unknown > known * 0.5, (known, unknown)  # old code: unknown ≈ 2 % of known


def _csrf(page_text: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page_text).group(1)


def test_login_form_needs_the_csrf_token_and_our_origin(app_client, wang):
    app_client.cookies.clear()
    page = app_client.get("/login")
    form = {"username": "wang", "password": "a-good-password"}
    assert app_client.post("/login", data=form, follow_redirects=False).status_code == 403  # forged: no token
    token = _csrf(page.text)
    forged = app_client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False,
                             headers={"Origin": "http://testserver:8081"})  # another intranet site, same host
    assert forged.status_code == 403
    ok = app_client.post("/login", data={**form, "csrf_token": token}, follow_redirects=False,
                         headers={"Origin": "http://testserver"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"


def test_cookie_authenticated_forms_need_the_token(app_client, fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as c:
        auth.create_user(c, "seat", "a-good-password", "intake")
    app_client.cookies.clear()
    _login(app_client, "seat")  # sets the page cookie
    form = {"text": "化工厂半夜排放臭气", "channel": "12369"}
    assert app_client.post("/intake", data=form).status_code == 403
    token = _csrf(app_client.get("/intake").text)
    assert app_client.post("/intake", data={**form, "csrf_token": "0" * 64}).status_code == 403
    assert app_client.post("/intake", data={**form, "csrf_token": token},
                           headers={"Origin": "http://evil.example"}).status_code == 403
    assert app_client.post("/intake", data={**form, "csrf_token": token}).status_code == 200
    # A bearer client is not a browser riding on a cookie: no token needed.
    bearer = {"Authorization": f"Bearer {_login(app_client, 'seat').json()['access_token']}"}
    assert app_client.post("/api/logout", headers=bearer).status_code == 204


def test_session_cookie_is_secure_when_served_over_https(fresh_database_url, mqtt_url, settings, wang):
    services = Services(fresh_database_url, mqtt_url, embedded_database=False, embedded_broker=False)
    for https in (False, True):
        with TestClient(create_app(settings.model_copy(update={"https": https}), services)) as client:
            cookie = _login(client).headers["set-cookie"]
            assert ("secure" in cookie.lower()) is https and "httponly" in cookie.lower()


def test_oversize_bodies_are_refused_before_any_route(app_client, make_user):
    big = "臭" * 600_000  # 1.8 MB of UTF-8
    r = app_client.post("/api/complaints", headers=make_user("intake"), json={"text": big})
    assert r.status_code == 413

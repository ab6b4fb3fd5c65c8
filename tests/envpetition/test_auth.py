from datetime import datetime, timedelta, timezone

import pytest

from envpetition import auth

NOW = datetime(2026, 10, 9, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def test_password_is_hashed_and_login_gives_a_session(conn):
    auth.create_user(conn, "zhang", "correct horse", "intake")
    stored = conn.execute("select password_hash from users where username = 'zhang'").fetchone()[0]
    assert "correct horse" not in stored and stored.startswith("$argon2")
    token = auth.login(conn, "zhang", "correct horse", now=NOW)
    assert auth.user_for_token(conn, token, now=NOW).role == "intake"


def test_wrong_password_and_expired_session_are_refused(conn):
    auth.create_user(conn, "li", "correct horse", "director")
    with pytest.raises(auth.AuthError):
        auth.login(conn, "li", "wrong horse", now=NOW)
    token = auth.login(conn, "li", "correct horse", now=NOW, hours=1)
    with pytest.raises(auth.AuthError):
        auth.user_for_token(conn, token, now=NOW + timedelta(hours=2))


@pytest.mark.parametrize("role,password,message", [
    ("boss", "long enough", "unknown role"),
    ("intake", "short", "at least 8"),
])
def test_bad_accounts_are_refused(conn, role, password, message):
    with pytest.raises(ValueError, match=message):
        auth.create_user(conn, "x", password, role)

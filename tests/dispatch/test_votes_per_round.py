"""One vote per follow-up round per receipt; a late "unsatisfied" is feedback, not a reopening."""

from __future__ import annotations

import pytest

from envpetition.db import connect
from tests.dispatch.conftest import make_city

BASE = "/api/dispatch"


@pytest.fixture
def receipt_case(app_client, make_user, fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as conn, conn.transaction():
        make_city(conn)
    body = {"title": "夜间施工噪声", "priority": "urgent", "lon": 117.82, "lat": 30.92}
    case_id = app_client.post(f"{BASE}/cases", json=body, headers=make_user("intake")).json()["id"]
    with connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("insert into complaints (channel, external_id, received_at, text, case_id, receipt_token) "
                     "values ('12369', 'a', now(), 'x', %s, 'receipt-abc')", (case_id,))
    return case_id


def _set(url, case_id, state, closed_days_ago=None):
    with connect(url, autocommit=True) as conn:
        conn.execute("update cases set state = %s, closed_at = now() - make_interval(days => %s) where id = %s",
                     (state, closed_days_ago, case_id))


def test_a_receipt_votes_once_per_round(app_client, fresh_database_url, receipt_case):
    _set(fresh_database_url, receipt_case, "replied")
    first = app_client.post(f"{BASE}/receipts/receipt-abc/vote", json={"verdict": "satisfied"})
    assert first.status_code == 201, first.text
    for verdict in ("unsatisfied", "satisfied"):
        again = app_client.post(f"{BASE}/receipts/receipt-abc/vote", json={"verdict": verdict})
        assert again.status_code == 409 and "already voted" in again.json()["detail"], again.text
    with connect(fresh_database_url, autocommit=True) as conn:  # reopened by a leader and answered again: round 1
        conn.execute("update cases set reopened_count = 1 where id = %s", (receipt_case,))
    second_round = app_client.post(f"{BASE}/receipts/receipt-abc/vote", json={"verdict": "unsatisfied"})
    assert second_round.status_code == 201 and second_round.json()["reopened"] is True
    with connect(fresh_database_url, autocommit=True) as conn:
        votes = conn.execute("select round, verdict from satisfaction_votes order by id").fetchall()
    assert votes == [(0, "satisfied"), (1, "unsatisfied")]


@pytest.mark.parametrize(("days_ago", "reopens"), [(10, True), (29, True), (31, False), (365, False)])
def test_unsatisfied_reopens_only_within_the_window(app_client, fresh_database_url, receipt_case, days_ago, reopens):
    _set(fresh_database_url, receipt_case, "closed", days_ago)
    r = app_client.post(f"{BASE}/receipts/receipt-abc/vote", json={"verdict": "unsatisfied", "comment": "还是臭"})
    assert r.status_code == 201, r.text
    assert r.json() == {"verdict": "unsatisfied", "reopened": reopens, "feedback_only": not reopens}
    with connect(fresh_database_url, autocommit=True) as conn:
        state = conn.execute("select state from cases where id = %s", (receipt_case,)).fetchone()[0]
        kept = conn.execute("select comment, feedback_only from satisfaction_votes").fetchall()
    assert state == ("reopened" if reopens else "closed") and kept == [("还是臭", not reopens)]

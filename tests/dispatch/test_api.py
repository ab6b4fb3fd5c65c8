"""The dispatch API: a case through its life, role checks on every write, clear 4xx on bad input."""

from __future__ import annotations

import pytest

from envpetition.db import connect
from tests.dispatch.conftest import make_city

BASE = "/api/dispatch"


@pytest.fixture
def city_db(fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as conn, conn.transaction():
        return make_city(conn)


def open_case(client, headers, **kw):
    body = {"title": "夜间施工噪声", "priority": "urgent", "lon": 117.82, "lat": 30.92, **kw}
    response = client.post(f"{BASE}/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def test_case_through_the_api(app_client, make_user, city_db):
    intake = make_user("intake")
    member = make_user("team_member", team_id=city_db["west_team"])
    chief = make_user("section_chief")
    case = open_case(app_client, intake)
    case_id = case["id"]
    assert case["state"] == "assigned" and case["team_id"] == city_db["west_team"]
    assert {c["kind"] for c in case["clocks"]} == {"accept", "dispatch", "arrive", "close"}
    order_id = case["orders"][0]["id"]
    ack = app_client.post(f"{BASE}/orders/{order_id}/ack", headers=member)
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    for action in ("depart", "arrive", "investigate", "reply"):
        r = app_client.post(f"{BASE}/cases/{case_id}/actions", json={"action": action}, headers=member)
        assert r.status_code == 200, r.text
    r = app_client.post(f"{BASE}/cases/{case_id}/follow-up", json={"method": "phone"}, headers=intake)
    assert r.status_code == 200 and r.json()["to"] == "followed_up"
    r = app_client.post(f"{BASE}/cases/{case_id}/votes", json={"verdict": "unsatisfied", "comment": "仍有噪声"},
                        headers=intake)
    assert r.status_code == 201 and r.json()["reopened"] is True
    ledger = app_client.get(f"{BASE}/ledgers/unsatisfied", headers=chief).json()
    assert [e["case_id"] for e in ledger] == [case_id]
    detail = app_client.get(f"{BASE}/cases/{case_id}", headers=chief).json()
    assert detail["state"] == "reopened" and detail["reopened_count"] == 1
    assert app_client.get(f"{BASE}/clocks", headers=chief).status_code == 200
    assert app_client.post(f"{BASE}/scan", headers=chief).status_code == 200
    kpis = app_client.get(f"{BASE}/kpis", params={"from": "2026-01-01", "to": "2027-01-01"}, headers=chief)
    assert kpis.status_code == 200


def test_refused_transition_is_409_with_a_clear_message(app_client, make_user, city_db):
    intake = make_user("intake")
    case_id = open_case(app_client, intake, auto_dispatch=False)["id"]
    r = app_client.post(f"{BASE}/cases/{case_id}/actions", json={"action": "close"}, headers=make_user("director"))
    assert r.status_code == 409 and "cannot close" in r.json()["detail"]
    r = app_client.post(f"{BASE}/cases/{case_id}/actions", json={"action": "arrive"}, headers=intake)
    assert r.status_code == 403
    r = app_client.post(f"{BASE}/cases/99999/actions", json={"action": "accept"}, headers=intake)
    assert r.status_code == 404


def test_ladder_through_the_api(app_client, make_user, city_db):
    intake = make_user("intake")
    case_id = open_case(app_client, intake)["id"]
    r = app_client.post(f"{BASE}/cases/{case_id}/escalate", json={"reason": ""}, headers=intake)
    assert r.status_code == 422
    r = app_client.post(f"{BASE}/cases/{case_id}/escalate", json={"reason": "需科室协调"}, headers=make_user("director"))
    assert r.status_code == 403  # the case is at level 1
    for role in ("intake", "section_chief", "deputy_director"):
        r = app_client.post(f"{BASE}/cases/{case_id}/escalate", json={"reason": "本级无法办理"}, headers=make_user(role))
        assert r.status_code == 200, r.text
    r = app_client.post(f"{BASE}/cases/{case_id}/final-no", json={"reason": "无执法权", "suggestion": "向法院起诉"},
                        headers=make_user("director"))
    assert r.status_code == 200 and r.json()["outcome"] == "final_no"


WRITES = [
    ("post", "/cases", {"title": "t"}, "team_member"),
    ("post", "/cases/{case}/actions", {"action": "accept"}, "monitoring"),
    ("post", "/cases/{case}/escalate", {"reason": "r"}, "monitoring"),
    ("post", "/cases/{case}/departments", {"department": "住建局"}, "team_member"),
    ("post", "/cases/{case}/final-no", {"reason": "r", "suggestion": "s"}, "deputy_director"),
    ("post", "/cases/{case}/extend", {"reason": "r"}, "section_chief"),
    ("post", "/clocks/1/pause", {"reason": "r"}, "team_member"),
    ("post", "/clocks/1/resume", None, "intake"),
    ("post", "/cases/{case}/supervision-orders", {"instruction": "i", "deadline_at": "2030-01-01T00:00:00+08:00"}, "intake"),
    ("post", "/supervision-orders/1/answer", {"note": "n"}, "monitoring"),
    ("post", "/cases/{case}/leader-case", None, "section_chief"),
    ("post", "/leader-cases/1/duties", {"duty": "包督办"}, "team_member"),
    ("post", "/listed-cases", {"title": "t", "items": [{"kind": "milestone", "title": "m"}]}, "section_chief"),
    ("post", "/listed-items/1/done", {"evidence": ""}, "monitoring"),
    ("post", "/listed-cases/1/close", None, "intake"),
    ("post", "/cases/{case}/follow-up", {"method": "phone"}, "team_member"),
    ("post", "/cases/{case}/votes", {"verdict": "satisfied"}, "team_member"),
    ("post", "/orders/1/ack", None, "intake"),
    ("post", "/scan", None, "team_member"),
    ("post", "/routing-rules", {"team_id": 1}, "director"),
    ("post", "/calendar/2026-10-08", {"is_workday": False}, "director"),
]


def test_every_write_checks_the_role(app_client, make_user, city_db):
    """One database for the whole table (each row: no login → 401, a wrong role → 403)."""
    users = {role: make_user(role) for role in {r for *_, r in WRITES}}
    wrong = []
    for method, path, body, role in WRITES:
        url = BASE + path.replace("{case}", "1")
        anonymous = getattr(app_client, method)(url, json=body).status_code
        as_role = getattr(app_client, method)(url, json=body, headers=users[role]).status_code
        if (anonymous, as_role) != (401, 403):
            wrong.append((path, role, anonymous, as_role))
    assert wrong == []
    posts = [p for p, ops in app_client.app.openapi()["paths"].items()
             if p.startswith(BASE) and "post" in ops and "receipts" not in p]
    assert len(posts) == len(WRITES)  # a new write endpoint must join this table


@pytest.mark.parametrize("body,fragment", [
    ({"title": ""}, "title"),
    ({"title": "t", "priority": "asap"}, "priority"),
    ({"title": "t", "lon": 500}, "lon"),
])
def test_bad_case_input_is_422(app_client, make_user, city_db, body, fragment):
    r = app_client.post(f"{BASE}/cases", json=body, headers=make_user("intake"))
    assert r.status_code == 422 and fragment in r.text


def test_receipt_vote_needs_no_account_and_reveals_nothing(app_client, make_user, fresh_database_url, city_db):
    intake = make_user("intake")
    case_id = open_case(app_client, intake)["id"]
    with connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("insert into complaints (channel, external_id, received_at, text, case_id, receipt_token) "
                     "values ('12369', 'a', now(), 'x', %s, 'receipt-abc')", (case_id,))
        conn.execute("update cases set state = 'replied' where id = %s", (case_id,))
    r = app_client.post(f"{BASE}/receipts/receipt-abc/vote", json={"verdict": "satisfied"})
    assert r.status_code == 201 and r.json() == {"verdict": "satisfied", "reopened": False}
    assert app_client.post(f"{BASE}/receipts/wrong-token/vote", json={"verdict": "satisfied"}).status_code == 404


def test_deadlines_endpoint(app_client, make_user, city_db):
    r = app_client.get(f"{BASE}/deadlines", params={"received": "2026-09-30T16:00:00+08:00", "priority": "normal"},
                       headers=make_user("intake"))
    assert r.status_code == 200 and r.json()["clocks"]["arrive"] == "2026-10-08T16:00:00+08:00"


def test_admin_edits_the_calendar_and_new_deadlines_follow(app_client, make_user, city_db):
    admin = make_user("admin")
    r = app_client.post(f"{BASE}/calendar/2026-10-08", json={"is_workday": False, "note": "台风停工"}, headers=admin)
    assert r.status_code == 200
    r = app_client.get(f"{BASE}/deadlines", params={"received": "2026-09-30T16:00:00+08:00", "priority": "normal"},
                       headers=admin)
    assert r.json()["clocks"]["arrive"] == "2026-10-09T16:00:00+08:00"


def test_action_attachments_are_kept_in_the_event(app_client, make_user, city_db):
    intake = make_user("intake")
    case_id = open_case(app_client, intake, auto_dispatch=False)["id"]
    r = app_client.post(f"{BASE}/cases/{case_id}/actions", json={"action": "accept", "attachments": ["file://a.jpg"]},
                        headers=intake)
    assert r.status_code == 200
    events = app_client.get(f"{BASE}/cases/{case_id}", headers=intake).json()["events"]
    assert events[-1]["data"] == {"attachments": ["file://a.jpg"]}


def test_reading_deadlines_writes_nothing_even_for_an_unseeded_year(app_client, make_user, fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as conn:
        conn.execute("delete from work_calendar")
    r = app_client.get(f"{BASE}/deadlines", params={"received": "2025-09-30T16:00:00+08:00", "priority": "normal"},
                       headers=make_user("intake"))
    assert r.status_code == 200, r.text
    # 2025-10-01..08 are National Day holidays: arrival is due after them, from the official calendar.
    assert r.json()["clocks"]["arrive"] == "2025-10-09T16:00:00+08:00"
    with connect(fresh_database_url, autocommit=True) as conn:
        assert conn.execute("select count(*) from work_calendar").fetchone()[0] == 0

"""Every write endpoint × every role × whose case it is, generated from the OpenAPI document.

Each write operation must name its action (``x-action``) in envpetition/permissions.py's table and
have a request body here; a new endpoint without either fails the first test, so none escapes. A
refused request must be 403; an allowed one may fail for other reasons (409 state, 404, 422) but
never with 403.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from dispatch.cases import NewCase, open_case
from dispatch.ladder import may_act_at_level
from dispatch.states import TRANSITIONS
from envpetition import auth, permissions
from envpetition.db import connect
from tests.dispatch.conftest import make_city

WRITE = ("post", "put", "patch", "delete")
LATER = (datetime.now().astimezone() + timedelta(days=2)).isoformat()
BODIES: dict[str, Any] = {
    "/api/login": None,
    "/api/logout": None,
    "/api/admin/users/{username}/unlock": None,
    "/api/complaints": {"text": "化工厂夜里排臭气", "lon": 117.82, "lat": 30.92},
    "/api/complaints/{complaint_id}/labels": {"categories": ["odour"], "priority": "normal"},
    "/api/incidents/{incident_id}/investigation": {"outcome": "none"},
    "/api/quarantine/{quarantine_id}/place": {"lon": 117.82, "lat": 30.92},
    "/open311/v2/requests.json": {"description": "工地夜间施工噪声", "lat": 30.92, "long": 117.82},
    "/api/monitoring/sensors/{sensor_id}": {"kind": "fixed", "name": "站点"},
    "/api/dispatch/cases": {"title": "噪声", "lon": 117.82, "lat": 30.92},
    "/api/dispatch/cases/{case_id}/actions": {"action": "{action}", "reason": "原因", "department": "住建局"},
    "/api/dispatch/cases/{case_id}/departments": {"department": "住建局"},
    "/api/dispatch/cases/{case_id}/escalate": {"reason": "本级无法协调"},
    "/api/dispatch/cases/{case_id}/final-no": {"reason": "不符合", "suggestion": "可以这样办"},
    "/api/dispatch/cases/{case_id}/extend": {"reason": "情况复杂"},
    "/api/dispatch/clocks/{clock_id}/pause": {"reason": "等待检测"},
    "/api/dispatch/clocks/{clock_id}/resume": None,
    "/api/dispatch/cases/{case_id}/supervision-orders": {"instruction": "明日报告", "deadline_at": LATER},
    "/api/dispatch/supervision-orders/{order_id}/answer": {"note": "已办理"},
    "/api/dispatch/cases/{case_id}/leader-case": None,
    "/api/dispatch/leader-cases/{leader_case_id}/duties": {"duty": "包督办"},
    "/api/dispatch/listed-cases": {"title": "整治", "items": [{"kind": "checklist", "title": "检测"}]},
    "/api/dispatch/listed-items/{item_id}/done": {"evidence": "报告"},
    "/api/dispatch/listed-cases/{listed_id}/close": None,
    "/api/dispatch/cases/{case_id}/follow-up": {"method": "phone"},
    "/api/dispatch/cases/{case_id}/votes": {"verdict": "satisfied"},
    "/api/dispatch/receipts/{token}/vote": {"verdict": "satisfied"},
    "/api/dispatch/orders/{order_id}/ack": None,
    "/api/dispatch/scan": None,
    "/api/dispatch/routing-rules": {"category": "odour", "department": "城管局"},
    "/api/dispatch/calendar/{day}": {"is_workday": True},
}
PUBLIC = {"session.login", "session.logout", "receipt.vote"}  # no role needed (any login, or the receipt token)
OWNERSHIPS = ("own", "other", "none")  # the case belongs to the user's team, another team, no team


def write_operations(app: Any) -> list[tuple[str, str, str]]:
    """(method, path, action) of every write operation in the OpenAPI document."""
    ops = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            if method in WRITE:
                ops.append((method, path, op.get("x-action", "")))
    return ops


def test_every_write_endpoint_declares_an_action_in_the_table(app_client):
    ops = write_operations(app_client.app)
    assert len(ops) >= 29
    for method, path, action in ops:
        assert action, f"{method.upper()} {path} declares no x-action: add it to envpetition/permissions.py"
        if action != "case.{action}":
            assert action in permissions.POLICY, f"{path}: unknown action {action}"
        assert path in BODIES, f"{method.upper()} {path}: add a request body to the role matrix"


@pytest.fixture
def world(app_client, fresh_database_url):
    """Cases of the team member's own team, another team and no team, each with what hangs off it."""
    now = datetime.now().astimezone()
    with connect(fresh_database_url, autocommit=True) as conn:
        with conn.transaction():
            city = make_city(conn)
        ids: dict[str, Any] = {"city": city}
        for ownership, team in (("own", city["west_team"]), ("other", city["east_team"]), ("none", None)):
            case = open_case(conn, NewCase(title=f"{ownership}案", opened_at=now, team_id=team, lon=117.82, lat=30.92,
                                           auto_dispatch=team is not None), actor="seed", role="system", now=now)
            if team is None:  # opening finds a team by the point: take it away, as for a case sent to a department
                conn.execute("update cases set team_id = null where id = %s", (case,))
            order = conn.execute("select id from dispatch_orders where case_id = %s", (case,)).fetchone()
            clock = conn.execute("select id from clocks where case_id = %s order by id limit 1", (case,)).fetchone()
            sup = conn.execute("insert into supervision_orders (case_id, issued_by, issued_role, issued_at, instruction, deadline_at) "
                               "values (%s, 'seed', 'director', %s, 'x', %s) returning id",
                               (case, now, now + timedelta(days=1))).fetchone()[0]
            listed = conn.execute("insert into listed_cases (case_id, title, listed_by, listed_at) "
                                  "values (%s, 't', 'seed', %s) returning id", (case, now)).fetchone()[0]
            item = conn.execute("insert into listed_case_items (listed_case_id, kind, title) values (%s, 'checklist', 'i') "
                                "returning id", (listed,)).fetchone()[0]
            leader = conn.execute("insert into leader_cases (case_id, leader, month, taken_at, duties) "
                                  "values (%s, %s, %s, %s, '{}') returning id",
                                  (case, "matrix_director" if ownership == "own" else "someone_else",
                                   now.date().replace(day=1), now)).fetchone()[0]
            ids[ownership] = {"case_id": case, "order_id": order[0] if order else None, "clock_id": clock[0],
                              "supervision_id": sup, "listed_id": listed, "item_id": item, "leader_case_id": leader}
        ids["other"]["order_id"] = ids["other"]["order_id"] or ids["own"]["order_id"]
        ids["none"]["order_id"] = ids["other"]["order_id"]  # an order always has a team: none = somebody else's
        users = {}
        for role in auth.ROLES:
            name = f"matrix_{role.split('_')[-1]}" if role == "director" else f"m_{role}"
            auth.create_user(conn, name, "a-good-password", role,
                             team_id=city["west_team"] if role == "team_member" else None)
            users[role] = {"Authorization": f"Bearer {auth.login(conn, name, 'a-good-password', now=now)}"}
        ids["users"] = users
    return ids


def _url(path: str, things: dict[str, Any]) -> str:
    return (path.replace("{case_id}", str(things["case_id"])).replace("{order_id}", str(
        things["supervision_id"] if "supervision-orders" in path else things["order_id"]))
        .replace("{clock_id}", str(things["clock_id"])).replace("{leader_case_id}", str(things["leader_case_id"]))
        .replace("{listed_id}", str(things["listed_id"])).replace("{item_id}", str(things["item_id"]))
        .replace("{quarantine_id}", "999999").replace("{complaint_id}", "999999").replace("{incident_id}", "999999").replace("{sensor_id}", "S-matrix").replace("{username}", "nobody")
        .replace("{day}", "2026-10-08").replace("{token}", "no-such-receipt"))


def _expected_allowed(role: str, action: str, ownership: str, username: str) -> bool:
    scope = permissions.POLICY[action].get(role)
    if scope is None:
        return False
    if scope == permissions.OWN_TEAM:
        return ownership == "own"
    if scope == permissions.OWN_LEADER_CASE:
        return ownership == "own" and username == "matrix_director"
    return True


def _cases() -> list[tuple[str, str]]:
    return [(role, ownership) for role in auth.ROLES for ownership in OWNERSHIPS]


@pytest.mark.parametrize(("role", "ownership"), _cases())
def test_role_matrix(app_client, world, role, ownership):
    """Every write operation (and every case transition) as ``role`` on a case of ``ownership``."""
    headers = world["users"][role]
    username = "matrix_director" if role == "director" else f"m_{role}"
    wrong = []
    for method, path, action in write_operations(app_client.app):
        if action in PUBLIC:
            continue
        actions = [f"case.{a}" for a in TRANSITIONS] if action == "case.{action}" else [action]
        for name in actions:
            body = BODIES[path]
            if action == "case.{action}":
                body = {**body, "action": name.split(".", 1)[1]}
            kwargs: dict[str, Any] = {"headers": headers}
            if path == "/open311/v2/requests.json":
                kwargs["data"] = body
            elif body is not None:
                kwargs["json"] = body
            response = app_client.request(method, _url(path, world[ownership]), **kwargs)
            allowed = _expected_allowed(role, name, ownership, username)
            if name == "case.escalate":  # the ladder adds the level: a fresh case is at level 1
                allowed = allowed and may_act_at_level(role, 1)
            refused = response.status_code == 403
            if allowed == refused or response.status_code in (401, 500):
                wrong.append(f"{method.upper()} {path} [{name}] as {role} on {ownership} case: "
                             f"{response.status_code} {response.text[:120]}")
    assert wrong == []

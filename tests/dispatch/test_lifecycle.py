"""Every transition of the case lifecycle, valid and refused, with its events and clocks."""

from __future__ import annotations

import pytest

from dispatch.cases import NewCase, attach_complaint, open_case
from dispatch.clocks import case_clocks
from dispatch.lifecycle import transition
from dispatch.states import STATES, TRANSITIONS
from envpetition.errors import Conflict, Forbidden, InvalidInput
from tests.dispatch.conftest import at

NOW = at("2026-09-30 16:00")


def new_case(conn, city, **kw):
    fields = {"title": "化工厂异味", "opened_at": NOW, "categories": ["air.odour"], "lon": 117.82, "lat": 30.92}
    fields.update(kw)
    return open_case(conn, NewCase(**fields), actor="intake-1", role="intake", now=NOW)


def events(conn, case_id):
    return [r[0] for r in conn.execute("select kind from case_events where case_id = %s order by id", (case_id,))]


def state_of(conn, case_id):
    return conn.execute("select state from cases where id = %s", (case_id,)).fetchone()[0]


def test_open_case_assigns_by_grid_starts_clocks_and_queues_the_order(conn, city):
    case_id = new_case(conn, city)
    assert state_of(conn, case_id) == "assigned"
    team = conn.execute("select team_id from cases where id = %s", (case_id,)).fetchone()[0]
    assert team == city["west_team"]
    assert events(conn, case_id) == ["registered", "accept", "assign"]
    clocks = {c["kind"]: c for c in case_clocks(conn, case_id)}
    assert set(clocks) == {"accept", "dispatch", "arrive", "close"}
    assert clocks["arrive"]["due_at"] == at("2026-10-08 16:00") and clocks["arrive"]["met_at"] is None
    assert clocks["accept"]["met_at"] == NOW and clocks["dispatch"]["met_at"] == NOW
    assert clocks["close"]["policy_version"] == 1
    orders = conn.execute("select team_id, state from dispatch_orders where case_id = %s", (case_id,)).fetchall()
    assert orders == [(city["west_team"], "queued")]


def test_open_case_keeps_the_contract_without_dispatch(conn, city):
    case_id = new_case(conn, city, auto_dispatch=False, lon=117.87)
    assert state_of(conn, case_id) == "registered"
    assert conn.execute("select team_id from cases where id = %s", (case_id,)).fetchone()[0] == city["east_team"]
    cid = conn.execute("insert into complaints (channel, external_id, received_at, text) values "
                       "('12369', 'x1', %s, 'smell') returning id", (NOW,)).fetchone()[0]
    attach_complaint(conn, case_id, cid, actor="intake-1", now=NOW)
    events = conn.execute("select data from case_events where case_id = %s and kind = 'complaint_attached'",
                          (case_id,)).fetchall()
    assert events == [({"complaint_id": cid},)]
    # the complaint's row is ingest's: dispatch records the link on the case only
    assert conn.execute("select case_id from complaints where id = %s", (cid,)).fetchone()[0] is None


def test_open_case_refuses_unknown_priority(conn, city):
    with pytest.raises(InvalidInput):
        new_case(conn, city, priority="whenever")


def test_full_lifecycle_meets_every_clock(conn, city):
    case_id = new_case(conn, city, priority="urgent")
    team = city["west_team"]
    steps = [
        ("depart", "team_member", at("2026-09-30 16:30")),
        ("arrive", "team_member", at("2026-09-30 17:10")),
        ("investigate", "team_member", at("2026-09-30 18:00")),
        ("reply", "team_member", at("2026-10-08 10:00")),
        ("follow_up", "intake", at("2026-10-09 10:00")),
        ("close", "section_chief", at("2026-10-09 11:00")),
        ("archive", "intake", at("2026-10-10 09:00")),
    ]
    for action, role, when in steps:
        transition(conn, case_id, action, actor=f"{role}-1", role=role, now=when, actor_team_id=team)
    assert state_of(conn, case_id) == "archived"
    clocks = {c["kind"]: c for c in case_clocks(conn, case_id)}
    assert clocks["arrive"]["met_at"] == at("2026-09-30 17:10")
    assert clocks["arrive"]["due_at"] == at("2026-09-30 22:00")   # urgent: 6 h
    assert clocks["reply"]["met_at"] == at("2026-10-08 10:00")
    assert clocks["follow_up"]["due_at"] == at("2026-10-10 18:00")  # 3 working days incl. working Saturday
    assert clocks["close"]["met_at"] == at("2026-10-09 11:00")
    assert all(c["met_at"] is not None for c in clocks.values())
    assert events(conn, case_id)[-7:] == [a for a, _, _ in steps]
    closed = conn.execute("select closed_at from cases where id = %s", (case_id,)).fetchone()[0]
    assert closed == at("2026-10-09 11:00")


def put_in_state(conn, city, state):
    case_id = new_case(conn, city, auto_dispatch=False)
    conn.execute("update cases set state = %s where id = %s", (state, case_id))
    return case_id


REFUSED = [(s, a) for a, t in TRANSITIONS.items() for s in STATES if s not in t.sources]


@pytest.mark.parametrize("state,action", REFUSED)
def test_invalid_transitions_are_refused(conn, city, state, action):
    case_id = put_in_state(conn, city, state)
    with pytest.raises(Conflict, match="cannot"):
        transition(conn, case_id, action, actor="admin", role="admin", now=NOW, reason="r",
                   team_id=city["west_team"], department="住建局")
    assert state_of(conn, case_id) == state
    assert events(conn, case_id) == ["registered"]


VALID = [(s, a) for a, t in TRANSITIONS.items() for s in t.sources]


@pytest.mark.parametrize("state,action", VALID)
def test_every_valid_transition(conn, city, state, action):
    case_id = put_in_state(conn, city, state)
    conn.execute("update cases set team_id = %s where id = %s", (city["west_team"], case_id))
    result = transition(conn, case_id, action, actor="admin", role="admin", now=NOW, reason="原因",
                        team_id=city["west_team"], department="住建局")
    assert result == {"case_id": case_id, "from": state, "to": TRANSITIONS[action].target}
    row = conn.execute("select kind, from_state, to_state, actor, reason from case_events where case_id = %s "
                       "order by id desc limit 1", (case_id,)).fetchone()
    assert row == (action, state, TRANSITIONS[action].target, "admin", "原因")


@pytest.mark.parametrize("action,role", [
    ("accept", "team_member"), ("close", "team_member"), ("close", "intake"), ("arrive", "intake"),
    ("reopen", "team_member"), ("assign", "monitoring"),
])
def test_roles_are_checked(conn, city, action, role):
    state = TRANSITIONS[action].sources[0]
    case_id = put_in_state(conn, city, state)
    with pytest.raises(Forbidden):
        transition(conn, case_id, action, actor="x", role=role, now=NOW, reason="r", team_id=city["west_team"])


def test_only_the_assigned_team_moves_the_case(conn, city):
    case_id = new_case(conn, city)
    with pytest.raises(Forbidden):
        transition(conn, case_id, "arrive", actor="east-1", role="team_member", now=NOW, actor_team_id=city["east_team"])
    transition(conn, case_id, "arrive", actor="west-1", role="team_member", now=NOW, actor_team_id=city["west_team"])


@pytest.mark.parametrize("action", ["transfer", "return", "reopen"])
def test_reason_is_mandatory(conn, city, action):
    case_id = put_in_state(conn, city, TRANSITIONS[action].sources[-1])
    with pytest.raises(Conflict, match="reason"):
        transition(conn, case_id, action, actor="admin", role="admin", now=NOW, reason="  ", department="住建局")


def test_transfer_sets_the_lead_department_and_stops_arrival(conn, city):
    case_id = new_case(conn, city, auto_dispatch=False)
    transition(conn, case_id, "transfer", actor="c", role="intake", now=NOW, reason="属住建", department="住建局")
    lead = conn.execute("select lead_department from cases where id = %s", (case_id,)).fetchone()[0]
    assert lead == "住建局"
    arrive = [c for c in case_clocks(conn, case_id) if c["kind"] == "arrive"][0]
    assert arrive["outcome"] == "transferred"


def test_reopen_starts_new_clocks(conn, city):
    case_id = put_in_state(conn, city, "closed")
    later = at("2026-10-20 10:00")
    transition(conn, case_id, "reopen", actor="chief", role="section_chief", now=later, reason="群众不满意")
    running = [c for c in case_clocks(conn, case_id) if c["met_at"] is None]
    assert {c["kind"] for c in running} == {"dispatch", "arrive", "close"}
    assert [c["due_at"] for c in running if c["kind"] == "arrive"] == [at("2026-10-21 10:00")]
    assert conn.execute("select reopened_count, closed_at from cases where id = %s", (case_id,)).fetchone() == (1, None)


def test_unknown_case_and_action(conn, city):
    from envpetition.errors import NotFound

    with pytest.raises(NotFound):
        transition(conn, 999999, "accept", actor="a", role="admin", now=NOW)
    case_id = new_case(conn, city)
    with pytest.raises(Conflict, match="unknown action"):
        transition(conn, case_id, "teleport", actor="a", role="admin", now=NOW)


def test_a_new_policy_version_never_rewrites_running_clocks(conn, city):
    from dispatch.policy import load_policy, new_policy_version

    before = new_case(conn, city)
    version = new_policy_version(conn, note="到场时限改为2个工作日", base=load_policy(conn),
                                 changes=[("arrive", "normal", "working_days", 2, "test")])
    after = new_case(conn, city)
    old = {c["kind"]: c for c in case_clocks(conn, before)}["arrive"]
    new = {c["kind"]: c for c in case_clocks(conn, after)}["arrive"]
    assert (old["policy_version"], old["due_at"]) == (1, at("2026-10-08 16:00"))
    assert (new["policy_version"], new["due_at"]) == (version, at("2026-10-09 16:00"))


def test_second_department_joins_without_taking_the_lead(conn, city):
    from dispatch.lifecycle import add_department

    case_id = new_case(conn, city, auto_dispatch=False)
    add_department(conn, case_id, "住建局", now=NOW)
    add_department(conn, case_id, "城管局", now=NOW)
    rows = conn.execute("select department, is_lead from case_departments where case_id = %s order by added_at, department",
                        (case_id,)).fetchall()
    assert sorted(rows) == [("住建局", True), ("城管局", False)]
    assert conn.execute("select lead_department from cases where id = %s", (case_id,)).fetchone()[0] == "住建局"


def test_extension_once_by_a_bureau_leader(conn, city):
    from dispatch.lifecycle import extend_case

    case_id = new_case(conn, city)
    with pytest.raises(Forbidden):
        extend_case(conn, case_id, actor="k", role="section_chief", reason="r", now=NOW)
    due = extend_case(conn, case_id, actor="d", role="deputy_director", reason="需第三方鉴定", now=NOW)
    assert due == at("2026-12-29 16:00")
    with pytest.raises(Conflict, match="already"):
        extend_case(conn, case_id, actor="d", role="deputy_director", reason="again", now=NOW)


def test_case_history_is_append_only(conn, city):
    import psycopg

    case_id = new_case(conn, city)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"), conn.transaction():
        conn.execute("update case_events set reason = 'rewritten' where case_id = %s", (case_id,))
    with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
        conn.execute("delete from case_events where case_id = %s", (case_id,))


def test_returning_a_case_cancels_its_undelivered_order(conn, city):
    case_id = new_case(conn, city)
    transition(conn, case_id, "return", actor="w", role="team_member", now=NOW, reason="不属本网格",
               actor_team_id=city["west_team"])
    assert conn.execute("select state from dispatch_orders where case_id = %s", (case_id,)).fetchall() == [("cancelled",)]
    transition(conn, case_id, "assign", actor="i", role="intake", now=NOW, team_id=city["east_team"])
    states = conn.execute("select team_id, state from dispatch_orders where case_id = %s order by id", (case_id,)).fetchall()
    assert states == [(city["west_team"], "cancelled"), (city["east_team"], "queued")]

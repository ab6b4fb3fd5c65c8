"""The say-no escalation ladder: refusals climb, only the director says a final no, flags both ways."""

from __future__ import annotations

import pytest

from dispatch.ladder import final_no, refuse
from dispatch.lifecycle import transition
from envpetition.errors import Conflict, Forbidden, InvalidInput
from tests.dispatch.conftest import at
from tests.dispatch.test_lifecycle import new_case

T0 = at("2026-09-30 16:00")


def level(conn, case_id):
    return conn.execute("select level from cases where id = %s", (case_id,)).fetchone()[0]


def climb_to_director(conn, case_id, now=T0):
    refuse(conn, case_id, actor="q", role="intake", reason="不属本队职责", now=now)
    refuse(conn, case_id, actor="k", role="section_chief", reason="需跨部门协调", now=now)
    return refuse(conn, case_id, actor="d", role="deputy_director", reason="需主要领导决定", now=now)


def test_refusal_below_director_moves_the_case_up_one_level(conn, city):
    case_id = new_case(conn, city)
    with pytest.raises(Forbidden):
        refuse(conn, case_id, actor="e", role="team_member", reason="不归我们", now=T0, actor_team_id=city["east_team"])
    result = refuse(conn, case_id, actor="q", role="team_member", reason="执法权限不足", now=at("2026-10-08 10:00"),
                    actor_team_id=city["west_team"])
    assert result["to_level"] == 2 and level(conn, case_id) == 2
    row = conn.execute("select from_level, to_level, final, reason from refusals where case_id = %s",
                       (case_id,)).fetchone()
    assert row == (1, 2, False, "执法权限不足")
    notice = conn.execute("select recipient_role from outbox where case_id = %s", (case_id,)).fetchone()
    assert notice == ("section_chief",)
    state = conn.execute("select state from cases where id = %s", (case_id,)).fetchone()[0]
    assert state == "assigned"  # a refusal never drops the case


def test_reason_is_mandatory(conn, city):
    case_id = new_case(conn, city)
    with pytest.raises(InvalidInput):
        refuse(conn, case_id, actor="q", role="team_member", reason=" ", now=T0)
    assert level(conn, case_id) == 1


@pytest.mark.parametrize("case_level,role", [(1, "section_chief"), (2, "team_member"), (3, "director"),
                                            (4, "deputy_director"), (2, "monitoring")])
def test_only_the_holder_of_the_level_may_escalate(conn, city, case_level, role):
    case_id = new_case(conn, city)
    conn.execute("update cases set level = %s where id = %s", (case_level, case_id))
    with pytest.raises(Forbidden):
        refuse(conn, case_id, actor="x", role=role, reason="r", now=T0)


def test_the_ladder_up_to_city_leadership(conn, city):
    case_id = new_case(conn, city)
    result = climb_to_director(conn, case_id)
    assert level(conn, case_id) == 4
    assert result["final_no_due"] == at("2026-10-13 16:00").isoformat()  # 5 working days over National Day
    refuse(conn, case_id, actor="dir", role="director", reason="跨部门协调未果,提请市领导", now=T0)
    assert level(conn, case_id) == 5
    with pytest.raises(Conflict, match="city leadership"):
        refuse(conn, case_id, actor="dir", role="admin", reason="r", now=T0)


def test_no_final_no_below_the_director(conn, city):
    case_id = new_case(conn, city)
    conn.execute("update cases set level = 3 where id = %s", (case_id,))
    with pytest.raises(Conflict, match="level 4"):
        final_no(conn, case_id, actor="dir", role="director", reason="r", suggestion="s", now=T0)
    with pytest.raises(Forbidden):
        final_no(conn, case_id, actor="dd", role="deputy_director", reason="r", suggestion="s", now=T0)


def test_final_no_needs_reason_and_suggestion_within_the_deadline(conn, city):
    case_id = new_case(conn, city)
    climb_to_director(conn, case_id)
    with pytest.raises(InvalidInput):
        final_no(conn, case_id, actor="dir", role="director", reason="法无授权", suggestion="", now=T0)
    with pytest.raises(Conflict, match="deadline"):
        final_no(conn, case_id, actor="dir", role="director", reason="法无授权", suggestion="向法院起诉",
                 now=at("2026-10-13 16:01"))
    result = final_no(conn, case_id, actor="dir", role="director", reason="法无授权",
                      suggestion="可向区法院提起民事诉讼", now=at("2026-10-13 15:00"))
    assert result["outcome"] == "final_no"
    row = conn.execute("select final, suggestion from refusals where case_id = %s and final", (case_id,)).fetchone()
    assert row == (True, "可向区法院提起民事诉讼")
    assert conn.execute("select state, outcome from cases where id = %s", (case_id,)).fetchone() == ("replied", "final_no")
    transition(conn, case_id, "follow_up", actor="i", role="intake", now=at("2026-10-14 10:00"))


def test_escalating_at_once_without_any_action_is_flagged(conn, city):
    case_id = new_case(conn, city)
    refuse(conn, case_id, actor="q", role="intake", reason="推给上级", now=at("2026-09-30 16:05"))
    flags = conn.execute("select kind, level from accountability_flags where case_id = %s", (case_id,)).fetchall()
    assert flags == [("escalated_without_effort", 1)]


def test_escalating_after_work_is_not_flagged(conn, city):
    case_id = new_case(conn, city)
    transition(conn, case_id, "arrive", actor="q", role="team_member", now=at("2026-09-30 16:10"),
               actor_team_id=city["west_team"])
    refuse(conn, case_id, actor="q", role="team_member", reason="企业拒绝整改,需上级", now=at("2026-09-30 16:20"),
           actor_team_id=city["west_team"])
    assert conn.execute("select count(*) from accountability_flags where case_id = %s", (case_id,)).fetchone()[0] == 0

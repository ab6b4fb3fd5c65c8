"""Supervision orders, leaders' cases with quota, listed cases with checklist closure, ledgers, follow-up,
satisfaction votes (also by receipt token) and KPIs."""

from __future__ import annotations

from datetime import date

import pytest

from dispatch import followup, kpi, supervision
from dispatch.escalation import scan
from dispatch.lifecycle import transition
from envpetition.errors import Conflict, Forbidden, InvalidInput, NotFound
from ingest import intake
from tests.dispatch.conftest import at
from tests.dispatch.test_lifecycle import new_case

T0 = at("2026-10-09 09:00")


def walk(conn, city, case_id, until="reply", start=T0):
    steps = [("arrive", "team_member"), ("investigate", "team_member"), ("reply", "team_member"),
             ("follow_up", "intake"), ("close", "section_chief")]
    for action, role in steps:
        transition(conn, case_id, action, actor=role, role=role, now=start, actor_team_id=city["west_team"])
        if action == until:
            break


def test_supervision_order_runs_an_absolute_clock_until_answered(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    order = supervision.issue_supervision_order(conn, case_id, actor="孙局长", role="director",
                                                instruction="明天18:00下班前答复我", deadline_at=at("2026-10-10 18:00"), now=T0)
    clock = conn.execute("select kind, due_at, met_at from clocks k join supervision_orders s on s.clock_id = k.id "
                         "where s.id = %s", (order,)).fetchone()
    assert clock == ("supervision", at("2026-10-10 18:00"), None)
    scan(conn, now=at("2026-10-10 18:30"))
    assert conn.execute("select threshold from escalations e join supervision_orders s on s.clock_id = e.clock_id "
                        "where s.id = %s order by 1", (order,)).fetchall() == [(50,), (80,), (100,)]
    supervision.fulfil_supervision_order(conn, order, actor="队长", role="team_member", note="已查处", now=at("2026-10-10 19:00"))
    with pytest.raises(Conflict):
        supervision.fulfil_supervision_order(conn, order, actor="队长", role="team_member", note="again", now=T0)
    with pytest.raises(Forbidden):
        supervision.issue_supervision_order(conn, case_id, actor="x", role="team_member", instruction="i",
                                            deadline_at=at("2026-10-11 18:00"), now=T0)
    with pytest.raises(InvalidInput):
        supervision.issue_supervision_order(conn, case_id, actor="x", role="director", instruction="i",
                                            deadline_at=at("2026-10-01 18:00"), now=T0)


def test_leader_cases_quota_and_five_duties(conn, city):
    cases = [new_case(conn, city, opened_at=T0) for _ in range(4)]
    for case_id in cases[:3]:
        supervision.take_leader_case(conn, case_id, leader="王副局长", role="deputy_director", now=T0)
    with pytest.raises(Conflict, match="quota"):
        supervision.take_leader_case(conn, cases[3], leader="王副局长", role="deputy_director", now=T0)
    first = supervision.take_leader_case(conn, cases[3], leader="李局长", role="director", now=T0)
    for duty in supervision.FIVE_DUTIES:
        supervision.mark_duty(conn, first, duty, actor="李局长", now=T0)
    with pytest.raises(InvalidInput):
        supervision.mark_duty(conn, first, "包吃包住", actor="李局长", now=T0)
    report = supervision.quota_report(conn, date(2026, 10, 1), leaders=["赵副局长"])
    assert report["supervision_month"] is True  # October opens a quarter
    by = {r["leader"]: r for r in report["leaders"]}
    assert (by["王副局长"]["cases"], by["王副局长"]["status"]) == (3, "ok")
    assert (by["李局长"]["cases"], by["李局长"]["status"], by["李局长"]["all_duties_done"]) == (1, "short", 1)
    assert by["赵副局长"]["cases"] == 0
    with pytest.raises(Forbidden):
        supervision.take_leader_case(conn, cases[0], leader="x", role="section_chief", now=T0)


def test_listed_case_closes_only_when_every_item_is_done(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    listed = supervision.list_case(conn, title="钛白粉厂异味整治", actor="李局长", role="director", now=T0, case_id=case_id,
                                   target_date=date(2027, 6, 30),
                                   items=[("milestone", "完成废气收集改造", date(2026, 12, 31)),
                                          ("checklist", "第三方检测达标", None)])
    items = supervision.listed_cases(conn, today=date(2027, 1, 5))[0]["items"]
    assert [i["overdue"] for i in items] == [True, False]
    with pytest.raises(Conflict, match="items still open"):
        supervision.close_listed_case(conn, listed, actor="李局长", role="director", now=T0)
    for item in items:
        supervision.complete_item(conn, item["id"], actor="队长", evidence="检测报告", now=T0)
    supervision.close_listed_case(conn, listed, actor="李局长", role="director", now=at("2027-01-10 10:00"))
    assert supervision.listed_cases(conn, today=date(2027, 1, 10)) == []
    with pytest.raises(Conflict):
        supervision.complete_item(conn, items[0]["id"], actor="x", evidence="", now=T0)


def test_unsatisfied_vote_by_receipt_reopens_and_enters_the_ledger(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    conn.execute("insert into complaints (channel, external_id, received_at, text, case_id, receipt_token) "
                 "values ('12369', 'r1', %s, '异味', %s, 'tok-123')", (T0, case_id))
    with pytest.raises(Conflict, match="after the reply"):
        intake.vote_by_receipt(conn, "tok-123", "unsatisfied", now=T0)
    walk(conn, city, case_id, until="reply")
    followup.record_follow_up(conn, case_id, actor="坐席", role="intake", method="phone", notes="回访", now=T0)
    result = intake.vote_by_receipt(conn, "tok-123", "unsatisfied", now=at("2026-10-12 10:00"), comment="还是有味")
    assert result["reopened"] is True
    assert conn.execute("select state from cases where id = %s", (case_id,)).fetchone()[0] == "reopened"
    assert [r["case_id"] for r in supervision.ledger(conn, "unsatisfied")] == [case_id]
    meeting = supervision.weekly_meeting_list(conn, now=at("2026-10-12 10:00"))
    assert ("unsatisfied", case_id) in [(i["source"], i["case_id"]) for i in meeting["items"]]
    with pytest.raises(NotFound):
        intake.vote_by_receipt(conn, "nope", "satisfied", now=T0)
    with pytest.raises(InvalidInput):
        followup.vote(conn, case_id, "meh", via="staff", now=T0, actor="x")


def test_kpis_per_team_and_month(conn, city):
    good = new_case(conn, city, opened_at=T0)
    walk(conn, city, good, until="close", start=at("2026-10-09 10:00"))
    followup.vote(conn, good, "satisfied", via="staff", now=at("2026-10-09 11:00"), actor="坐席")
    late = new_case(conn, city, opened_at=T0)  # never arrives: overdue by the 12th
    rows = kpi.kpis(conn, start=date(2026, 10, 1), end=date(2026, 11, 1), now=at("2026-10-12 12:00"))
    west = [r for r in rows if r["team_id"] == city["west_team"]][0]
    assert west["month"] == "2026-10" and west["cases"] == 2
    assert west["response_rate"] == 0.5
    assert west["resolution_rate"] == 0.5
    assert west["satisfaction_rate"] == 1.0
    assert west["on_time_rate"] == 1.0  # the late case's close clock is not due yet
    assert late != good

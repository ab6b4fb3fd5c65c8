"""Time-based escalation: steps at 50/80/100/150 %, actions, quiet hours, and two scanners at once."""

from __future__ import annotations

import threading

import pytest

from dispatch.cases import NewCase, open_case
from dispatch.clocks import case_clocks, pause_clock, resume_clock
from dispatch.escalation import crossed_thresholds, scan
from dispatch.ladder import refuse
from envpetition.db import connect
from tests.dispatch.conftest import at, make_city
from tests.dispatch.test_lifecycle import new_case

T0 = at("2026-10-09 09:00")  # Friday; normal arrival due Sat 10 Oct 09:00 (adjusted working day)


def fired(conn, case_id):
    return conn.execute("select k.kind, e.threshold from escalations e join clocks k on k.id = e.clock_id "
                        "where e.case_id = %s order by k.kind, e.threshold", (case_id,)).fetchall()


def test_half_time_reminds_the_team_and_night_notices_wait_for_morning(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    summary = scan(conn, now=at("2026-10-09 21:30"))  # 12.5 h of a 24 h clock, at night
    assert fired(conn, case_id) == [("arrive", 50)]
    assert summary["by_threshold"] == {"50": 1}
    notice = conn.execute("select recipient_role, recipient_team_id, send_after from outbox where case_id = %s",
                          (case_id,)).fetchone()
    assert notice == ("team_member", city["west_team"], at("2026-10-10 08:30"))  # working Saturday morning
    assert conn.execute("select level from cases where id = %s", (case_id,)).fetchone()[0] == 1


def test_urgent_notices_go_at_once(conn, city):
    case_id = new_case(conn, city, opened_at=at("2026-10-03 22:00"), priority="emergency")  # holiday night
    scan(conn, now=at("2026-10-03 23:40"))  # 100 min of 120 → 83 %
    assert fired(conn, case_id) == [("arrive", 50), ("arrive", 80)]
    rows = conn.execute("select recipient_role, send_after from outbox where case_id = %s", (case_id,)).fetchall()
    assert rows == [("section_chief", at("2026-10-03 23:40"))]  # one notice for the highest step caught up


def test_breach_and_overrun_fire_every_step_once_with_their_actions(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    late = at("2026-10-10 22:00")  # arrive clock at 154 %
    first = scan(conn, now=late)
    assert fired(conn, case_id) == [("arrive", 50), ("arrive", 80), ("arrive", 100), ("arrive", 150)]
    assert first["supervision_orders"] == 1 and first["meeting_items"] == 1 and first["flags"] == 1
    assert conn.execute("select level from cases where id = %s", (case_id,)).fetchone()[0] == 4
    order = conn.execute("select deadline_at, clock_id from supervision_orders where case_id = %s", (case_id,)).fetchone()
    assert order[0] == at("2026-10-12 22:00")  # one working day later (Sunday 11 is off)
    assert {c["kind"] for c in case_clocks(conn, case_id) if c["met_at"] is None} >= {"supervision"}
    assert conn.execute("select week from meeting_items where case_id = %s", (case_id,)).fetchone()[0].isoformat() == "2026-10-05"
    assert conn.execute("select ledger from ledger_entries where case_id = %s", (case_id,)).fetchall() == [("unresolved",)]
    flag = conn.execute("select kind from accountability_flags where case_id = %s", (case_id,)).fetchall()
    assert flag == [("breached_without_escalation",)]
    again = scan(conn, now=late)
    assert again["fired"] == 0
    assert conn.execute("select count(*) from case_events where case_id = %s and kind = 'time_escalated'",
                        (case_id,)).fetchone()[0] == 4


def test_two_clocks_breaking_in_one_scan_give_one_supervision_order(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    conn.execute("insert into clocks (case_id, kind, started_at, due_at, base_due_at, policy_version, next_threshold, "
                 "next_alert_at, urgent) select case_id, 'reply', started_at, due_at, base_due_at, policy_version, "
                 "next_threshold, next_alert_at, urgent from clocks where case_id = %s and kind = 'arrive'", (case_id,))
    summary = scan(conn, now=at("2026-10-10 22:00"))
    assert summary["by_threshold"]["100"] == 2
    assert summary["supervision_orders"] == 1
    assert conn.execute("select count(*) from supervision_orders where case_id = %s", (case_id,)).fetchone()[0] == 1


def test_breach_after_a_person_escalated_is_not_flagged(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    conn.execute("insert into case_events (case_id, at, actor, role, kind) values (%s, %s, 'x', 'team_member', 'arrive_attempt')",
                 (case_id, at("2026-10-09 09:30")))
    refuse(conn, case_id, actor="q", role="team_member", reason="企业闭门", now=at("2026-10-09 10:00"),
           actor_team_id=city["west_team"])
    scan(conn, now=at("2026-10-10 09:30"))
    assert ("arrive", 100) in fired(conn, case_id)
    assert conn.execute("select count(*) from accountability_flags where case_id = %s", (case_id,)).fetchone()[0] == 0


def test_a_scanner_killed_mid_batch_loses_nothing(conn, city):
    case_id = new_case(conn, city, opened_at=T0)

    class Killed(Exception):
        pass

    with pytest.raises(Killed), conn.transaction():
        scan(conn, now=at("2026-10-10 22:00"))
        raise Killed  # the process dies before commit: everything it did rolls back
    assert fired(conn, case_id) == []
    assert scan(conn, now=at("2026-10-10 22:00"))["fired"] == 4
    assert fired(conn, case_id) == [("arrive", 50), ("arrive", 80), ("arrive", 100), ("arrive", 150)]


def test_paused_clock_does_not_escalate_and_resumes_later(conn, city):
    case_id = new_case(conn, city, opened_at=T0)
    close = [c for c in case_clocks(conn, case_id) if c["kind"] == "close"][0]
    pause_clock(conn, close["id"], reason="等待第三方检测报告", approver="分管领导", now=at("2026-10-20 09:00"))
    scan(conn, now=at("2026-11-20 09:00"))
    assert ("close", 50) not in fired(conn, case_id)
    new_due = resume_clock(conn, close["id"], now=at("2026-10-30 09:00"))
    assert new_due == at("2026-12-18 09:00")  # 8 Dec + 10 paused days
    pause = conn.execute("select paused_from, paused_to, reason, approver from clock_pauses").fetchone()
    assert pause[1] == at("2026-10-30 09:00") and pause[3] == "分管领导"


def test_arrival_clock_may_not_pause(conn, city):
    from envpetition.errors import Conflict

    case_id = new_case(conn, city, opened_at=T0)
    arrive = [c for c in case_clocks(conn, case_id) if c["kind"] == "arrive"][0]
    with pytest.raises(Conflict, match="may not pause"):
        pause_clock(conn, arrive["id"], reason="r", approver="a", now=T0)


def test_met_and_closed_clocks_do_not_escalate(conn, city):
    from dispatch.lifecycle import transition

    case_id = new_case(conn, city, opened_at=T0)
    transition(conn, case_id, "arrive", actor="q", role="team_member", now=at("2026-10-09 10:00"),
               actor_team_id=city["west_team"])
    scan(conn, now=at("2026-10-11 10:00"))
    assert [k for k, _ in fired(conn, case_id)] == []


def test_two_scanners_at_once_fire_every_step_exactly_once(fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as conn:
        with conn.transaction():
            make_city(conn)
            for i in range(120):
                open_case(conn, NewCase(title=f"case {i}", opened_at=T0, lon=117.82 + (i % 2) * 0.05, lat=30.92,
                                        priority=("emergency", "urgent", "normal")[i % 3]),
                          actor="t", role="intake", now=T0)
        open_clocks = conn.execute("select count(*) from clocks where met_at is null").fetchone()[0]
    now = at("2027-03-01 12:00")  # every running clock is far past 150 %
    barrier = threading.Barrier(2)
    results: list[dict] = []

    def run(name: str) -> None:
        with connect(fresh_database_url, autocommit=True) as c:
            barrier.wait()
            results.append(scan(c, now=now, batch=17, scanner=name))

    threads = [threading.Thread(target=run, args=(f"s{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with connect(fresh_database_url, autocommit=True) as conn:
        total = conn.execute("select count(*), count(distinct (clock_id, threshold)) from escalations").fetchone()
        events = conn.execute("select count(*) from case_events where kind = 'time_escalated'").fetchone()[0]
        orders = conn.execute("select count(*) from supervision_orders").fetchone()[0]
        scanners = conn.execute("select count(distinct scanner) from escalations").fetchone()[0]
        # each supervision clock created by the scan gets its own steps in a later scan
        rest = scan(conn, now=at("2027-04-01 12:00"))
    assert total[0] == total[1] == open_clocks * 4
    assert sum(r["fired"] for r in results) == total[0] == events
    assert orders == 120 * 2  # arrive and close breached on every case; one order each
    assert scanners == 2  # both did part of the work
    assert rest["fired"] == orders * 4  # the supervision orders' own clocks, once



@pytest.mark.parametrize("used_hours,next_t,reached,ahead", [
    (11.9, 50, [], 50), (12, 50, [50], 80), (19.3, 50, [50, 80], 100), (19.3, 80, [80], 100),
    (24, 100, [100], 150), (36, 50, [50, 80, 100, 150], None), (100, 150, [150], None),
])
def test_crossed_thresholds_rule(used_hours, next_t, reached, ahead):
    from datetime import timedelta

    started = at("2026-10-09 09:00")
    due = started + timedelta(hours=24)
    assert crossed_thresholds(started, due, next_t, started + timedelta(hours=used_hours)) == (reached, ahead)

"""Advance sample cases the way real teams would, for the demo's accelerated replay.

``progress_cases(conn, now=...)`` looks at every open case and takes its next step when enough
(simulated) time has passed since its last event: the team acknowledges the order, sets out,
arrives (most within the arrival clock, some late), investigates, replies; the centre calls back,
the complainant votes (mostly satisfied, some unsatisfied → reopened), a section chief closes.
Delays are a deterministic function of (case id, step), so a replay is repeatable.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from dispatch import field, followup, orders
from dispatch.lifecycle import transition
from envpetition.errors import Conflict, DomainError

OPEN_CASES = """
select c.id, c.state, c.priority, c.team_id, c.opened_at, c.reopened_count, c.lon, c.lat,
       exists (select 1 from satisfaction_votes v where v.case_id = c.id
               and v.at >= (select max(at) from case_events e where e.case_id = c.id and e.kind = 'follow_up')) as voted,
       (select max(at) from case_events e where e.case_id = c.id and e.to_state is not null) as last_at,
       (select min(due_at) from clocks k where k.case_id = c.id and k.kind = 'arrive' and k.met_at is null) as arrive_due,
       (select min(started_at) from clocks k where k.case_id = c.id and k.kind = 'arrive' and k.met_at is null) as arrive_start,
       (select id from dispatch_orders o where o.case_id = c.id and o.state in ('queued', 'sent') order by id desc limit 1) as order_id
from cases c where c.closed_at is null and c.state not in ('registered', 'transferred', 'returned')
order by c.id limit %s
"""
# step → (minimum, maximum) delay after the previous event, in minutes
DELAYS = {"ack": (2, 30), "depart": (5, 40), "investigate": (30, 180), "reply": (60, 900),
          "follow_up": (600, 2400), "vote": (10, 600), "close": (30, 600), "assign": (20, 120)}
NEXT = {"assigned": "depart", "en_route": "arrive", "on_site": "investigate", "investigated": "reply",
        "replied": "follow_up", "followed_up": "vote", "reopened": "assign"}


def _fraction(case_id: int, step: str) -> float:
    digest = hashlib.sha256(f"{case_id}:{step}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _delay(case_id: int, step: str) -> timedelta:
    low, high = DELAYS[step]
    return timedelta(minutes=low + (high - low) * _fraction(case_id, step))


def _arrival_time(case: dict[str, Any]) -> datetime:
    """Most teams arrive at 30–95 % of the arrival clock; about one in eight is late (110–160 %)."""
    start, due = case["arrive_start"], case["arrive_due"]
    f = _fraction(case["id"], "arrive")
    share = 0.3 + 0.65 * f / 0.875 if f < 0.875 else 1.1 + (f - 0.875) * 4
    return start + (due - start) * share


def progress_cases(conn: psycopg.Connection[Any], *, now: datetime, limit: int = 5000) -> dict[str, int]:
    """Take each open case one step further when its time has come; return counts per step."""
    with conn.cursor(row_factory=dict_row) as cur:
        cases = cur.execute(OPEN_CASES, (limit,)).fetchall()
    done: dict[str, int] = {}
    for case in cases:
        step = NEXT.get(case["state"])
        last = case["last_at"] or case["opened_at"]
        if case["order_id"] and now >= last + _delay(case["id"], "ack"):
            orders.acknowledge(conn, case["order_id"], by=f"team-{case['team_id']}", now=now)
            done["ack"] = done.get("ack", 0) + 1
        if step is None:
            continue
        if step == "arrive":
            due_at = _arrival_time(case) if case["arrive_due"] else last + _delay(case["id"], "depart")
        elif step == "vote" and (case["voted"] or _fraction(case["id"], "voter") > 0.7):
            step, due_at = "close", last + _delay(case["id"], "close")  # no vote given
        else:
            due_at = last + _delay(case["id"], step)
        if now < due_at:
            continue
        try:
            _take(conn, case, step, now)
        except DomainError:
            continue  # a person moved the case meanwhile; try again next round
        done[step] = done.get(step, 0) + 1
    done["supervision_answered"] = _answer_supervision(conn, now)
    return done


UNANSWERED = """
select o.id, o.case_id, o.issued_at, c.team_id from supervision_orders o join cases c on c.id = o.case_id
where o.fulfilled_at is null and o.issued_at <= %s order by o.id limit 500
"""


def _answer_supervision(conn: psycopg.Connection[Any], now: datetime) -> int:
    """Teams report on supervision orders 1–8 hours after they are issued."""
    from dispatch.supervision import fulfil_supervision_order

    answered = 0
    for order_id, case_id, issued, team_id in conn.execute(UNANSWERED, (now,)).fetchall():
        if now >= issued + timedelta(minutes=60 + 420 * _fraction(order_id, "supervision")):
            try:
                fulfil_supervision_order(conn, order_id, actor=f"case-{case_id}-team", role="team_member",
                                         note="已按督办要求办理并报告", now=now, actor_team_id=team_id)
            except DomainError:
                continue
            answered += 1
    return answered


def _check_in(conn: psycopg.Connection[Any], case: dict[str, Any], now: datetime) -> None:
    """到场打卡 through the team app's service: a position 10–150 m from the case, one in ten 400–900 m off."""
    f, bearing = _fraction(case["id"], "where"), 2 * math.pi * _fraction(case["id"], "bearing")
    metres = 10 + 140 * f / 0.9 if f < 0.9 else 400 + 5000 * (f - 0.9)
    lon = lat = None
    if case["lon"] is not None:
        lat = case["lat"] + metres * math.cos(bearing) / 111_320
        lon = case["lon"] + metres * math.sin(bearing) / (111_320 * math.cos(math.radians(case["lat"])))
    # One id per case and step it follows: recorded once however often the demo retries it.
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"envpetition-demo/{case['id']}/{case['last_at']}/arrive"))
    item = field.FieldAction(key, case["id"], "arrive", device_at=now, lon=lon, lat=lat, accuracy_m=15.0)
    result = field.record_field_action(conn, item, actor=f"team-{case['team_id']}", role="team_member",
                                       team_id=case["team_id"], now=now)
    if result["outcome"] != "applied":
        raise Conflict(result["message"])


def _take(conn: psycopg.Connection[Any], case: dict[str, Any], step: str, now: datetime) -> None:
    team = {"actor": f"team-{case['team_id']}", "role": "team_member", "actor_team_id": case["team_id"]}
    if step == "arrive":
        _check_in(conn, case, now)
    elif step in ("depart", "investigate", "reply"):
        transition(conn, case["id"], step, now=now, **team)
    elif step == "follow_up":
        followup.record_follow_up(conn, case["id"], actor="demo-intake", role="intake", method="phone",
                                  notes="电话回访", now=now)
    elif step == "vote":
        f = _fraction(case["id"], f"verdict{case['reopened_count']}")
        verdict = "satisfied" if f < 0.75 else "basically_satisfied" if f < 0.9 else "unsatisfied"
        followup.vote(conn, case["id"], verdict, via="staff", now=now, actor="demo-intake",
                      comment="问题仍未解决" if verdict == "unsatisfied" else None)
    elif step == "close":
        transition(conn, case["id"], "close", actor="demo-chief", role="section_chief", now=now)
    elif step == "assign":
        transition(conn, case["id"], "assign", actor="demo-intake", role="intake", now=now, team_id=case["team_id"])

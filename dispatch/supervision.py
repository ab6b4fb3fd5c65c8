"""Supervision: special supervision orders, leaders' own cases, listed cases, ledgers, the weekly list.

- Special supervision order (专项督办令) with an absolute deadline, e.g. "reply by 18:00 tomorrow"
  (``003_a036d80cd5051f63.txt``); it runs as a ``supervision`` clock and escalates like any other.
- Leaders' own cases (领导包案): each bureau leader takes 2–3 key cases a month, the first month of each
  quarter is supervision month, with the five duties 包督办、包调处、包答复、包回访、包办结 (003).
- Listed cases (挂牌督办) that stay listed across years until rectified (``002_110b395cc87a76ed.txt``),
  closed only when every milestone and checklist item is done (清单销号, 003).
- Ledgers of unresolved and unsatisfied cases and the weekly dispatch meeting list (``004_e87d0cefe5859f3c.txt``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from dispatch import clocks, outbox
from dispatch.escalation import week_of
from dispatch.events import record_event
from dispatch.lifecycle import lock_case
from dispatch.policy import load_policy
from envpetition.auth import BUREAU_LEADERS, LEADERS, may
from envpetition.errors import Conflict, Forbidden, InvalidInput, NotFound
from envpetition.localtime import as_local

FIVE_DUTIES = ("包督办", "包调处", "包答复", "包回访", "包办结")
LEADER_QUOTA = (2, 3)

INSERT_ORDER = """
insert into supervision_orders (case_id, issued_by, issued_role, issued_at, instruction, deadline_at, clock_id)
values (%s, %s, %s, %s, %s, %s, %s) returning id
"""
SELECT_ORDER = "select id, case_id, clock_id, fulfilled_at from supervision_orders where id = %s for update"
FULFIL_ORDER = "update supervision_orders set fulfilled_at = %s, fulfilled_note = %s where id = %s"
MEET_CLOCK = "update clocks set met_at = %s, outcome = 'met', next_alert_at = null where id = %s and met_at is null"
COUNT_LEADER_MONTH = "select count(*) from leader_cases where leader = %s and month = %s"
INSERT_LEADER_CASE = """
insert into leader_cases (case_id, leader, month, taken_at, duties) values (%s, %s, %s, %s, %s)
on conflict (case_id, leader) do nothing returning id
"""
SELECT_LEADER_CASE = "select id, case_id, leader, duties from leader_cases where id = %s for update"
SET_DUTIES = "update leader_cases set duties = %s where id = %s"
QUOTA_REPORT = """
select leader, count(*) as cases,
       count(*) filter (where (select bool_and((duties ->> d)::boolean) from unnest(%(duties)s::text[]) d)) as all_duties_done
from leader_cases where month = %(month)s group by leader order by leader
"""
INSERT_LISTED = """
insert into listed_cases (case_id, title, listed_by, listed_at, target_date) values (%s, %s, %s, %s, %s) returning id
"""
INSERT_ITEM = "insert into listed_case_items (listed_case_id, kind, title, due_date) values (%s, %s, %s, %s) returning id"
SELECT_ITEM = "select i.id, i.done_at, l.closed_at from listed_case_items i join listed_cases l on l.id = i.listed_case_id where i.id = %s for update of i"
DONE_ITEM = "update listed_case_items set done_at = %s, done_by = %s, evidence = %s where id = %s"
SELECT_LISTED = "select id, closed_at from listed_cases where id = %s for update"
OPEN_ITEMS = "select count(*) from listed_case_items where listed_case_id = %s and done_at is null"
CLOSE_LISTED = "update listed_cases set closed_at = %s, closed_by = %s where id = %s"
LISTED = """
select l.id, l.case_id, l.title, l.listed_by, l.listed_at, l.target_date, l.closed_at,
       coalesce(json_agg(json_build_object('id', i.id, 'kind', i.kind, 'title', i.title, 'due_date', i.due_date,
                                           'done_at', i.done_at, 'overdue', coalesce(i.done_at is null and i.due_date < %(today)s, false))
                         order by i.id) filter (where i.id is not null), '[]') as items
from listed_cases l left join listed_case_items i on i.listed_case_id = l.id
where %(all)s or l.closed_at is null
group by l.id order by l.listed_at
"""
LEDGER = """
select e.id, e.case_id, e.ledger, e.added_at, e.reason, e.resolved_at, c.title, c.state, c.level, t.name as team
from ledger_entries e join cases c on c.id = e.case_id left join teams t on t.id = c.team_id
where e.ledger = %(ledger)s and (%(all)s or e.resolved_at is null)
order by e.added_at
"""
MEETING = """
select 'overdue' as source, m.case_id, m.reason, c.title, c.level, t.name as team
from meeting_items m join cases c on c.id = m.case_id left join teams t on t.id = c.team_id
where m.week = %(week)s
union all
select 'unsatisfied', e.case_id, e.reason, c.title, c.level, t.name
from ledger_entries e join cases c on c.id = e.case_id left join teams t on t.id = c.team_id
where e.ledger = 'unsatisfied' and e.resolved_at is null
union all
select 'listed', l.case_id, '挂牌督办节点逾期: ' || i.title, l.title, null, null
from listed_case_items i join listed_cases l on l.id = i.listed_case_id
where l.closed_at is null and i.done_at is null and i.due_date < %(week)s::date + 7
order by 1, 2
"""


def issue_supervision_order(
    conn: psycopg.Connection[Any], case_id: int, *, actor: str, role: str, instruction: str,
    deadline_at: datetime, now: datetime,
) -> int:
    """A leader's special supervision order with an absolute deadline; returns its id."""
    if not may(role, LEADERS):
        raise Forbidden(f"角色 {role} 不能下达督办令 / role {role} may not issue supervision orders")
    if not instruction.strip():
        raise InvalidInput("督办令必须写明要求 / a supervision order needs an instruction")
    if deadline_at <= now:
        raise InvalidInput("督办期限必须晚于现在 / the deadline must be in the future")
    with conn.transaction():
        case = lock_case(conn, case_id)
        clock_id = clocks.start_clock(conn, case_id, "supervision", now, deadline_at,
                                      policy_version=load_policy(conn).version, urgent=True)
        row = conn.execute(INSERT_ORDER, (case_id, actor, role, now, instruction, deadline_at, clock_id)).fetchone()
        assert row is not None
        record_event(conn, case_id, "supervision_order", actor=actor, role=role, at=now, reason=instruction,
                     data={"order_id": row[0], "deadline_at": deadline_at.isoformat()})
        outbox.enqueue(conn, channel="sms", recipient_role="team_member", team_id=case["team_id"], case_id=case_id,
                       subject=f"专项督办令: 案件 {case_id}",
                       body=f"{instruction}(期限 {as_local(deadline_at):%Y-%m-%d %H:%M})", now=now, urgent=True)
    return int(row[0])


def fulfil_supervision_order(conn: psycopg.Connection[Any], order_id: int, *, actor: str, role: str, note: str,
                             now: datetime) -> None:
    """Report on a supervision order; meets its clock."""
    if not note.strip():
        raise InvalidInput("必须报告办理情况 / a report is needed")
    with conn.transaction():
        row = conn.execute(SELECT_ORDER, (order_id,)).fetchone()
        if row is None:
            raise NotFound(f"督办令 {order_id} 不存在 / no supervision order {order_id}")
        if row[3] is not None:
            raise Conflict("督办令已办复 / the supervision order has already been answered")
        conn.execute(FULFIL_ORDER, (now, note, order_id))
        conn.execute(MEET_CLOCK, (now, row[2]))
        record_event(conn, row[1], "supervision_answered", actor=actor, role=role, at=now, reason=note,
                     data={"order_id": order_id})


def month_of(moment: datetime) -> date:
    return as_local(moment).date().replace(day=1)


def take_leader_case(conn: psycopg.Connection[Any], case_id: int, *, leader: str, role: str, now: datetime) -> int:
    """A bureau leader takes a key case (at most 3 a month); returns the leader-case id."""
    if not may(role, BUREAU_LEADERS):
        raise Forbidden("只有局领导可以包案 / only bureau leaders take cases")
    month = month_of(now)
    with conn.transaction():
        lock_case(conn, case_id)
        count = conn.execute(COUNT_LEADER_MONTH, (leader, month)).fetchone()[0]  # type: ignore[index]
        if count >= LEADER_QUOTA[1]:
            raise Conflict(f"{leader} 本月已包案 {count} 件(上限 {LEADER_QUOTA[1]})/ monthly quota reached")
        row = conn.execute(INSERT_LEADER_CASE, (case_id, leader, month, now,
                                                Jsonb(dict.fromkeys(FIVE_DUTIES, False)))).fetchone()
        if row is None:
            raise Conflict("该领导已包此案 / this leader already holds the case")
        record_event(conn, case_id, "leader_case", actor=leader, role=role, at=now, data={"month": month.isoformat()})
    return int(row[0])


def mark_duty(conn: psycopg.Connection[Any], leader_case_id: int, duty: str, *, actor: str, now: datetime) -> dict[str, bool]:
    """Tick one of the five duties of a leader's case."""
    if duty not in FIVE_DUTIES:
        raise InvalidInput(f"未知职责 {duty!r};应为 {'、'.join(FIVE_DUTIES)}")
    with conn.transaction():
        row = conn.execute(SELECT_LEADER_CASE, (leader_case_id,)).fetchone()
        if row is None:
            raise NotFound(f"包案 {leader_case_id} 不存在 / no leader case {leader_case_id}")
        duties = dict(row[3])
        duties[duty] = True
        conn.execute(SET_DUTIES, (Jsonb(duties), leader_case_id))
        record_event(conn, row[1], "leader_duty", actor=actor, role=None, at=now, data={"duty": duty})
    return duties


def quota_report(conn: psycopg.Connection[Any], month: date, leaders: list[str] | None = None) -> dict[str, Any]:
    """Per leader: cases taken this month against the 2–3 quota; the first month of a quarter is supervision month."""
    month = month.replace(day=1)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = {r["leader"]: r for r in cur.execute(QUOTA_REPORT, {"month": month, "duties": list(FIVE_DUTIES)})}
    for name in leaders or []:
        rows.setdefault(name, {"leader": name, "cases": 0, "all_duties_done": 0})
    for r in rows.values():
        r["status"] = "short" if r["cases"] < LEADER_QUOTA[0] else "ok"
    return {"month": month.isoformat(), "supervision_month": month.month in (1, 4, 7, 10),
            "quota": list(LEADER_QUOTA), "leaders": sorted(rows.values(), key=lambda r: r["leader"])}


def list_case(
    conn: psycopg.Connection[Any], *, title: str, actor: str, role: str, now: datetime, case_id: int | None = None,
    target_date: date | None = None, items: list[tuple[str, str, date | None]] = (),  # type: ignore[assignment]
) -> int:
    """Put a hard problem on the listed-supervision board with milestones and checklist items."""
    if not may(role, BUREAU_LEADERS):
        raise Forbidden("只有局领导可以挂牌督办 / only bureau leaders list cases")
    if not title.strip() or not items:
        raise InvalidInput("挂牌督办需要标题和至少一个节点或清单项 / a title and at least one item are needed")
    with conn.transaction():
        row = conn.execute(INSERT_LISTED, (case_id, title, actor, now, target_date)).fetchone()
        assert row is not None
        for kind, item_title, due in items:
            if kind not in ("milestone", "checklist"):
                raise InvalidInput(f"未知类型 {kind!r}: milestone | checklist")
            conn.execute(INSERT_ITEM, (row[0], kind, item_title, due))
        if case_id is not None:
            record_event(conn, case_id, "listed", actor=actor, role=role, at=now, data={"listed_case_id": row[0]})
    return int(row[0])


def complete_item(conn: psycopg.Connection[Any], item_id: int, *, actor: str, evidence: str, now: datetime) -> None:
    with conn.transaction():
        row = conn.execute(SELECT_ITEM, (item_id,)).fetchone()
        if row is None:
            raise NotFound(f"清单项 {item_id} 不存在 / no item {item_id}")
        if row[1] is not None or row[2] is not None:
            raise Conflict("清单项已完成或已销号 / item already done or case closed")
        conn.execute(DONE_ITEM, (now, actor, evidence, item_id))


def close_listed_case(conn: psycopg.Connection[Any], listed_id: int, *, actor: str, role: str, now: datetime) -> None:
    """清单销号: close a listed case only when every item is done."""
    if not may(role, BUREAU_LEADERS):
        raise Forbidden("只有局领导可以销号 / only bureau leaders close listed cases")
    with conn.transaction():
        row = conn.execute(SELECT_LISTED, (listed_id,)).fetchone()
        if row is None:
            raise NotFound(f"挂牌案件 {listed_id} 不存在 / no listed case {listed_id}")
        if row[1] is not None:
            raise Conflict("已销号 / already closed")
        left = conn.execute(OPEN_ITEMS, (listed_id,)).fetchone()[0]  # type: ignore[index]
        if left:
            raise Conflict(f"还有 {left} 项未完成,不能销号 / {left} items still open")
        conn.execute(CLOSE_LISTED, (now, actor, listed_id))


def listed_cases(conn: psycopg.Connection[Any], *, today: date, include_closed: bool = False) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(LISTED, {"today": today, "all": include_closed}).fetchall()


def ledger(conn: psycopg.Connection[Any], which: str, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    """The ledger of unresolved or unsatisfied cases."""
    if which not in ("unresolved", "unsatisfied"):
        raise InvalidInput("台账为 unresolved 或 unsatisfied / ledger is unresolved or unsatisfied")
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(LEDGER, {"ledger": which, "all": include_resolved}).fetchall()


def weekly_meeting_list(conn: psycopg.Connection[Any], *, now: datetime) -> dict[str, Any]:
    """The weekly dispatch meeting list: 150 % overruns this week, unsatisfied cases, overdue listed items."""
    week = week_of(now)
    with conn.cursor(row_factory=dict_row) as cur:
        items = cur.execute(MEETING, {"week": week}).fetchall()
    return {"week": week.isoformat(), "items": items}

"""``open_cases`` / ``attach_complaints`` write exactly the rows of the one-at-a-time path.

The same varied cases (priorities, given / grid / routed / department / workload teams, no auto
dispatch, receipt on 2026 holidays and make-up working days, per-case event times) are opened in one
bulk call and one by one through ``open_case``. Every row of cases, case_events, clocks,
dispatch_orders and case_departments must equal the rows the pre-bulk one-at-a-time code wrote,
frozen in ``data/open_cases_rows.json.gz`` (generated once from that code before it was removed),
ids mapped to case order.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely

from dispatch.assignment import add_routing_rule
from dispatch.cases import NewCase, attach_complaint, attach_complaints, open_case, open_cases
from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.errors import InvalidInput
from envpetition.teams import save_team
from tests.dispatch.conftest import at, make_city

ACTOR, ROLE = "ingest", "intake"
NOW = at("2026-11-01 09:00")
FROZEN = Path(__file__).parent / "data" / "open_cases_rows.json.gz"


def _city(conn: Any) -> dict[str, int]:
    city = make_city(conn)
    when = at("2026-01-01 00:00")
    city["community"], _ = save_area(conn, Area("community", "东湖社区", shapely.box(117.86, 30.91, 117.87, 30.92)), now=when)
    city["enterprise"], _ = save_area(conn, Area("enterprise", "铜冠化工", shapely.box(117.81, 30.91, 117.812, 30.912)), now=when)
    city["spare_team"], _ = save_team(conn, "机动队")
    save_team(conn, "停用队", active=False)
    add_routing_rule(conn, category="water", area_id=None, team_id=city["spare_team"], department=None)
    add_routing_rule(conn, category="construction_dust", area_id=None, team_id=None, department="住建局")
    add_routing_rule(conn, category="radiation", area_id=city["enterprise"], team_id=None, department="生态环境局辐射科")
    # two open cases already on the west team: the workload fallback starts from them
    for n in range(2):
        open_case(conn, NewCase(f"旧案{n}", at("2026-10-09 09:00"), team_id=city["west_team"]),
                         actor=ACTOR, role=ROLE, now=at("2026-10-09 09:00"))
    return city


def _cases(city: dict[str, int]) -> list[NewCase]:
    """Varied cases; receipt times fall on weekdays, weekends, the 2026 Spring Festival and National Day
    holidays and their make-up working days, late evenings and early mornings."""
    received = ["2026-02-13 18:40", "2026-02-14 09:10", "2026-02-15 23:55", "2026-02-28 10:00", "2026-04-04 07:00",
                "2026-05-01 12:00", "2026-05-09 08:00", "2026-09-30 17:59", "2026-10-01 00:05", "2026-10-05 14:00",
                "2026-10-09 08:29", "2026-10-10 16:00", "2026-12-31 22:00"]
    out = []
    for n, text in enumerate(received * 3):
        opened = at(text) + timedelta(minutes=n)
        kind = n % 9
        base: dict[str, Any] = {"title": f"案件{n}", "opened_at": opened, "priority": ("normal", "urgent", "emergency")[n % 3],
                                "categories": ["odour"]}
        if kind == 0:  # team already known; text that COPY must escape
            base.update(team_id=city["east_team"], grid_id=city["east_grid"], lon=117.87, lat=30.92,
                        title=f'案件{n}\t"引号"\\反斜杠\n换行,逗号{{}}', categories=['a"b', "c,d", "e\\f", "{x}", "NULL", "odour"])
        elif kind == 1:  # grid given, its team
            base.update(grid_id=city["west_grid"], community_id=city["community"], enterprise_id=city["enterprise"])
        elif kind == 2:  # grid found from the point (on the shared edge: lowest id)
            base.update(lon=117.85, lat=30.93, categories=["noise", "odour"])
        elif kind == 3:  # outside every grid: routing table to a team
            base.update(lon=118.5, lat=31.5, categories=["water"])
        elif kind == 4:  # routing to a department only: registered, department leads
            base.update(categories=["construction_dust"], lead_department="城管局")
        elif kind == 5:  # area-specific department rule
            base.update(enterprise_id=city["enterprise"], categories=["radiation"])
        elif kind == 6:  # workload fallback (the batch's earlier cases count)
            base.update(lon=120.0, lat=10.0)
        elif kind == 7:  # no auto dispatch, proactive
            base.update(grid_id=city["east_grid"], auto_dispatch=False, proactive=True, categories=[])
        else:  # workload fallback, no categories
            base.update(categories=[])
        out.append(NewCase(**base))
    return out


def _complaints(conn: Any, count: int) -> list[int]:
    return [conn.execute(
        "insert into complaints (channel, external_id, received_at, text) values ('12369', %s, %s, '臭味') returning id",
        (f"X{n}", NOW - timedelta(hours=n))).fetchone()[0] for n in range(count)]


def _snapshot(conn: Any) -> dict[str, Any]:
    """Every row of the case tables, ids replaced by the case's position (and complaint ids by theirs)."""
    order = {cid: n for n, (cid,) in enumerate(conn.execute("select id from cases order by id").fetchall())}
    complaints = {cid: n for n, (cid,) in enumerate(conn.execute("select id from complaints order by id").fetchall())}

    def rows(sql: str, case_cols: tuple[int, ...] = (0,)) -> list[tuple[Any, ...]]:
        out = []
        for row in conn.execute(sql).fetchall():
            row = list(row)
            for i in case_cols:
                row[i] = order.get(row[i]) if row[i] is not None else None
            out.append(tuple(row))
        return out

    def payload(row: tuple[Any, ...]) -> tuple[Any, ...]:
        data = dict(row[3])
        data["case_id"] = order[data["case_id"]]
        return (*row[:3], json.dumps(data, sort_keys=True, ensure_ascii=False), *row[4:])

    def event(row: tuple[Any, ...]) -> tuple[Any, ...]:
        data = dict(row[-1])
        if "complaint_id" in data:
            data["complaint_id"] = complaints[data["complaint_id"]]
        return (*row[:-1], json.dumps(data, sort_keys=True, ensure_ascii=False))

    return {
        "cases": rows("select id, state, priority, level, title, categories, team_id, lead_department, community_id, "
                      "enterprise_id, grid_id, lon, lat, proactive, opened_at, closed_at, updated_at, outcome, "
                      "reopened_count, extended from cases order by id"),
        "case_events": [event(r) for r in rows(
            "select case_id, at, actor, role, kind, from_state, to_state, reason, data from case_events "
            "order by case_id, id")],
        "clocks": rows("select case_id, kind, started_at, due_at, base_due_at, met_at, outcome, policy_version, "
                       "next_threshold, next_alert_at, paused, urgent from clocks order by case_id, id"),
        "dispatch_orders": [payload(r) for r in rows(
            "select case_id, team_id, topic, payload, state, attempts, created_at, next_attempt_at, sent_at, acked_at, "
            "acked_by, last_error from dispatch_orders order by case_id, id")],
        "case_departments": rows("select case_id, department, is_lead, added_at from case_departments "
                                 "order by case_id, department"),
    }


def _run(url: str, way: str) -> dict[str, Any]:
    with connect(url, autocommit=True) as conn, conn.transaction():
        city = _city(conn)
        news = _cases(city)
        times = [NOW if n % 4 else new.opened_at for n, new in enumerate(news)]  # backfill: receipt time
        complaints = _complaints(conn, 2 * len(news) + 1)
        if way == "bulk":
            ids = open_cases(conn, news, actor=ACTOR, role=ROLE, now=times)
        else:
            ids = [open_case(conn, new, actor=ACTOR, role=ROLE, now=t) for new, t in zip(news, times, strict=True)]
        pairs = [(ids[k % len(ids)], cid) for k, cid in enumerate(complaints)]
        pair_times = [NOW + timedelta(seconds=k) for k in range(len(pairs))]
        if way == "bulk":
            attach_complaints(conn, pairs, actor=ACTOR, now=pair_times)
        else:
            for (case_id, cid), t in zip(pairs, pair_times, strict=True):
                attach_complaint(conn, case_id, cid, actor=ACTOR, now=t)
        return _snapshot(conn)


@pytest.mark.parametrize("way", ["bulk", "one_by_one"])
def test_bulk_rows_equal_the_one_at_a_time_rows(fresh_database_url, way):
    with gzip.open(FROZEN, "rt", encoding="utf-8") as fh:
        expected = json.load(fh)
    # complaints.case_id is ingest's to write now (dispatch returns the ids): not dispatch's rows any more
    del expected["complaints"]
    got = json.loads(json.dumps(_run(fresh_database_url, way), default=_plain, ensure_ascii=False))
    # the scenario really is varied
    states = {r[1] for r in expected["cases"]}
    assert states == {"assigned", "registered"}
    bases = {json.loads(e[-1]).get("assignment") for e in expected["case_events"] if e[4] == "registered"}
    assert {"grid", "routing", "workload"} <= bases
    assert {r[1] for r in expected["case_departments"]} == {"住建局", "生态环境局辐射科"}
    assert len({r[6] for r in expected["cases"]}) >= 4  # west, east, spare teams and None
    assert any(r[5] is not None for r in expected["clocks"]) and any(r[9] is not None for r in expected["clocks"])
    for table in expected:
        assert got[table] == expected[table], table
    assert len(got["dispatch_orders"]) > 20 and len(got["case_events"]) > 150


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(type(value))


def test_bulk_checks_every_case_before_writing(conn):
    good = NewCase("好", at("2026-10-09 09:00"))
    with pytest.raises(InvalidInput):
        open_cases(conn, [good, NewCase(" ", at("2026-10-09 09:00"))], actor=ACTOR, role=ROLE, now=NOW)
    with pytest.raises(InvalidInput):
        open_cases(conn, [good, NewCase("x", at("2026-10-09 09:00"), priority="high")], actor=ACTOR, role=ROLE, now=NOW)
    assert conn.execute("select count(*) from cases").fetchone()[0] == 0
    with pytest.raises(ValueError):
        open_cases(conn, [good], actor=ACTOR, role=ROLE, now=[NOW, NOW])
    assert open_cases(conn, [], actor=ACTOR, role=ROLE, now=NOW) == []

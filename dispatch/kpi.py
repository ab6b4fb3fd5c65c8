"""KPIs per team and month from stored clocks (``004_e87d0cefe5859f3c.txt``: response, resolution,
satisfaction and on-time closure rates).

For the cases opened in a month (grouped by the team now holding them):
- response_rate: arrival clocks met by their due time / arrival clocks met or already due;
- resolution_rate: cases closed (not by a final no) / cases opened;
- satisfaction_rate: satisfied + basically satisfied / cases with a vote (the latest vote counts);
- on_time_rate: close clocks met by their due time / close clocks met or already due.
Clocks stopped for other reasons (transferred, reopened, refused) count in neither part.
A rate with an empty denominator is null.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

KPIS = """
with c as (
    select c.id, c.team_id, date_trunc('month', c.opened_at at time zone current_setting('TimeZone'))::date as month,
           c.closed_at, c.outcome
    from cases c
    where c.opened_at >= %(start)s and c.opened_at < %(end)s and (%(team)s::bigint is null or c.team_id = %(team)s)
), k as (
    select k.case_id, k.kind,
           bool_or(k.outcome = 'met' and k.met_at <= k.due_at) as on_time,
           bool_or((k.outcome = 'met') or (k.met_at is null and k.due_at <= %(now)s)) as counted
    from clocks k join c on c.id = k.case_id where k.kind in ('arrive', 'close')
    group by k.case_id, k.kind
), v as (
    select distinct on (case_id) case_id, verdict from satisfaction_votes
    where case_id in (select id from c) order by case_id, at desc, id desc
)
select c.month, c.team_id, t.name as team, count(*) as cases,
       count(*) filter (where ka.counted) as arrive_counted, count(*) filter (where ka.counted and ka.on_time) as arrive_on_time,
       count(*) filter (where c.closed_at is not null and coalesce(c.outcome, 'resolved') = 'resolved') as resolved,
       count(v.verdict) as votes, count(*) filter (where v.verdict in ('satisfied', 'basically_satisfied')) as satisfied,
       count(*) filter (where kc.counted) as close_counted, count(*) filter (where kc.counted and kc.on_time) as close_on_time
from c left join teams t on t.id = c.team_id
left join k ka on ka.case_id = c.id and ka.kind = 'arrive'
left join k kc on kc.case_id = c.id and kc.kind = 'close'
left join v on v.case_id = c.id
group by c.month, c.team_id, t.name order by c.month, t.name nulls last
"""


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def kpis(conn: psycopg.Connection[Any], *, start: date, end: date, now: datetime,
         team_id: int | None = None) -> list[dict[str, Any]]:
    """Rates per (month, team) for cases opened in [start, end)."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(KPIS, {"start": start, "end": end, "now": now, "team": team_id}).fetchall()
    return [{
        "month": r["month"].isoformat()[:7], "team_id": r["team_id"], "team": r["team"], "cases": r["cases"],
        "response_rate": _rate(r["arrive_on_time"], r["arrive_counted"]),
        "resolution_rate": _rate(r["resolved"], r["cases"]),
        "satisfaction_rate": _rate(r["satisfied"], r["votes"]),
        "on_time_rate": _rate(r["close_on_time"], r["close_counted"]),
        "counts": {k: r[k] for k in ("arrive_counted", "arrive_on_time", "resolved", "votes", "satisfied",
                                     "close_counted", "close_on_time")},
    } for r in rows]

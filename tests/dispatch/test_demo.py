"""The demo hook drives cases to closure without breaking a rule; the scanner runs alongside."""

from __future__ import annotations

from datetime import timedelta

from dispatch.cases import NewCase, open_case
from dispatch.demo import progress_cases
from dispatch.escalation import scan
from tests.dispatch.conftest import at


def test_progress_cases_reaches_closure(conn, city):
    start = at("2026-11-02 09:00")
    ids = [open_case(conn, NewCase(title=f"c{i}", opened_at=start, lon=117.82 + (i % 2) * 0.05, lat=30.92,
                                   priority=("emergency", "urgent", "normal")[i % 3]),
                     actor="intake", role="intake", now=start) for i in range(30)]
    now = start
    for _ in range(24 * 10):
        now += timedelta(hours=1)
        progress_cases(conn, now=now)
        scan(conn, now=now)
    states = dict(conn.execute("select state, count(*) from cases where id = any(%s) group by 1", (ids,)).fetchall())
    assert states.get("closed", 0) >= 20, states
    acked = conn.execute("select count(*) from dispatch_orders where state = 'acknowledged'").fetchone()[0]
    assert acked >= 30
    late = conn.execute("select count(*) from clocks where kind = 'arrive' and met_at > due_at").fetchone()[0]
    assert 0 < late < 15  # some teams arrive late, most do not

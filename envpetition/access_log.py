"""The identity access log: each unmasked view of a complainant's identity, readable by the director."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

INSERT = """
insert into identity_access_log (at, user_id, username, role, complaint_id, quarantine_id, view)
values (%s, %s, %s, %s, %s, %s, %s)
"""
RECENT = """
select id, at, username, role, complaint_id, quarantine_id, view from identity_access_log
where (%(complaint)s::bigint is null or complaint_id = %(complaint)s)
order by at desc, id desc limit %(limit)s offset %(offset)s
"""


def record(conn: psycopg.Connection[Any], *, user_id: int | None, username: str, role: str, view: str, now: datetime,
           complaint_ids: Iterable[int] = (), quarantine_ids: Iterable[int] = ()) -> int:
    """Write one line per complaint (or quarantine row) whose identity ``username`` was shown; return the count."""
    rows: list[tuple[datetime, int | None, str, str, int | None, int | None, str]] = [
        (now, user_id, username, role, cid, None, view) for cid in complaint_ids]
    rows += [(now, user_id, username, role, None, qid, view) for qid in quarantine_ids]
    if rows:
        with conn.cursor() as cur:
            cur.executemany(INSERT, rows)
    return len(rows)


def recent(conn: psycopg.Connection[Any], *, complaint_id: int | None = None, limit: int = 200,
           offset: int = 0) -> list[dict[str, Any]]:
    """The newest access-log lines, optionally for one complaint."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(RECENT, {"complaint": complaint_id, "limit": limit, "offset": offset}).fetchall()

"""The bulletin archive (table ``bulletins``, owned by analytics): save, list, fetch a document."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from analytics.bulletin.render import Bulletin
from envpetition.errors import NotFound

INSERT = """
insert into bulletins (kind, period_key, period_start, period_end, issued_at, trigger, parameters, figures, docx, xlsx, html)
values (%(kind)s, %(key)s, %(start)s, %(end)s, %(issued_at)s, %(trigger)s, %(parameters)s, %(figures)s,
        %(docx)s, %(xlsx)s, %(html)s)
on conflict do nothing returning id
"""
LIST = """
select id, kind, period_key, period_start, period_end, issued_at, trigger, parameters,
       length(docx) as docx_bytes, length(xlsx) as xlsx_bytes, length(html) as html_chars
from bulletins order by issued_at desc, id desc limit %s
"""
SCHEDULED_KEYS = "select kind, period_key from bulletins where trigger = 'schedule'"
DOCUMENT = {"docx": "select docx, period_key, kind from bulletins where id = %s",
            "xlsx": "select xlsx, period_key, kind from bulletins where id = %s",
            "html": "select html, period_key, kind from bulletins where id = %s"}


def save_bulletin(conn: psycopg.Connection[Any], built: Bulletin, *, issued_at: datetime, trigger: str) -> int | None:
    """Keep one issued bulletin with its parameters; None when the schedule already issued that period."""
    params = {"kind": built.period.kind, "key": built.period.key, "start": built.period.start, "end": built.period.end,
              "issued_at": issued_at, "trigger": trigger,
              "parameters": Jsonb({"period": built.period.key, "kind": built.period.kind, "as_of": issued_at.isoformat(),
                                   "seconds": built.seconds}),
              "figures": Jsonb(json.loads(json.dumps(built.figures, default=str))),
              "docx": built.docx, "xlsx": built.xlsx, "html": built.html}
    with conn.transaction():
        row = conn.execute(INSERT, params).fetchone()
    return int(row[0]) if row else None


def list_bulletins(conn: psycopg.Connection[Any], limit: int = 500) -> list[dict[str, Any]]:
    """Issued bulletins, newest first (no document bodies)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return list(cur.execute(LIST, (limit,)).fetchall())


def scheduled_keys(conn: psycopg.Connection[Any]) -> set[tuple[str, str]]:
    """(kind, period key) of every bulletin the schedule has issued."""
    return {(k, p) for k, p in conn.execute(SCHEDULED_KEYS).fetchall()}


def bulletin_document(conn: psycopg.Connection[Any], bulletin_id: int, fmt: str) -> tuple[bytes, str]:
    """One stored document and its file name; NotFound for an unknown id or format."""
    if fmt not in DOCUMENT:
        raise NotFound(f"未知格式 {fmt!r} / format must be one of {', '.join(DOCUMENT)}")
    row = conn.execute(DOCUMENT[fmt], (bulletin_id,)).fetchone()
    if row is None:
        raise NotFound(f"通报 {bulletin_id} 不存在 / no bulletin {bulletin_id}")
    body = row[0].encode("utf-8") if isinstance(row[0], str) else bytes(row[0])
    return body, f"bulletin-{row[2]}-{row[1]}.{fmt}"

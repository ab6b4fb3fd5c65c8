"""COPY of many rows at once, formatted in Python as PostgreSQL's text format (one ``write`` per
batch instead of one ``write_row`` per row: the bulk case path writes ~10 rows per case)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _array_item(item: Any) -> str:
    if item is None:
        return "NULL"
    return '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'


def copy_text(value: Any) -> str:
    """One value in COPY text format (escaped; ``\\N`` for null)."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Jsonb):
        return json.dumps(value.obj, ensure_ascii=False).translate(_ESCAPES)
    if isinstance(value, (list, tuple)):
        return ("{" + ",".join(_array_item(i) for i in value) + "}").translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def copy_rows(conn: psycopg.Connection[Any], statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run a ``copy … from stdin`` (text format) with ``rows``; nothing when there are none."""
    data = "".join("\t".join(map(copy_text, row)) + "\n" for row in rows)
    if not data:
        return
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(data)

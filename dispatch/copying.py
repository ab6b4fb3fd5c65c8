"""COPY of many rows at once, formatted in Python as PostgreSQL's text format.

Formatting is the cost here (the bulk case path writes ~10 rows and ~70 values per case), so:
values are formatted by a lookup on their exact type instead of a chain of ``isinstance``; a
datetime object is formatted once per COPY (one case's clocks share the same receipt and due
objects, and a batch shares one event time); escaping runs only on strings that need it. The data
goes out in chunks so the server parses and inserts one chunk while Python formats the next.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
CHUNK_ROWS = 2000  # rows per write: large enough to keep calls few, small enough to overlap with the server


def _escape(text: str) -> str:
    # str.translate walks every character through a dict; most strings need no escape at all.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_ESCAPES)
    return text


def _array_item(item: Any) -> str:
    if item is None:
        return "NULL"
    return '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(value: list[Any] | tuple[Any, ...]) -> str:
    return _escape("{" + ",".join(_array_item(i) for i in value) + "}")


def _json(value: Jsonb) -> str:
    # json.dumps escapes every control character itself, so only its backslashes need doubling.
    return json.dumps(value.obj, ensure_ascii=False).replace("\\", "\\\\")


_BY_TYPE: dict[type, Callable[[Any], str]] = {
    str: _escape, int: str, float: repr, bool: lambda v: "t" if v else "f", type(None): lambda _: "\\N",
    Jsonb: _json, list: _array, tuple: _array, date: date.isoformat,
}


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
        return _json(value)
    if isinstance(value, (list, tuple)):
        return _array(value)
    return _escape(str(value))


def _cell_formatter() -> Callable[[Any], str]:
    """``copy_text`` with a memo of datetime objects (kept alive by the memo, so ids stay unique)."""
    moments: dict[int, tuple[datetime, str]] = {}

    def cell(value: Any) -> str:
        kind = type(value)
        if kind is datetime:
            hit = moments.get(id(value))
            if hit is None:
                hit = moments[id(value)] = (value, value.isoformat())
            return hit[1]
        format_ = _BY_TYPE.get(kind)
        return format_(value) if format_ is not None else copy_text(value)

    return cell


def _chunks(rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    cell = _cell_formatter()
    lines: list[str] = []
    for row in rows:
        lines.append("\t".join(map(cell, row)))
        if len(lines) >= CHUNK_ROWS:
            yield "\n".join(lines) + "\n"
            lines.clear()
    if lines:
        yield "\n".join(lines) + "\n"


def copy_rows(conn: psycopg.Connection[Any], statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run a ``copy … from stdin`` (text format) with ``rows``; nothing when there are none."""
    chunks = _chunks(rows)
    first = next(chunks, None)
    if first is None:
        return
    with conn.cursor() as cur, cur.copy(statement) as copy:
        copy.write(first)
        for chunk in chunks:  # formatted while the server takes in the previous one
            copy.write(chunk)

"""Every list and table on the pages as .xlsx or .csv, exactly as filtered, with the filter in the file."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException
from fastapi.responses import Response

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}


def _header_lines(title: str, filters: dict[str, str], exported_at: datetime) -> list[list[str]]:
    return [[title], ["筛选条件 filter"] + [f"{k}: {v}" for k, v in filters.items()],
            ["导出时间 exported", exported_at.isoformat(timespec="seconds")], []]


def table_bytes(title: str, filters: dict[str, str], columns: list[str], rows: list[list[Any]], fmt: str,
                exported_at: datetime) -> bytes:
    """The table as file bytes: title, the filter, the export time, a blank line, then header and rows."""
    lines = _header_lines(title, filters, exported_at)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerows(lines)
        writer.writerow(columns)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Chinese CSV correctly
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "data"  # type: ignore[union-attr]
        for line in [*lines, columns, *rows]:
            ws.append([v if isinstance(v, (int, float, str)) or v is None else str(v) for v in line])  # type: ignore[union-attr]
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise HTTPException(404, f"未知格式 {fmt!r} / format must be xlsx or csv")


def export_response(name: str, title: str, filters: dict[str, str], columns: list[str], rows: list[list[Any]],
                    fmt: str, exported_at: datetime) -> Response:
    """A download of the table named ``name``.``fmt``."""
    body = table_bytes(title, filters, columns, rows, fmt, exported_at)
    filename = f"{name}.{fmt}"
    return Response(body, media_type=FORMATS[fmt], headers={
        "Content-Disposition": f"attachment; filename=\"{filename.encode('ascii', 'replace').decode()}\"; "
                               f"filename*=UTF-8''{quote(filename)}"})

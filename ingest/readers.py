"""Read complaint exports into raw rows: 12369 CSV/XLSX, 12345 JSON, letters, Open311 JSON, mapped CSV.

A reader never drops anything: rows come back with their number (1 = first data row) and the
original cells; what cannot be read as rows at all (empty file, sheet without known headers,
undecodable bytes) comes back as a file-level problem for the quarantine.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ingest.fields import HEADER_ALIASES, map_headers

FORMATS = ("auto", "12369", "12345", "letters", "open311", "mapped")
ENCODINGS = ("utf-8-sig", "gb18030")
EXPECTED_SHEET = "举报记录"
OPEN311_COLUMNS = {
    "external_id": ["service_request_id", "token"], "received_at": ["requested_datetime"],
    "text": ["description"], "address": ["address", "address_string"], "lon": ["long"], "lat": ["lat"], "crs": ["crs"],
    "name": ["name", "first_name"], "phone": ["phone"], "reported_party": ["reported_party"],
    "category_hint": ["service_code"],
}


class ImportFileError(ValueError):
    """The file cannot be imported at all (missing, unknown format, bad mapping file)."""


@dataclass
class Mapping:
    """A column-mapping file for exports we have not seen (TOML or JSON)."""

    columns: dict[str, str | list[str]]
    channel: str | None = None
    sheet: str | None = None
    crs: str | None = None
    date_format: str | None = None
    encoding: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> Mapping:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
        except (OSError, ValueError) as exc:
            raise ImportFileError(f"cannot read mapping file {path}: {exc}") from exc
        columns = data.get("columns")
        if not isinstance(columns, dict) or "text" not in columns or "received_at" not in columns:
            raise ImportFileError("mapping file needs a [columns] table with at least text and received_at")
        unknown = set(columns) - set(HEADER_ALIASES)
        if unknown:
            raise ImportFileError(f"mapping file names unknown fields {sorted(unknown)}; known: {sorted(HEADER_ALIASES)}")
        return cls(columns=columns, channel=data.get("channel"), sheet=data.get("sheet"), crs=data.get("crs"),
                   date_format=data.get("date_format"), encoding=data.get("encoding"))


@dataclass
class RawRow:
    """One input row: its number, its cells as they came, and which cells feed which field."""

    row_no: int
    data: dict[str, Any]
    columns: dict[str, list[str]]


@dataclass
class RawFile:
    """What a reader found: rows with their column map, and file-level problems."""

    format: str
    channel: str
    rows: list[RawRow] = field(default_factory=list)
    problems: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    default_crs: str | None = None
    date_format: str | None = None
    encoding: str | None = None


def _decode(data: bytes, preferred: str | None = None) -> tuple[str, str]:
    for encoding in ((preferred,) if preferred else ()) + ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError("file is neither UTF-8 nor GBK/GB18030")


def _frame_rows(frame: pd.DataFrame) -> list[tuple[int, dict[str, Any]]]:
    """Rows as dicts numbered from 1, leaving out rows with every cell blank (",,,,," lines)."""
    blank = frame.map(lambda v: v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()))
    frame = frame[~blank.all(axis=1)]
    records = frame.to_dict(orient="records")
    return [(int(i) + 1, {str(k): v for k, v in rec.items()}) for i, rec in zip(frame.index, records, strict=True)]


def guess_format(headers: list[str]) -> str | None:
    """12369, 12345 or letters from the header row; None when nothing fits."""
    columns = map_headers(list(headers))
    if "text" not in columns or "received_at" not in columns:
        return None
    keys = {h.strip().lstrip("\ufeff") for h in headers}
    if keys & {"诉求内容", "工单号", "来电时间", "事发地址"}:
        return "12345"
    if keys & {"方式", "受理时间"}:
        return "letters"
    return "12369"


def read_table(path: Path, mapping: Mapping | None) -> tuple[list[tuple[str, pd.DataFrame]], list[tuple[dict[str, Any], str]], str | None]:
    """Sheets (name, frame) of a CSV or Excel file, problems, and the encoding used."""
    problems: list[tuple[dict[str, Any], str]] = []
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=object)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise ImportFileError(f"cannot read workbook {path.name}: {exc}") from exc
        if mapping and mapping.sheet:
            if mapping.sheet not in sheets:
                problems.append(({"file": path.name, "sheets": list(sheets)}, f"sheet {mapping.sheet!r} not found"))
                return [], problems, None
            sheets = {mapping.sheet: sheets[mapping.sheet]}
        return list(sheets.items()), problems, None
    data = path.read_bytes()
    if not data.strip():
        return [], [({"file": path.name}, "empty file")], None
    text, encoding = _decode(data, mapping.encoding if mapping else None)
    import io

    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        return [], [({"file": path.name}, "empty file")], encoding
    except pd.errors.ParserError as exc:
        raise ImportFileError(f"cannot parse {path.name} as CSV: {exc}") from exc
    return [(path.stem, frame)], problems, encoding


def read_json_rows(path: Path) -> tuple[str, list[tuple[int, dict[str, Any]]], list[tuple[dict[str, Any], str]]]:
    """12345 work orders ({"orders": [...]}) or Open311 requests (a list or {"requests": [...]})."""
    data_bytes = path.read_bytes()
    if not data_bytes.strip():
        return "12345", [], [({"file": path.name}, "empty file")]
    text, _ = _decode(data_bytes)
    try:
        data = json.loads(text)
    except ValueError as exc:
        return "12345", [], [({"file": path.name, "head": text[:500]}, f"not valid JSON: {exc}")]
    if isinstance(data, dict) and "orders" in data:
        kind, items = "12345", data["orders"]
    elif isinstance(data, dict) and "requests" in data:
        kind, items = "open311", data["requests"]
    elif isinstance(data, list):
        kind, items = "open311", data
    else:
        return "12345", [], [({"file": path.name, "keys": list(data)[:20] if isinstance(data, dict) else None},
                              "JSON has neither orders nor requests")]
    rows, problems = [], []
    for i, item in enumerate(items or [], start=1):
        if isinstance(item, dict):
            rows.append((i, item))
        else:
            problems.append(({"row": i, "value": item}, "work order is not a JSON object"))
    if not items:
        problems.append(({"file": path.name}, "empty file (no work orders)"))
    return kind, rows, problems


def read_file(path: str | Path, *, fmt: str = "auto", mapping: Mapping | None = None,
              channel: str | None = None) -> RawFile:
    """Read an export into raw rows. ``fmt`` 'auto' looks at the extension and the header row."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")
    if fmt == "mapped" and mapping is None:
        raise ImportFileError("--format mapped needs --mapping FILE")
    if not path.exists():
        raise ImportFileError(f"file not found: {path}")
    if path.suffix.lower() == ".json" and fmt in ("auto", "12345", "open311"):
        kind, rows, problems = read_json_rows(path)
        if kind == "open311":
            columns = dict(OPEN311_COLUMNS)
            return RawFile("open311", channel or "online", [RawRow(n, r, columns) for n, r in rows], problems)
        headers = sorted({key for _, row in rows for key in row})
        columns = map_headers(headers)
        return RawFile("12345", channel or "12345", [RawRow(n, r, columns) for n, r in rows], problems)
    sheets, problems, encoding = read_table(path, mapping)
    raw = RawFile(fmt, channel or (mapping.channel if mapping else None) or "", problems=problems, encoding=encoding,
                  default_crs=mapping.crs if mapping else None, date_format=mapping.date_format if mapping else None)
    offset = 0
    for sheet_name, frame in sheets:
        headers = [str(c) for c in frame.columns]
        guessed = "mapped" if mapping else guess_format(headers)
        if guessed is None:
            raw.problems.append(({"file": path.name, "sheet": sheet_name, "headers": headers[:30]},
                                 f"sheet {sheet_name!r} has no recognised headers (need a date and a content column)"))
            continue
        if raw.format == "auto":
            raw.format = guessed
        columns = map_headers(headers, mapping.columns if mapping else None)
        missing = [f for f in ("text", "received_at") if f not in columns]
        if missing:
            raw.problems.append(({"file": path.name, "sheet": sheet_name, "headers": headers[:30]},
                                 f"mapped columns not found in sheet {sheet_name!r}: {missing}"))
            continue
        rows = _frame_rows(frame)
        if not rows:
            raw.problems.append(({"file": path.name, "sheet": sheet_name}, "empty file (no data rows)"))
        if len(sheets) > 1 and sheet_name != EXPECTED_SHEET:
            for _, row in rows:
                row["_sheet"] = sheet_name
        raw.rows.extend(RawRow(offset + n, row, columns) for n, row in rows)
        offset += len(frame)
    if raw.format == "auto":
        raw.format = "12369"
    if not raw.channel:
        raw.channel = {"letters": "letters", "12345": "12345", "mapped": "mapped"}.get(raw.format, "12369")
    return raw

"""From a raw row (whatever the export called its columns) to the fields of a complaint.

Pure functions. A row that cannot be taken raises :class:`BadRow` with a reason a person can act
on; the caller quarantines it with the raw content. Naive times are Asia/Shanghai.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from envpetition.geo_crs import CHINA_BOUNDS, UnknownCRS, parse_crs
from envpetition.localtime import LOCAL_TZ, as_local

# Canonical field -> header names seen in exports (compared after NFKC, lower case, no spaces).
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("编号", "工单号", "工单编号", "举报编号", "信访编号", "序号", "id", "service_request_id"),
    "received_at": ("举报时间", "来电时间", "受理时间", "投诉时间", "来信时间", "登记时间", "requested_datetime",
                    "received_at"),
    "name": ("举报人", "姓名", "投诉人", "来信人", "联系人", "name"),
    "phone": ("联系电话", "电话", "手机", "手机号", "联系方式", "phone"),
    "reported_party": ("被举报单位", "被投诉单位", "被举报对象", "涉事单位", "reported_party"),
    "address": ("地址", "事发地址", "事发地点", "问题地址", "address", "address_string"),
    "lon": ("经度", "lon", "lng", "long", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "crs": ("坐标系", "坐标类型", "crs"),
    "text": ("举报内容", "诉求内容", "内容", "投诉内容", "来信内容", "问题描述", "description", "text"),
    "method": ("方式", "来源方式", "信访方式", "method"),
    "category_hint": ("投诉类别", "问题类别", "service_code", "category_hint"),
}
REQUIRED = ("received_at", "text")

EXCEL_EPOCH = datetime(1899, 12, 30)
EARLIEST = datetime(2000, 1, 1, tzinfo=LOCAL_TZ)
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日%H时%M分", "%Y年%m月%d日",
    "%Y%m%d%H%M%S", "%Y%m%d %H:%M", "%Y.%m.%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
)


class BadRow(ValueError):
    """A row that must go to quarantine; the message is the reason."""


@dataclass
class ComplaintFields:
    """A complaint as every channel delivers it, before locating and classifying."""

    channel: str
    external_id: str
    received_at: datetime
    text: str
    address: str | None = None
    reported_party: str | None = None
    name: str | None = None
    phone: str | None = None
    raw_lon: float | None = None
    raw_lat: float | None = None
    source_crs: str | None = None
    method: str | None = None
    category_hint: str | None = None  # what the citizen picked (Open311 service_code), used when text says nothing
    warnings: list[str] = field(default_factory=list)


def header_key(name: Any) -> str:
    """Normalise a header for comparison: NFKC, no spaces or BOM, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(name)).replace("\ufeff", "")).lower()


ALIAS_LOOKUP = {header_key(alias): canonical for canonical, aliases in HEADER_ALIASES.items() for alias in aliases}


def map_headers(headers: list[Any], mapping: dict[str, str | list[str]] | None = None) -> dict[str, list[str]]:
    """Canonical field -> the row keys that feed it (several text columns are joined)."""
    found: dict[str, list[str]] = {}
    if mapping:
        by_key = {header_key(h): str(h) for h in headers}
        for canonical, columns in mapping.items():
            for column in [columns] if isinstance(columns, str) else columns:
                if header_key(column) in by_key:
                    found.setdefault(canonical, []).append(by_key[header_key(column)])
        return found
    for header in headers:
        known = ALIAS_LOOKUP.get(header_key(header))
        if known and known not in found:
            found[known] = [str(header)]
    return found


def clean_text(value: Any) -> str | None:
    """A trimmed string, or None for blanks, NaN and the usual placeholders."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return None if text in ("", "nan", "NaN", "None", "null", "NULL", "-", "—", "/", "无") else text


def parse_received_at(value: Any, *, date_format: str | None = None) -> tuple[datetime, str | None]:
    """Parse a date/time cell; return (aware datetime, warning or None). Naive = Asia/Shanghai.

    Numbers (or numeric strings) between 20000 and 80000 are Excel serial days; they are converted
    and a warning says so. Anything else unreadable raises BadRow.
    """
    if isinstance(value, datetime):
        return _aware(value), None
    if hasattr(value, "to_pydatetime"):
        return _aware(value.to_pydatetime()), None
    text = clean_text(value)
    if text is None:
        raise BadRow("missing date (举报时间)")
    try:
        serial = float(text)
    except ValueError:
        serial = None
    if serial is not None and not re.fullmatch(r"\d{8}(\d{6})?", text):
        if 20000 <= serial <= 80000:
            moment = EXCEL_EPOCH + timedelta(days=serial)
            moment = moment.replace(microsecond=0) + timedelta(seconds=round(moment.microsecond / 1e6))
            return moment.replace(tzinfo=LOCAL_TZ), f"date converted from Excel serial {text}"
        raise BadRow(f"bad date {text!r}")
    text = unicodedata.normalize("NFKC", text)
    if date_format is None and len(text) >= 10 and text[4] == "-":
        try:  # the common case, in C: 2026-10-10 08:30[:00], ISO 8601 with or without offset
            return _aware(datetime.fromisoformat(text.replace("Z", "+00:00"))), None
        except ValueError:
            pass
    for fmt in ((date_format,) if date_format else ()) + DATE_FORMATS:
        try:
            return _aware(datetime.strptime(text, fmt)), None
        except ValueError:
            continue
    try:
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00"))), None
    except ValueError:
        raise BadRow(f"bad date {text!r}") from None


def _aware(moment: datetime) -> datetime:
    return as_local(moment)


def parse_coordinates(lon: Any, lat: Any, crs: Any) -> tuple[float | None, float | None, str | None]:
    """(lon, lat, normalised CRS) or (None, None, None) when both are blank; BadRow otherwise.

    Geographic input must lie in China in either order: swapped pairs are recognised and refused
    with their own reason so a person can fix the export.
    """
    lon_text, lat_text = clean_text(lon), clean_text(lat)
    if lon_text is None and lat_text is None:
        return None, None, None
    if lon_text is None or lat_text is None:
        raise BadRow("only one of 经度/纬度 given")
    try:
        x, y = float(unicodedata.normalize("NFKC", lon_text)), float(unicodedata.normalize("NFKC", lat_text))
    except ValueError:
        raise BadRow(f"coordinates are not numbers: {lon_text!r}, {lat_text!r}") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise BadRow("coordinates are not finite")
    try:
        source = parse_crs(clean_text(crs))
    except UnknownCRS as exc:
        raise BadRow(str(exc)) from None
    if source.startswith("EPSG:"):
        return x, y, source  # projected: checked after conversion
    if x == 0 and y == 0:
        return None, None, None  # an export's placeholder for "no coordinates"
    if not _in_china(x, y):
        if _in_china(y, x):
            raise BadRow(f"coordinates swapped (经度 {x}, 纬度 {y})")
        raise BadRow(f"coordinates outside China ({x}, {y})")
    return x, y, source


def _in_china(x: float, y: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = CHINA_BOUNDS
    return min_lon <= x <= max_lon and min_lat <= y <= max_lat


def stable_id(received_at: datetime, text: str, phone: str | None) -> str:
    """An id for rows that came without one, the same on every re-import of the same row."""
    digest = hashlib.sha1(f"{received_at.isoformat()}|{text}|{phone or ''}".encode()).hexdigest()[:16]
    return f"auto-{digest}"


def fields_from_row(row: dict[str, Any], columns: dict[str, list[str]], *, channel: str, now: datetime,
                    default_crs: str | None = None, date_format: str | None = None) -> ComplaintFields:
    """Build ComplaintFields from one raw row; raise BadRow with the reason."""

    def get(name: str) -> str | None:
        parts = [clean_text(row.get(key)) for key in columns.get(name, [])]
        joined = "；".join(p for p in parts if p)
        return joined or None

    text = get("text")
    if text is None:
        raise BadRow("missing content (举报内容)")
    raw_date = next((row.get(k) for k in columns.get("received_at", []) if clean_text(row.get(k)) is not None), None)
    received_at, warning = parse_received_at(raw_date, date_format=date_format)
    if received_at < EARLIEST:
        raise BadRow(f"date {received_at:%Y-%m-%d} is before 2000")
    if received_at > now + timedelta(days=1):
        raise BadRow(f"date {received_at:%Y-%m-%d %H:%M} is in the future")
    raw_lon = next((row.get(k) for k in columns.get("lon", [])), None)
    raw_lat = next((row.get(k) for k in columns.get("lat", [])), None)
    lon, lat, crs = parse_coordinates(raw_lon, raw_lat, get("crs") or default_crs)
    phone = get("phone")
    external_id = get("external_id") or stable_id(received_at, text, phone)
    return ComplaintFields(
        channel=channel, external_id=external_id, received_at=received_at, text=text, address=get("address"),
        reported_party=get("reported_party"), name=get("name"), phone=phone, raw_lon=lon, raw_lat=lat,
        source_crs=crs, method=get("method"), category_hint=get("category_hint"),
        warnings=[warning] if warning else [],
    )

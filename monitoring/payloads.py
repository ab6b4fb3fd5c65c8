"""MQTT payloads to reading rows.

Topic tree: ``{prefix}/sensors/{sensor_id}/readings``. A payload starting with ``##`` is a raw
HJ 212 packet; anything else must be JSON (see docs/monitoring.md for the shapes). A row is
``(ts, sensor_id, pollutant, value, flag, lon, lat, tag)`` with ``ts`` timezone-aware, lon/lat
WGS-84 and ``tag`` None or ``crc=modbus`` (an HJ 212 packet accepted with a Modbus CRC).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from envpetition.geo_crs import to_wgs84
from envpetition.localtime import LOCAL_TZ, as_local
from monitoring.hj212 import parse_packet

Row = tuple[datetime, str, str, float | None, str | None, float | None, float | None, str | None]

# Averaged HJ 212 series are stored next to the raw one under a suffixed pollutant code, so an
# hourly average and a minute value at the same timestamp never collide on the primary key.
SERIES_SUFFIX = {"realtime": "", "minute": "", "hour": ":1h", "day": ":1d"}


class PayloadError(ValueError):
    """A payload that cannot become readings; the message is the dead-letter reason."""


def sensor_from_topic(topic: str) -> str | None:
    """``.../sensors/{sensor_id}/readings`` → sensor_id (None when the topic has no sensor)."""
    parts = topic.split("/")
    for i in range(len(parts) - 2, 0, -1):
        if parts[i - 1] == "sensors" and parts[i + 1] == "readings" and parts[i]:
            return parts[i]
    return None


_PARSED_TIMES: dict[str, datetime] = {}  # readings of one moment share one string; parsing is ~1/3 of a row


def _time(value: Any) -> datetime:
    if type(value) is str:
        moment = _PARSED_TIMES.get(value)
        if moment is None:
            if len(_PARSED_TIMES) > 20000:
                _PARSED_TIMES.clear()
            moment = _PARSED_TIMES[value] = _iso_time(value)
        return moment
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise PayloadError("ts is not finite")
        return datetime.fromtimestamp(value, LOCAL_TZ)
    raise PayloadError("ts missing (ISO 8601 string or epoch seconds)")


def _iso_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"ts {value!r} is not ISO 8601") from None
    return moment if moment.tzinfo else as_local(moment)


# Sensor ids and pollutant codes recur in every message: each distinct one is checked once.
_CHECKED_SENSORS: set[str] = set()
_CHECKED_CODES: set[str] = set()


def _remember(checked: set[str], value: str) -> str:
    if len(checked) > 100_000:
        checked.clear()
    checked.add(value)
    return value


def _number(value: Any, what: str) -> float | None:
    kind = type(value)
    if kind is float:
        if value - value == 0.0:  # finite: inf - inf and nan - nan are nan
            return value  # type: ignore[no-any-return]
        raise PayloadError(f"{what} is not finite")
    if kind is int:
        return float(value)
    if value is None:
        return None
    raise PayloadError(f"{what} is not a number: {value!r}")


def _flag(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= 8 or not value.isprintable():
        raise PayloadError(f"flag must be a short string such as 'N', got {value!r}")
    return value


def _code(value: Any) -> str:
    if type(value) is str and value in _CHECKED_CODES:
        return value
    if not isinstance(value, str) or not 1 <= len(value) <= 32 or not value.isprintable():
        raise PayloadError(f"pollutant code must be a short string, got {value!r}")
    return _remember(_CHECKED_CODES, value)


def _sensor_id(value: Any) -> str:
    if type(value) is str and value in _CHECKED_SENSORS:
        return value
    if not value or not isinstance(value, str):
        raise PayloadError("no sensor_id (in the topic or the payload)")
    if len(value) > 64 or not value.isprintable():
        raise PayloadError(f"sensor_id {value[:70]!r} is not a short printable id")
    return _remember(_CHECKED_SENSORS, value)


def _position(obj: Mapping[str, Any]) -> tuple[float | None, float | None]:
    if "lon" not in obj and "lat" not in obj:
        return None, None
    lon, lat = _number(obj.get("lon"), "lon"), _number(obj.get("lat"), "lat")
    if lon is None or lat is None:
        return None, None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise PayloadError(f"position {lon},{lat} out of range")
    try:
        x, y = to_wgs84([lon], [lat], obj.get("crs") or "wgs84")
    except ValueError as exc:
        raise PayloadError(str(exc)) from None
    return float(x[0]), float(y[0])


def _reading_rows(obj: Any, sensor: str | None, rows: list[Row]) -> None:
    """Append the rows of one reading object to ``rows``."""
    if type(obj) is not dict:
        raise PayloadError("a reading must be a JSON object")
    sensor = _sensor_id(obj.get("sensor_id", sensor))
    ts = _time(obj.get("ts"))
    lon, lat = _position(obj)
    flag = _flag(obj.get("flag"))
    if "values" in obj:
        values = obj["values"]
        if not isinstance(values, dict) or not values:
            raise PayloadError("values must be a non-empty object")
        for code, v in values.items():
            if isinstance(v, dict):
                rows.append((ts, sensor, _code(code), _number(v.get("value"), code), _flag(v.get("flag", flag)), lon, lat,
                             None))
            else:
                rows.append((ts, sensor, _code(code), _number(v, code), flag, lon, lat, None))
        return
    if "pollutant" not in obj:
        raise PayloadError("pollutant missing")
    pollutant = _code(obj["pollutant"])
    if "value" not in obj:
        raise PayloadError("value missing")
    rows.append((ts, sensor, pollutant, _number(obj["value"], "value"), flag, lon, lat, None))


def json_rows(payload: bytes, sensor: str | None) -> list[Row]:
    """Rows of a JSON payload: one reading, ``{"readings": [...]}`` or a list of readings."""
    try:
        obj = orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if isinstance(obj, dict) and "readings" in obj:
        sensor = obj.get("sensor_id", sensor)
        items = obj["readings"]
        if not isinstance(items, list) or not items:
            raise PayloadError("readings must be a non-empty list")
    elif isinstance(obj, list):
        if not obj:
            raise PayloadError("empty batch")
        items = obj
    else:
        items = [obj]
    rows: list[Row] = []
    for item in items:
        _reading_rows(item, sensor, rows)
    return rows


def hj212_rows(payload: bytes, sensor: str | None, mn_to_sensor: Mapping[str, str]) -> list[Row]:
    """Rows of a raw HJ 212 packet; a Modbus CRC is accepted and tagged ``crc=modbus``."""
    packet = parse_packet(payload)
    if not packet.valid:
        raise PayloadError(f"HJ 212: {packet.error}")
    if packet.kind is None:
        raise PayloadError(f"HJ 212: CN={packet.cn} carries no readings")
    if not packet.values:
        raise PayloadError("HJ 212: no values")
    sensor = mn_to_sensor.get(packet.mn or "", sensor)
    if not sensor:
        raise PayloadError(f"HJ 212: MN {packet.mn} is not a registered sensor and the topic names none")
    assert packet.data_time is not None
    suffix = SERIES_SUFFIX[packet.kind]
    tag = "crc=modbus" if packet.crc == "modbus" else None
    return [
        (packet.data_time, sensor, code + suffix, v["value"], v["flag"], None, None, tag)
        for code, v in packet.values.items()
    ]


def payload_rows(topic: str, payload: bytes, mn_to_sensor: Mapping[str, str]) -> list[Row]:
    """Rows of one MQTT message, or :class:`PayloadError` with the reason."""
    sensor = sensor_from_topic(topic)
    if sensor is not None:
        sensor = mn_to_sensor.get(sensor, sensor)
    if payload[:2] == b"##":
        return hj212_rows(payload, sensor, mn_to_sensor)
    return json_rows(payload, sensor)

"""Payload parsing (pure) and the GCJ-02 inverse."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from envpetition.geo_crs import wgs84_to_gcj02
from monitoring.hj212 import build_packet
from monitoring.payloads import PayloadError, payload_rows, sensor_from_topic

TOPIC = "envpetition/v1/sensors/S1/readings"


@pytest.mark.parametrize(
    ("topic", "sensor"),
    [(TOPIC, "S1"), ("a/b/sensors/W-01/readings", "W-01"), ("envpetition/v1/other", None), ("sensors//readings", None)],
)
def test_sensor_from_topic(topic: str, sensor: str | None) -> None:
    assert sensor_from_topic(topic) == sensor


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "not JSON"),
        (b"[]", "empty batch"),
        (b'{"readings": []}', "non-empty list"),
        (b'{"ts": "2024-01-01T00:00:00", "value": 1}', "pollutant missing"),
        (b'{"ts": "2024-01-01T00:00:00", "pollutant": "a"}', "value missing"),
        (b'{"ts": "noon", "pollutant": "a", "value": 1}', "ISO 8601"),
        (b'{"pollutant": "a", "value": 1}', "ts missing"),
        (b'{"ts": 1e400, "pollutant": "a", "value": 1}', "infinity"),
        (b'{"ts": "2024-01-01T00:00:00", "pollutant": "a", "value": true}', "not a number"),
        (b'{"ts": "2024-01-01T00:00:00", "pollutant": "a", "value": 1, "flag": 7}', "flag"),
        (b'{"ts": "2024-01-01T00:00:00", "pollutant": ["a"], "value": 1}', "pollutant code"),
        (b'{"ts": "2024-01-01T00:00:00", "values": {}, "lon": 1, "lat": 2}', "non-empty object"),
        (b'{"ts": "2024-01-01T00:00:00", "pollutant": "a", "value": 1, "lon": 200, "lat": 30}', "out of range"),
        (b'{"ts": "2024-01-01T00:00:00", "pollutant": "a", "value": 1, "lon": 117, "lat": 30, "crs": "Mars-2000"}', "unknown CRS"),
        (build_packet("ST=22;CN=9011;PW=1;MN=X;CP=&&QnRtn=1&&").encode(), "carries no readings"),
    ],
)
def test_bad_payloads_say_why(payload: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        payload_rows(TOPIC, payload, {})


def test_naive_time_is_shanghai_and_null_value_allowed() -> None:
    rows = payload_rows(TOPIC, json.dumps({"ts": "2024-01-01T08:00:00", "pollutant": "a34004", "value": None}).encode(), {})
    assert rows[0][0] == datetime.fromisoformat("2024-01-01T08:00:00+08:00") and rows[0][3] is None


def test_modbus_packets_are_tagged() -> None:
    from monitoring.hj212 import modbus_crc

    segment = b"ST=22;CN=2011;PW=1;MN=M1;CP=&&DataTime=20240101000000;a34004-Rtd=5,a34004-Flag=N&&"
    raw = b"##%04d%s%04X\r\n" % (len(segment), segment, modbus_crc(segment))
    rows = payload_rows(TOPIC, raw, {"M1": "S-M1"})
    assert [(r[1], r[2], r[3], r[4], r[7]) for r in rows] == [("S-M1", "a34004", 5.0, "N", "crc=modbus")]


@pytest.mark.parametrize(("crs", "same"), [(None, True), ("WGS84", True), ("EPSG:4326", True), ("GCJ02", False), ("gcj-02", False)])
def test_walknav_position_by_crs(crs: Any, same: bool) -> None:
    """Positions are stored in WGS-84; GCJ-02 input is inverted exactly (envpetition.geo_crs)."""
    glon, glat = (float(v[0]) for v in wgs84_to_gcj02([117.8], [30.9])) if not same else (117.8, 30.9)
    payload = {"ts": "2024-05-01T10:00:00+08:00", "lon": glon, "lat": glat, "values": {"a24088": 1.0}}
    if crs is not None:
        payload["crs"] = crs
    (row,) = payload_rows("envpetition/v1/sensors/W1/readings", json.dumps(payload).encode(), {})
    assert abs(row[5] - 117.8) < 1e-9 and abs(row[6] - 30.9) < 1e-9

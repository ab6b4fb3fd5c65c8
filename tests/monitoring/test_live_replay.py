"""Sample messages moved to the live clock: HJ 212 stamps shifted with a valid CRC, JSON ``ts`` shifted."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from envpetition.localtime import LOCAL_TZ
from monitoring.hj212 import build_packet, parse_packet
from monitoring.replay import LiveReplay, shift_message

SEGMENT = ("QN=20260801010027995;ST=22;CN=2061;PW=123456;MN=MN0001;Flag=4;CP=&&DataTime=20260801000000;"
           "a21001-Avg=0.121,a21001-Flag=N&&")


def test_an_hj212_packet_moves_with_its_crc_recomputed():
    moved = shift_message(build_packet(SEGMENT).encode(), timedelta(days=91, hours=1))
    packet = parse_packet(moved.rstrip(b"\r\n"))
    assert packet.error is None
    assert packet.data_time == datetime(2026, 10, 31, 1, 0, tzinfo=LOCAL_TZ)
    assert b"QN=20261031020027995" in moved


def test_a_json_message_moves_its_timestamp():
    body = json.dumps({"ts": "2026-08-13T10:00:00+08:00", "lon": 117.8, "lat": 30.9, "values": {"a24088": 1.2}})
    moved = json.loads(shift_message(body.encode(), timedelta(days=7)))
    assert moved["ts"] == "2026-08-20T10:00:00+08:00" and moved["values"] == {"a24088": 1.2}


class _Recorder:
    def __init__(self):
        self.sent = []

    def publish(self, topic, payload):
        self.sent.append((topic, payload))


def test_windows_move_forward_through_the_files_and_a_new_lap_starts_again(tmp_path):
    (tmp_path / "sensors.csv").write_text("sensor_id,mn\nS1,MN0001\n", encoding="utf-8")
    rows = ["sensor_id,ts,lon,lat,voc"] + [f"W1,2026-08-13T10:{m:02d}:00+08:00,117.8,30.9,{m}" for m in range(10)]
    (tmp_path / "walknav_run1.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    sink = _Recorder()
    replay = LiveReplay(tmp_path, sink, topic_prefix="p")
    start = datetime(2026, 8, 13, 10, 0, tzinfo=LOCAL_TZ)
    lap = timedelta(days=91)
    assert replay.publish_window(start, start + timedelta(minutes=4), lap) == 4
    assert replay.publish_window(start + timedelta(minutes=4), start + timedelta(minutes=6), lap) == 2
    assert json.loads(sink.sent[-1][1])["ts"] == "2026-11-12T10:05:00+08:00" and sink.sent[-1][0] == "p/sensors/W1/readings"
    assert replay.publish_window(start, start + timedelta(minutes=1), 2 * lap) == 1  # the next lap reads from the top

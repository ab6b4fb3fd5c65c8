"""Sensor registry from CSV, the monitoring API, and the replay of a tiny sample folder."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from monitoring.hj212 import build_packet
from monitoring.replay import events
from monitoring.sensors import list_sensors, load_sensors_csv

CSV = """sensor_id,kind,name,mn,lon,lat,enterprise,area_class,pollutants,units
S01,fixed,厂界西南,TLEB340705CJ000001,117.847117,30.952725,铜化有机化工,2,a21001;a21028,mg/m3;mg/m3
N01,fixed,噪声,TLEB340705ZS000001,117.81,30.93,,2,LA,dB(A)
W01,mobile,走航车,TLEB340705ZH000001WALK,,,,,a24088;a99990,mg/m3;dimensionless
"""


def test_load_sensors_csv_twice_updates(conn: Any, tmp_path: Path) -> None:
    path = tmp_path / "sensors.csv"
    path.write_text(CSV, encoding="utf-8")
    assert load_sensors_csv(conn, path) == 3
    assert load_sensors_csv(conn, path) == 3
    rows = {r["id"]: r for r in list_sensors(conn)}
    assert rows["S01"]["attributes"]["role"] == "boundary" and rows["S01"]["pollutants"] == ["a21001", "a21028"]
    assert rows["N01"]["attributes"]["role"] == "noise"
    assert rows["W01"]["kind"] == "mobile" and rows["W01"]["lon"] is None


def test_sensor_api_requires_role_and_validates(app_client: Any, make_user: Any) -> None:
    body = {"kind": "fixed", "name": "站", "pollutants": ["a34004"], "units": ["ug/m3"], "area_class": "2"}
    assert app_client.put("/api/monitoring/sensors/S9", json=body, headers=make_user("intake")).status_code == 403
    staff = make_user("monitoring")
    created = app_client.put("/api/monitoring/sensors/S9", json=body, headers=staff)
    assert created.status_code == 200 and created.json()["attributes"]["role"] == "ambient"
    bad = app_client.put("/api/monitoring/sensors/S10", json={**body, "kind": "drone"}, headers=staff)
    assert bad.status_code in (400, 422)
    assert [s["id"] for s in app_client.get("/api/monitoring/sensors", headers=staff).json()] == ["S9"]


def test_replay_merges_sources_in_time_order(tmp_path: Path) -> None:
    (tmp_path / "sensors.csv").write_text(CSV, encoding="utf-8")
    packets = [build_packet(f"ST=22;CN=2051;PW=1;MN=TLEB340705CJ000001;CP=&&DataTime=20260814210{m}00;a21001-Avg=0.1,a21001-Flag=N&&")
               for m in range(3)]
    with gzip.open(tmp_path / "hj212_minutes.txt.gz", "wt") as handle:
        handle.writelines(packets)
    (tmp_path / "walknav_run1.csv").write_text(
        "ts,sensor_id,lon,lat,crs,voc,odour,pm25,pm10,speed_kmh\n"
        "2026-08-14T21:01:30+08:00,W01,117.84,30.94,GCJ02,2.0,21,27,70,4.9\n", encoding="utf-8")
    got = [(t.strftime("%H:%M:%S"), s) for t, s, _ in events(tmp_path)]
    assert got == [("21:01:00", "S01"), ("21:01:30", "W01"), ("21:02:00", "S01"), ("21:03:00", "S01")]

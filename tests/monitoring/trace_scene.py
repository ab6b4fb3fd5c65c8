"""A small odour episode in the database, shared by the incident, API, CLI and page tests.

Wind from the north (0°, 1.5 m/s) for a day. A community at (117.80, 30.94) files six rotten-egg
complaints between 21:00 and 22:00. North of it on one bearing: a paint shop 4 km away (nearer)
and a coking plant 11 km away (the source). A monitor 7 km north reads H2S rising before 21:00.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg
import shapely

from envpetition.areas import Area, save_area
from monitoring.incident_store import IncomingComplaint, add_complaints
from monitoring.storage import prepare_connection, store_rows

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 8, 14, 21, 0, tzinfo=CST)
DEG_PER_KM = 1 / 111.0


def _box(lon: float, lat: float) -> Any:
    return shapely.box(lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002)


def build(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Create the scene; returns the ids (enterprises, cases, complaints, incoming rows)."""
    coke, _ = save_area(conn, Area("enterprise", "铜港焦化", _box(117.80, 30.94 + 11 * DEG_PER_KM),
                                   attributes={"industry": "焦化"}), now=AT - timedelta(days=60))
    paint, _ = save_area(conn, Area("enterprise", "江南涂装", _box(117.80, 30.94 + 4 * DEG_PER_KM),
                                    attributes={"industry": "涂装"}), now=AT - timedelta(days=60))
    conn.execute("insert into sensors (id, kind, name, lon, lat, pollutants, units) values "
                 "('M01', 'met', '气象站', 117.81, 30.95, '{a01007,a01008}', '{m/s,deg}'), "
                 "('S09', 'fixed', '北郊微站', 117.80, %s, '{a21028}', '{mg/m3}')", (30.94 + 7 * DEG_PER_KM,))
    rows = []
    for h in range(30, 0, -1):
        ts = AT - timedelta(hours=h)
        rows += [(ts, "M01", "a01008:1h", 0.0), (ts, "M01", "a01007:1h", 1.5)]
    for m in range(-27 * 60, 90, 10):
        ts = AT + timedelta(minutes=m)
        rows.append((ts, "S09", "a21028", 0.02 if -150 <= m <= 60 else 0.002 + 0.0001 * (m % 7)))
    # Through the worker's own storage, so the hourly rollups the trace reads are kept up to date.
    prepare_connection(conn)
    with conn.transaction():  # the staging tables empty at each commit: one transaction, as the worker does
        store_rows(conn, [(ts, sid, code, value, "N", None, None, None) for ts, sid, code, value in rows],
                   maintain_rollups=True)
    incoming = []
    case_ids = []
    for k in range(6):
        at = AT + timedelta(minutes=12 * k)
        lon, lat = 117.80 + 0.003 * (k % 3 - 1), 30.94 + 0.002 * (k % 2)
        case_id = conn.execute("insert into cases (title, opened_at, lon, lat, categories) values "
                               "('异味投诉', %s, %s, %s, '{odour}') returning id", (at, lon, lat)).fetchone()[0]
        text = "晚上一股臭鸡蛋味，熏得睡不着" if k % 2 == 0 else "有刺鼻的硫化氢气味"
        cid = conn.execute("insert into complaints (channel, external_id, received_at, text, lon, lat, categories, case_id) "
                           "values ('12369', %s, %s, %s, %s, %s, '{odour}', %s) returning id",
                           (f"T{k}-{case_id}", at, text, lon, lat, case_id)).fetchone()[0]
        incoming.append(IncomingComplaint(cid, case_id, at, lon, lat, ["odour"], text))
        case_ids.append(case_id)
    return {"coke": coke, "paint": paint, "cases": case_ids, "incoming": incoming}


def build_and_cluster(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """The scene with its complaints clustered into incidents."""
    ids = build(conn)
    ids["counts"] = add_complaints(conn, ids["incoming"], now=AT + timedelta(hours=2))
    ids["incident"] = conn.execute("select incident_id from incident_complaints where complaint_id = %s",
                                   (ids["incoming"][0].id,)).fetchone()[0]
    return ids

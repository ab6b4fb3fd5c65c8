"""The ingest worker against the real database and broker."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime, timedelta
from typing import Any

import pytest
import shapely

from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.geo_crs import wgs84_to_gcj02
from monitoring.hj212 import build_packet, parse_packet
from monitoring.publish import Publisher
from tests.monitoring.conftest import REAL_BROKER, count, wait_for

T0 = datetime.fromisoformat("2024-05-01T10:00:00+08:00")


def topic(prefix: str, sensor: str) -> str:
    return f"{prefix}/sensors/{sensor}/readings"


def test_json_hj212_and_malformed_messages(start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str) -> None:
    with connect(fresh_database_url, autocommit=True) as c:
        c.execute("insert into sensors (id, kind, name, mn) values ('S-HJ', 'fixed', '站点', 'MN0001')")
    worker = start_worker()
    minute = build_packet("QN=20240501100000000;ST=22;CN=2051;PW=123456;MN=MN0001;Flag=4;CP=&&DataTime=20240501100000;"
                          "a34004-Avg=35,a34004-Flag=N;a21026-Avg=12.5,a21026-Flag=M&&")
    hour = build_packet("ST=22;CN=2061;PW=123456;MN=MN0001;CP=&&DataTime=20240501100000;a34004-Avg=33,a34004-Flag=N&&")
    messages = [
        (topic(topic_prefix, "S1"), json.dumps({"ts": T0.isoformat(), "pollutant": "a34004", "value": 40.0, "flag": "N"})),
        (topic(topic_prefix, "S1"), json.dumps({"readings": [
            {"ts": (T0 + timedelta(seconds=30)).isoformat(), "pollutant": "a34004", "value": 50.0},
            {"ts": (T0 + timedelta(minutes=1)).isoformat(), "pollutant": "a34004", "value": 60.0}]})),
        (topic(topic_prefix, "W1"), json.dumps({"ts": "2024-05-01T10:00:05", "lon": 117.82, "lat": 30.95, "crs": "GCJ-02",
                                                "values": {"a21028": 0.02, "a24088": {"value": 1.5, "flag": "N"}}})),
        (topic(topic_prefix, "MN0001"), minute),  # topic names the MN; mapped to S-HJ
        (topic(topic_prefix, "S-HJ"), hour),
        (topic(topic_prefix, "S1"), b"{not json"),
        (topic(topic_prefix, "S1"), json.dumps({"ts": T0.isoformat(), "pollutant": "a34004", "value": "high"})),
        (topic(topic_prefix, "S1"), minute.replace("a34004-Avg=35", "a34004-Avg=36")),  # CRC now wrong
        (topic(topic_prefix, "S1"), b"\xff\xfe\x00"),
    ]
    with Publisher(mqtt_url) as pub:
        pub.publish_all(messages)
    assert wait_for(lambda: worker.stats.messages_committed >= len(messages))
    with connect(fresh_database_url, autocommit=True) as c:
        rows = c.execute("select sensor_id, pollutant, ts, value, flag, lon, lat from readings order by 1, 2, 3").fetchall()
        dead = c.execute("select topic, payload, reason from dead_letters order by id").fetchall()
        m = c.execute("select n, total, min, max from readings_1m where sensor_id = 'S1' and bucket = %s", (T0,)).fetchone()
        h = c.execute("select n, total from readings_1h where sensor_id = 'S-HJ' and pollutant = 'a21026'").fetchone()
    keys = [(r[0], r[1]) for r in rows]
    assert keys.count(("S1", "a34004")) == 3
    assert ("S-HJ", "a34004") in keys and ("S-HJ", "a34004:1h") in keys and ("S-HJ", "a21026") in keys
    walk = [r for r in rows if r[0] == "W1"]
    assert len(walk) == 2 and walk[0][2] == datetime.fromisoformat("2024-05-01T10:00:05+08:00")
    # Stored in WGS-84: converting back gives what was sent; the offset is a few hundred metres.
    back = wgs84_to_gcj02([walk[0][5]], [walk[0][6]])
    assert abs(back[0][0] - 117.82) < 1e-8 and abs(back[1][0] - 30.95) < 1e-8
    assert 0.002 < abs(walk[0][5] - 117.82) + abs(walk[0][6] - 30.95) < 0.01
    assert m == (2, 90.0, 40.0, 50.0)
    assert h is None  # flag M (maintenance) is stored but kept out of averages
    assert len(dead) == 4
    reasons = " | ".join(d[2] for d in dead)
    assert "not JSON" in reasons and "not a number" in reasons and "CRC" in reasons
    assert b"\xff\xfe\x00" in {bytes(d[1]) for d in dead}  # two writers: batches commit in either order
    assert worker.stats.dead_letters == 4 and worker.stats.acked == len(messages)


def test_redelivery_and_duplicates_never_double_count(start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str) -> None:
    worker = start_worker()
    payload = json.dumps({"ts": T0.isoformat(), "pollutant": "a34004", "value": 10.0})
    with Publisher(mqtt_url) as pub:
        pub.publish_all([(topic(topic_prefix, "S1"), payload)] * 5 + [(topic(topic_prefix, "S1"), b"bad")] * 3)
    assert wait_for(lambda: worker.stats.messages_committed >= 8)
    assert count(fresh_database_url, "select count(*) from readings") == 1
    assert count(fresh_database_url, "select n from readings_1m") == 1
    assert count(fresh_database_url, "select count(*) from dead_letters") == 1


@pytest.mark.skipif(not REAL_BROKER, reason="the embedded amqtt broker does not queue for an offline persistent session")
def test_messages_published_while_worker_is_away_are_delivered(start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str) -> None:
    worker = start_worker(client_id="t-persistent-" + topic_prefix.rsplit("/", 1)[-1])
    worker.stop()
    with Publisher(mqtt_url) as pub:
        pub.publish_all((topic(topic_prefix, "S1"), json.dumps({"ts": (T0 + timedelta(seconds=i)).isoformat(),
                                                               "pollutant": "a34004", "value": i})) for i in range(200))
    again = start_worker(client_id=worker.config.client_id)
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from readings") == 200), count(fresh_database_url, "select count(*) from readings")
    assert again.stats.rows_new == 200


def test_parse_packet_roundtrip_of_built_packet() -> None:
    packet = parse_packet(build_packet("ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20240501100000;a01001-Rtd=21.5&&"))
    assert packet.valid and packet.crc == "ok" and packet.values["a01001"]["value"] == 21.5


def test_worker_analyses_as_readings_arrive(start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str) -> None:
    with connect(fresh_database_url, autocommit=True) as c:
        c.execute("insert into sensors (id, kind, name, mn, area_class, pollutants, units, attributes) values "
                  "('B1', 'fixed', '厂界', 'TLEB340705CJ000009', '2', '{a21001}', '{mg/m3}', '{\"role\": \"boundary\"}')")
    worker = start_worker(analyse_every_s=0.5)
    assert worker.config.analyse_every_s == 0.5
    readings = [{"ts": (T0 + timedelta(minutes=m)).isoformat(), "pollutant": "a21001", "value": 3.0 if m == 5 else 0.2}
                for m in range(10)]
    with Publisher(mqtt_url) as pub:
        pub.publish(topic(topic_prefix, "B1"), json.dumps({"readings": readings}))
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from exceedances") == 1, 20)
    assert count(fresh_database_url, "select count(*) from exceedances where peak_value = 3.0 and verified") == 1
    assert worker.stats.analyses >= 1


def test_message_the_database_refuses_is_dead_lettered_and_the_rest_stored(
    start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str
) -> None:
    worker = start_worker()
    # A checksum-valid packet whose factor code holds a NUL byte: parsed fine, refused by PostgreSQL.
    nul = build_packet("ST=22;CN=2011;PW=1;MN=M;CP=&&DataTime=20240501100000;a34\x00004-Rtd=1.5&&")
    good = [(topic(topic_prefix, "S1"), json.dumps({"ts": (T0 + timedelta(seconds=i)).isoformat(),
                                                    "pollutant": "a34004", "value": i})) for i in range(20)]
    with Publisher(mqtt_url) as pub:
        pub.publish_all([*good[:10], (topic(topic_prefix, "S1"), nul), *good[10:]])
    assert wait_for(lambda: worker.stats.messages_committed >= 21)
    assert count(fresh_database_url, "select count(*) from readings") == 20
    with connect(fresh_database_url, autocommit=True) as c:
        reasons = [r for (r,) in c.execute("select reason from dead_letters").fetchall()]
    assert len(reasons) == 1 and "database refused" in reasons[0]


def test_two_writers_store_every_reading_once(start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str) -> None:
    worker = start_worker(writers=2, batch_max=50)
    messages = [(topic(topic_prefix, f"S{i % 7}"),
                 json.dumps({"ts": (T0 + timedelta(seconds=i)).isoformat(), "pollutant": "a34004", "value": float(i % 13)}))
                for i in range(2000)]
    with Publisher(mqtt_url) as pub:
        pub.publish_all(messages + messages[::3])  # every third reading arrives twice, in another batch
    assert wait_for(lambda: worker.stats.messages_committed >= len(messages) + len(messages[::3]), 60)
    assert count(fresh_database_url, "select count(*) from readings") == 2000
    assert count(fresh_database_url, "select sum(n) from readings_1h") == 2000
    assert worker.stats.rows_new == 2000 and worker.stats.batches > 2


def test_a_reading_dated_9999_is_dead_lettered_and_analysis_goes_on(
    start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str
) -> None:
    now = datetime.now().astimezone().replace(second=0, microsecond=0)
    with connect(fresh_database_url, autocommit=True) as c:
        save_area(c, Area("community", "焦化新村", shapely.box(117.846, 30.953, 117.848, 30.955)), now=now - timedelta(days=1))
        c.execute("insert into sensors (id, kind, name, mn, area_class, pollutants, units, attributes, lon, lat) values "
                  "('B9', 'fixed', '厂界', 'TLEB340705CJ000099', '2', '{a21001}', '{mg/m3}', '{\"role\": \"boundary\"}',"
                  " 117.847, 30.954)")
    start_worker(analyse_every_s=0.5)
    broken = {"ts": "9999-12-31T23:59:00+08:00", "pollutant": "a21001", "value": 0.1}
    ahead = {"ts": (now + timedelta(hours=1)).isoformat(), "pollutant": "a21001", "value": 0.1}
    base = now - timedelta(minutes=30)
    readings = [{"ts": (base + timedelta(minutes=m)).isoformat(), "pollutant": "a21001", "value": 3.0 if m == 5 else 0.2}
                for m in range(10)]
    with Publisher(mqtt_url) as pub:
        pub.publish(topic(topic_prefix, "B9"), json.dumps(broken))
        pub.publish(topic(topic_prefix, "B9"), json.dumps(ahead))
        time.sleep(1.5)  # the broken reading is in before the real one, as in the field
        pub.publish(topic(topic_prefix, "B9"), json.dumps({"readings": readings}))
    assert wait_for(lambda: count(fresh_database_url, "select count(*) from cases where proactive") == 1, 20)
    assert count(fresh_database_url, "select count(*) from readings where ts > now() + interval '1 day'") == 0
    with connect(fresh_database_url, autocommit=True) as c:
        reasons = [r for (r,) in c.execute("select reason from dead_letters order by id").fetchall()]
    assert len(reasons) == 2 and all("ahead of the server clock" in r for r in reasons), reasons
    assert any("9999-12-31" in r for r in reasons)  # two writers: the letters' order is not the sending order


def test_an_oversize_payload_is_dead_lettered_as_a_digest(
    start_worker: Any, fresh_database_url: str, mqtt_url: str, topic_prefix: str
) -> None:
    worker = start_worker()
    huge = json.dumps({"ts": T0.isoformat(), "pollutant": "a34004", "value": 1, "pad": "x" * 600_000}).encode()
    with Publisher(mqtt_url) as pub:
        pub.publish(topic(topic_prefix, "S1"), huge)
    assert wait_for(lambda: worker.stats.messages_committed >= 1)
    with connect(fresh_database_url, autocommit=True) as c:
        ((size, reason),) = c.execute("select length(payload), reason from dead_letters").fetchall()
    assert size <= 1024 and hashlib.sha256(huge).hexdigest() in reason and str(len(huge)) in reason

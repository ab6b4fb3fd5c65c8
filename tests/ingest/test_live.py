"""The sample complaints played again on the live clock: shifted, with ids of their own, once per lap."""

from __future__ import annotations

from datetime import timedelta

from ingest.live import SampleFeed, feed_window
from ingest.sample import load_sample_areas
from ingest.service import IntakeContext

from .conftest import CITY_FEATURES, HEADER_12369, NOW, write_csv, write_geojson

LAP = timedelta(days=91)


def _folder(tmp_path):
    (tmp_path / "areas").mkdir()
    (tmp_path / "complaints").mkdir()
    write_geojson(tmp_path / "areas" / "grids.geojson", [f for f in CITY_FEATURES if f["properties"]["kind"] == "grid"])
    write_geojson(tmp_path / "areas" / "communities.geojson",
                  [f for f in CITY_FEATURES if f["properties"]["kind"] != "grid"])
    write_csv(tmp_path / "complaints" / "12369.csv", HEADER_12369, [
        "JB1,2026-08-10 08:30:00,张三,13812345678,,,117.805,30.905,,小区里有臭味",
        "JB2,2026-08-10 21:00:00,李四,13812345679,,,117.806,30.906,,夜里工地噪声",
        "JB3,2026-08-11 09:30:00,,,,,,,,",  # unreadable: not part of the feed
    ])
    return tmp_path


def test_a_window_of_the_sample_is_registered_shifted_and_only_once(conn, tmp_path):
    folder = _folder(tmp_path)
    load_sample_areas(conn, folder, now=NOW)
    feed = SampleFeed(folder, now=NOW)
    assert [e.fields.external_id for e in feed.entries] == ["JB1", "JB2"]
    since = feed.times[0] - timedelta(hours=1)
    ctx = IntakeContext.load(conn, backfill=True)
    done = feed_window(conn, feed, ctx, since=since, until=since + timedelta(hours=6), shift=LAP, lap=1, now=NOW)
    assert done == {"accepted": 1, "cases_opened": 1}
    row = conn.execute("select external_id, received_at, text from complaints").fetchall()
    assert row == [("JB1-L1", feed.times[0] + LAP, "小区里有臭味")]
    again = feed_window(conn, feed, ctx, since=since, until=since + timedelta(hours=6), shift=LAP, lap=1, now=NOW)
    assert "accepted" not in again
    assert conn.execute("select count(*) from complaints").fetchone()[0] == 1
    later = feed_window(conn, feed, ctx, since=since, until=since + timedelta(days=1), shift=2 * LAP, lap=2, now=NOW)
    assert later.get("accepted", 0) + later.get("duplicate", 0) == 2
    assert conn.execute("select count(*) from complaints where external_id like '%-L2'").fetchone()[0] == 2

"""Exceedance rules (pure, parametrised) and the service against a real database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import shapely

from envpetition.city import CityBuilder
from monitoring import storage
from monitoring.exceedance_service import detect_and_record
from monitoring.exceedances import Window, events_over, hourly_laeq, hourly_means, windows_for
from monitoring.limits import Limit, applicable, load_limits, unit_factor
from monitoring.sensors import Sensor, save_sensor

D0 = datetime.fromisoformat("2026-08-14T00:00:00+08:00")


def lim(averaging: str, value: float, code: str = "x", unit: str = "mg/m3") -> Limit:
    return Limit("GB test", "x", code, averaging, "2", value, unit, True)


def minutes(hours: int, value: float, start: datetime = D0, every: int = 1) -> list[tuple[datetime, float]]:
    return [(start + timedelta(minutes=m), value) for m in range(0, hours * 60, every)]


@pytest.mark.parametrize(
    ("role", "klass", "code", "expected"),
    [
        ("boundary", "2", "a21001", {("GB 14554-93", "1min", 1.5, True)}),
        ("boundary", "2", "a99990", {("GB 14554-93", "1min", 20.0, True)}),
        ("boundary", "2", "a24088", {("GB 16297-1996 Table 2", "1h", 4.0, False)}),
        ("ambient", "2", "a05024", {("GB 3095-2012", "8h_max", 160.0, True), ("GB 3095-2012", "1h", 200.0, True)}),
        ("ambient", "2", "a34004", {("GB 3095-2012", "24h", 75.0, True)}),
        ("noise", "4a", "LA", {("GB 3096-2008", "noise_day", 70.0, True), ("GB 3096-2008", "noise_night", 55.0, True)}),
        ("noise", "1", "LA", {("GB 3096-2008", "noise_day", 55.0, True), ("GB 3096-2008", "noise_night", 45.0, True)}),
        ("met", "2", "a01001", set()),
    ],
)
def test_applicable_limits_by_role_and_class(role: str, klass: str, code: str, expected: set[Any]) -> None:
    got = {(x.standard, x.averaging, x.value, x.verified) for x in applicable(load_limits(), role, klass, code)}
    assert got == expected


@pytest.mark.parametrize(
    ("sensor_unit", "limit_unit", "factor"),
    [("mg/m3", "ug/m3", 1000.0), ("ug/m3", "ug/m3", 1.0), ("µg/m3", "ug/m3", 1.0), ("ug/m3", "mg/m3", 0.001)],
)
def test_unit_factor(sensor_unit: str, limit_unit: str, factor: float) -> None:
    assert unit_factor(sensor_unit, limit_unit) == factor


def test_hour_needs_45_minutes() -> None:
    assert hourly_means(minutes(1, 5.0)[:44]) == {}
    assert hourly_means(minutes(1, 5.0)[:45]) == {D0: 5.0}


def test_laeq_is_an_energy_mean() -> None:
    data = [(D0 + timedelta(minutes=m), 50.0 if m < 30 else 70.0) for m in range(60)]
    assert hourly_laeq(data)[D0] == pytest.approx(67.0, abs=0.05)  # not the arithmetic 60


@pytest.mark.parametrize(
    ("averaging", "hours_values", "expected"),
    [
        # 24 h: daily mean of hourly means; 19 hours is too few.
        ("24h", [10.0] * 24, [(D0, 10.0)]),
        ("24h", [10.0] * 19, []),
        # 8 h max: the best 8-hour run inside the day.
        ("8h_max", [1.0] * 10 + [9.0] * 8 + [1.0] * 6, [(D0 + timedelta(hours=10), 9.0)]),
    ],
)
def test_daily_windows(averaging: str, hours_values: list[float], expected: list[Any]) -> None:
    hourly = {D0 + timedelta(hours=i): v for i, v in enumerate(hours_values)}
    got = [(w.start, round(w.value, 6)) for w in windows_for(lim(averaging, 0), [], hourly)]
    assert got == expected


def test_night_noise_only_judges_night_hours() -> None:
    hourly = {D0 + timedelta(hours=i): 50.0 for i in range(24)}
    night = windows_for(lim("noise_night", 45, "LA"), [], hourly)
    assert [w.start.hour for w in night] == [0, 1, 2, 3, 4, 5, 22, 23]


def test_events_merge_consecutive_windows_and_keep_peak() -> None:
    ws = [Window(D0 + timedelta(hours=i), D0 + timedelta(hours=i + 1), v) for i, v in enumerate([1, 5, 7, 6, 1, 8])]
    events = events_over(ws, 4)
    assert [(e.start.hour, e.end.hour, e.peak_value, e.peak_at.hour, e.windows) for e in events] == [
        (1, 4, 7, 2, 3), (5, 6, 8, 5, 1)]


def test_boundary_exceedance_opens_a_proactive_case_and_skips_calibration(conn: Any) -> None:
    community_id = CityBuilder(conn, now=D0).community("焦化新村", shapely.box(117.846, 30.953, 117.848, 30.955))
    save_sensor(conn, Sensor(id="S01", kind="fixed", name="厂界西南", mn="TLEB340705CJ000001", lon=117.8471, lat=30.9527,
                             area_class="2", pollutants=["a21001"], units=["mg/m3"]))
    storage.prepare_connection(conn)
    rows = [(D0 + timedelta(minutes=m), "S01", "a21001", 0.2, "N", None, None, None) for m in range(60)]
    rows += [(D0 + timedelta(minutes=60 + m), "S01", "a21001", 3.0 if m < 10 else 0.2, "N", None, None, None) for m in range(60)]
    # Calibration at span-gas level: stored, but never an exceedance.
    rows += [(D0 + timedelta(minutes=180 + m), "S01", "a21001", 4.0, "C", None, None, None) for m in range(15)]
    storage.store_rows(conn, rows, maintain_rollups=True)
    result = detect_and_record(conn, start=D0, end=D0 + timedelta(hours=6), now=D0 + timedelta(hours=6))
    assert result["exceedances"] == 1
    event = result["events"][0]
    assert (event["started_at"], event["ended_at"], event["peak_value"], event["verified"]) == (
        D0 + timedelta(minutes=60), D0 + timedelta(minutes=70), 3.0, True)
    case = conn.execute("select proactive, community_id, title from cases where id = %s", (event["case_id"],)).fetchone()
    assert case[0] is True and case[1] == community_id and "未诉先办" in case[2]
    # Running again enriches nothing twice and opens no second case.
    again = detect_and_record(conn, start=D0, end=D0 + timedelta(hours=6), now=D0 + timedelta(hours=7))
    assert again["cases"] == result["cases"]
    assert conn.execute("select count(*) from cases").fetchone()[0] == 1


def test_short_dips_are_bridged_for_one_minute_events() -> None:
    ws = [Window(D0 + timedelta(minutes=i), D0 + timedelta(minutes=i + 1), v) for i, v in enumerate([5, 1, 1, 5] + [1] * 20 + [5])]
    assert len(events_over(ws, 4, timedelta(minutes=10))) == 2
    assert len(events_over(ws, 4)) == 3


def test_second_exceedance_enriches_the_open_proactive_case(conn: Any) -> None:
    community_id = CityBuilder(conn, now=D0).community("瑞龙公馆", shapely.box(117.846, 30.953, 117.848, 30.955))
    save_sensor(conn, Sensor(id="S01", kind="fixed", name="厂界西南", mn="TLEB340705CJ000001", lon=117.8471, lat=30.9527,
                             area_class="2", pollutants=["a21001", "a21028"], units=["mg/m3", "mg/m3"]))
    storage.prepare_connection(conn)
    rows = [(D0 + timedelta(minutes=m), "S01", "a21001", 3.0 if m == 5 else 0.1, "N", None, None, None) for m in range(30)]
    rows += [(D0 + timedelta(minutes=m), "S01", "a21028", 0.2 if m == 20 else 0.01, "N", None, None, None) for m in range(30)]
    storage.store_rows(conn, rows, maintain_rollups=True)
    result = detect_and_record(conn, start=D0, end=D0 + timedelta(hours=1), now=D0 + timedelta(hours=1))
    assert result["exceedances"] == 2 and len(result["cases"]) == 1
    case_id = result["cases"][0]
    kinds = [k for (k,) in conn.execute("select kind from case_events where case_id = %s order by id", (case_id,)).fetchall()]
    assert kinds == ["registered", "exceedance_evidence", "exceedance_evidence"]
    assert conn.execute("select community_id, proactive from cases where id = %s", (case_id,)).fetchone() == (community_id, True)


def test_monitor_far_from_communities_opens_no_case(conn: Any) -> None:
    CityBuilder(conn, now=D0).community("远小区", shapely.box(117.90, 30.99, 117.91, 31.00))
    save_sensor(conn, Sensor(id="S07", kind="fixed", name="垃圾焚烧厂界", mn="TLEB340711CJ000007", lon=117.70, lat=30.80,
                             area_class="2", pollutants=["a99990"], units=["dimensionless"]))
    storage.prepare_connection(conn)
    storage.store_rows(conn, [(D0 + timedelta(minutes=m), "S07", "a99990", 40.0, "N", None, None, None) for m in range(5)],
                       maintain_rollups=True)
    result = detect_and_record(conn, start=D0, end=D0 + timedelta(hours=1), now=D0 + timedelta(hours=1))
    assert result["exceedances"] == 1 and result["cases"] == []
    assert result["events"][0]["peak_value"] == 40.0


def test_an_event_first_seen_in_part_is_kept_once_whole(conn: Any) -> None:
    CityBuilder(conn, now=D0).community("焦化新村", shapely.box(117.846, 30.953, 117.848, 30.955))
    save_sensor(conn, Sensor(id="S01", kind="fixed", name="厂界西南", mn="TLEB340705CJ000001", lon=117.8471, lat=30.9527,
                             area_class="2", pollutants=["a21001"], units=["mg/m3"]))
    storage.prepare_connection(conn)
    storage.store_rows(conn, [(D0 + timedelta(minutes=m), "S01", "a21001", 3.0 if 60 <= m < 70 else 0.2, "N",
                               None, None, None) for m in range(120)], maintain_rollups=True)
    part = detect_and_record(conn, start=D0 + timedelta(minutes=65), end=D0 + timedelta(hours=2), now=D0 + timedelta(hours=2))
    assert [e["started_at"] for e in part["events"]] == [D0 + timedelta(minutes=65)]
    whole = detect_and_record(conn, start=D0, end=D0 + timedelta(hours=2), now=D0 + timedelta(hours=3))
    rows = conn.execute("select started_at, ended_at, case_id from exceedances").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(D0 + timedelta(minutes=60), D0 + timedelta(minutes=70))]
    assert rows[0][2] == part["events"][0]["case_id"] is not None  # the proactive case stays with the event
    assert whole["cases"] == part["cases"]

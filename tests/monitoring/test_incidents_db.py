"""Incidents in PostgreSQL: grow, merge, investigation feedback, and the trace of the scene."""

from datetime import timedelta

import pytest

from envpetition.errors import InvalidInput
from monitoring.incident_store import IncomingComplaint, add_complaints, record_investigation, sync
from monitoring.incident_views import accuracy_by_month, get_incident, incident_of_case, list_incidents
from monitoring.trace_service import case_trace, incident_trace
from tests.monitoring.trace_scene import AT, build, build_and_cluster


def _complaint(conn, k, at, lon, lat, categories=("odour",)):
    cid = conn.execute("insert into complaints (channel, external_id, received_at, text, lon, lat, categories) "
                       "values ('12345', %s, %s, '臭味', %s, %s, %s) returning id",
                       (f"X{k}", at, lon, lat, list(categories))).fetchone()[0]
    return IncomingComplaint(cid, None, at, lon, lat, list(categories), "臭味")


def test_an_incident_grows_and_two_merge(conn):
    a = _complaint(conn, 1, AT, 117.80, 30.94)
    b = _complaint(conn, 2, AT + timedelta(minutes=20), 117.83, 30.94)  # ~2.9 km east: its own incident
    assert add_complaints(conn, [a, b], now=AT)["open"] == 2
    grow = _complaint(conn, 3, AT + timedelta(minutes=30), 117.801, 30.941)
    assert add_complaints(conn, [grow], now=AT)["join"] == 1
    bridge = _complaint(conn, 4, AT + timedelta(minutes=40), 117.815, 30.94)  # 1.4 km from both
    assert add_complaints(conn, [bridge], now=AT)["merge"] == 1
    live = list_incidents(conn)
    assert [i["size"] for i in live] == [4]
    merged = get_incident(conn, live[0]["id"])
    assert {c["complaint_id"] for c in merged["complaints"]} == {a.id, b.id, grow.id, bridge.id}
    # complaints not about air, without a point, or already clustered are skipped
    noise = _complaint(conn, 5, AT, 117.80, 30.94, ("noise_social",))
    assert add_complaints(conn, [noise, a], now=AT)["skipped"] == 2


def test_sync_reads_through_the_callers_function(conn):
    ids = build(conn)
    rows = ids["incoming"]
    calls = []

    def fetch(_conn, after, limit):
        calls.append(after)
        return [r.__dict__ for r in rows if r.id > after][:limit]

    counts = sync(conn, fetch, now=AT, batch=4)
    assert counts["open"] == 1 and counts["join"] == 5
    assert calls[0] == 0 and calls[-1] == max(r.id for r in rows)


def test_sync_with_ingests_reader_skips_duplicates_and_other_categories(conn):
    from ingest.views import air_complaints_after

    ids = build(conn)
    first = ids["incoming"][0]
    conn.execute("update complaints set duplicate_of = %s where id = %s", (first.id, ids["incoming"][1].id))
    _complaint(conn, 9, AT, 117.80, 30.94, ("noise_social",))
    counts = sync(conn, air_complaints_after, now=AT)
    assert counts["open"] + counts["join"] + counts["merge"] == 5


def test_the_trace_names_the_far_plant_with_the_matching_smell(conn):
    ids = build_and_cluster(conn)
    trace = incident_trace(conn, ids["incident"])
    names = [c["name"] for c in trace["candidates"]]
    assert names[0] == "铜港焦化" and "江南涂装" in names
    top = trace["candidates"][0]
    keys = {t["key"] for t in top["terms"]}
    assert {"upwind", "plume", "odour", "monitors", "cpf", "history"} <= keys
    assert all(t["zh"] and t["en"] for t in top["terms"])
    assert trace["wind"]["from_deg"] == pytest.approx(0, abs=1) and trace["trajectories"] and trace["plumes"]
    assert any(m["sensor_id"] == "S09" and m["anomaly"] for m in trace["monitors"])
    # a case's trace is its incident's
    assert incident_of_case(conn, ids["cases"][0]) == ids["incident"]
    by_case = case_trace(conn, ids["cases"][0])
    assert [c["name"] for c in by_case["candidates"]] == names


def test_investigation_feedback_makes_the_monthly_kpi(conn):
    ids = build_and_cluster(conn)
    ranking = [c["enterprise_id"] for c in incident_trace(conn, ids["incident"])["candidates"]]
    with pytest.raises(InvalidInput):
        record_investigation(conn, ids["incident"], outcome="enterprise", enterprise_id=None, note=None,
                             actor="t", now=AT, trace_ranking=ranking)
    record_investigation(conn, ids["incident"], outcome="enterprise", enterprise_id=ids["coke"], note="现场查实",
                         actor="t", now=AT + timedelta(days=1), trace_ranking=ranking)
    kpi = accuracy_by_month(conn, "Asia/Shanghai")
    assert kpi == [{"month": "2026-08", "confirmed": 1, "top1": 1, "top3": 1, "other_or_none": 0,
                    "top1_rate": 1.0, "top3_rate": 1.0}]
    # the confirmation becomes history for later incidents (not for itself)
    later = incident_trace(conn, ids["incident"])
    hist = next(t for t in later["candidates"][0]["terms"] if t["key"] == "history")
    assert hist["llr"] == 0

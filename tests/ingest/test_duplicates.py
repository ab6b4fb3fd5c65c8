"""Duplicate rules against the real database: re-import, cross-channel events, repeats, bursts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from ingest.dedupe import DedupeRules, RecentComplaints, Seen, judge

from .conftest import HEADER_12369, TZ, run_import, write_csv

H12345 = "工单号,来电时间,姓名,电话,事发地址,经度,纬度,坐标系,诉求内容,被投诉单位"


def counts(conn):
    return conn.execute("select (select count(*) from complaints), (select count(*) from cases), "
                        "(select count(*) from case_events), (select count(*) from complainant_contacts)").fetchone()


def test_reimport_changes_nothing(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "a.csv", HEADER_12369, [
        "R1,2026-10-10 08:30,张三,13812345678,,,117.805,30.905,,有臭味",
        "R2,2026-10-10 09:30,李四,13912345678,,,117.825,30.905,,工地夜间施工噪音",
    ])
    first, results = run_import(conn, path, ctx)
    before = counts(conn)
    again, again_results = run_import(conn, path, ctx)
    assert counts(conn) == before
    assert (again.accepted, again.duplicates, again.cases_opened) == (0, 2, 0)
    assert [(r.status, r.reason, r.duplicate_of, r.case_id) for r in again_results] == \
        [("duplicate", "already imported", r.complaint_id, r.case_id) for r in results]


def test_same_external_id_twice_in_one_file(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "twice.csv", HEADER_12369, [
        "T1,2026-10-10 08:30,,,,,117.805,30.905,,有臭味", "T1,2026-10-10 08:30,,,,,117.805,30.905,,有臭味"])
    _, (a, b) = run_import(conn, path, ctx)
    assert a.status == "accepted" and b.status == "duplicate" and b.duplicate_of == a.complaint_id and b.case_id == a.case_id
    assert counts(conn)[0] == 1


def test_same_event_via_12369_and_12345_same_phone_is_linked(conn, ctx, tmp_path):
    run_import(conn, write_csv(tmp_path / "12369.csv", HEADER_12369,
                               ["E1,2026-10-10 08:30,张三,138-1234-5678,,,117.805,30.905,,小区有刺鼻臭味"]), ctx)
    (first,) = conn.execute("select id, case_id from complaints").fetchall()
    # Same person via 12345 two hours later, other place wording, +86 prefix: still the same phone.
    _, (r,) = run_import(conn, write_csv(tmp_path / "12345.csv", H12345,
                                         ["W1,2026-10-10 10:30,张三,+86 13812345678,东湖小区,,,,小区臭气熏人,"]), ctx)
    assert (r.status, r.duplicate_of, r.case_id) == ("duplicate", first[0], first[1])
    assert "same phone" in r.reason
    assert conn.execute("select count(*) from cases").fetchone() == (1,)


def test_same_event_via_other_channel_same_place_no_phone(conn, ctx, tmp_path):
    _, (a,) = run_import(conn, write_csv(tmp_path / "a.csv", HEADER_12369, ["P1,2026-10-10 08:30,,,,,117.805,30.905,,有臭味"]), ctx)
    _, (b,) = run_import(conn, write_csv(tmp_path / "b.csv", H12345, ["Q1,2026-10-10 12:00,,,,117.806,30.906,,异味很重,"]), ctx)
    assert (b.status, b.duplicate_of, b.case_id) == ("duplicate", a.complaint_id, a.case_id)
    # Too late (more than 6 hours): a new case, flagged as a repeat of the place.
    _, (c,) = run_import(conn, write_csv(tmp_path / "c.csv", H12345, ["Q2,2026-10-10 20:00,,,,117.8055,30.9052,,又有异味,"]), ctx)
    assert c.status == "accepted" and c.duplicate_of is None and c.case_id != a.case_id
    assert c.repeat_of == a.complaint_id  # 53 m from P1; Q1 is 101 m away


def test_different_category_at_same_place_is_not_a_duplicate(conn, ctx, tmp_path):
    run_import(conn, write_csv(tmp_path / "a.csv", HEADER_12369, ["D1,2026-10-10 08:30,,,,,117.805,30.905,,有臭味"]), ctx)
    _, (b,) = run_import(conn, write_csv(tmp_path / "b.csv", H12345, ["D2,2026-10-10 09:00,,,,117.805,30.905,,广场舞音响噪音扰民,"]), ctx)
    assert b.status == "accepted" and b.duplicate_of is None
    assert conn.execute("select count(*) from cases").fetchone() == (2,)


def test_burst_of_one_category_around_one_place_is_one_case(conn, ctx, tmp_path):
    start = datetime(2026, 10, 10, 21, 0)
    rows = [f"B{i},{(start + timedelta(minutes=i)):%Y-%m-%d %H:%M},,139{i:08d},,,{117.803 + (i % 10) * 0.0004:.5f},"
            f"{30.903 + (i % 7) * 0.0004:.5f},,闻到刺鼻的化学异味" for i in range(120)]
    rows.append("Z1,2026-10-10 21:30,,,,,117.825,30.905,,闻到刺鼻的化学异味")  # 2 km away: its own case
    summary, results = run_import(conn, write_csv(tmp_path / "burst.csv", HEADER_12369, rows), ctx, batch_size=50)
    assert summary.accepted == 121 and summary.cases_opened == 2
    assert len({r.case_id for r in results[:120]}) == 1 and results[120].case_id != results[0].case_id
    n, = conn.execute("select count(*) from complaints where case_id = %s", (results[0].case_id,)).fetchone()
    assert n == 120
    attached, = conn.execute("select count(*) from case_events where case_id = %s and kind = 'complaint_attached'",
                             (results[0].case_id,)).fetchone()
    assert attached == 120


def test_repeat_complainant_flagged_within_days_not_after(conn, ctx, tmp_path):
    rows = ["C1,2026-09-01 08:30,王,13500000000,,,117.805,30.905,,有臭味",
            "C2,2026-10-05 08:30,王,13500000000,,,117.825,30.905,,工地噪音",    # 34 days later: not a repeat
            "C3,2026-10-09 08:30,王,13500000000,,,117.837,30.907,,冶炼厂冒黑烟"]  # 4 days later: repeat of C2
    summary, (a, b, c) = run_import(conn, write_csv(tmp_path / "r.csv", HEADER_12369, rows), ctx)
    assert (a.repeat_of, b.repeat_of, c.repeat_of) == (None, None, b.complaint_id)
    assert summary.repeats == 1 and len({a.case_id, b.case_id, c.case_id}) == 3
    assert conn.execute("select repeat_of from complaints where id = %s", (c.complaint_id,)).fetchone() == (b.complaint_id,)


def test_closed_case_is_not_joined(conn, ctx, tmp_path):
    _, (a,) = run_import(conn, write_csv(tmp_path / "a.csv", HEADER_12369, ["K1,2026-10-10 08:30,,,,,117.805,30.905,,有臭味"]), ctx)
    conn.execute("update cases set state = 'closed', closed_at = %s where id = %s",
                 (datetime(2026, 10, 10, 9, 0, tzinfo=TZ), a.case_id))
    _, (b,) = run_import(conn, write_csv(tmp_path / "b.csv", HEADER_12369, ["K2,2026-10-10 09:30,,,,,117.805,30.905,,有臭味"]), ctx)
    assert b.case_id != a.case_id and b.duplicate_of is None and b.repeat_of == a.complaint_id


def test_results_carry_no_identity(conn, ctx, tmp_path):
    _, (r,) = run_import(conn, write_csv(tmp_path / "a.csv", HEADER_12369,
                                         ["I1,2026-10-10 08:30,欧阳娜娜,13812345678,,,117.805,30.905,,有臭味"]), ctx)
    line = json.dumps(r.as_dict(), ensure_ascii=False)
    assert "欧阳" not in line and "13812345678" not in line and "receipt" not in line


def _seen(key, minutes, x, channel="12369", cats=("odour",), phone=None, case=None):
    return Seen(key, channel, datetime(2026, 10, 10, 8, 0, tzinfo=TZ) + timedelta(minutes=minutes), x, 0.0,
                frozenset(cats), phone, case)


@pytest.mark.parametrize("new, expect", [
    (_seen(9, 60, 100.0, channel="12345"), ("dup", 1)),            # other channel, 100 m, 1 h
    (_seen(9, 60, 400.0, channel="12345"), ("burst", 1)),          # other channel but 400 m: burst only
    (_seen(9, 60, 100.0), ("burst", 1)),                           # same channel same place: burst + repeat
    (_seen(9, 60, 100.0, cats=("water",)), ("new", None)),         # other category
    (_seen(9, 300, 100.0), ("new", 1)),                            # 5 h: no burst, repeat of the place
    (_seen(9, 60, 5000.0, phone="h1"), ("dup", 1)),                # same phone anywhere
    (_seen(9, 60 * 24 * 40, 0.0, phone="h1"), ("new", None)),      # 40 days: nothing
])
def test_judge_table(new, expect):
    recent = RecentComplaints(DedupeRules())
    recent.add(_seen(1, 0, 0.0, phone="h1", case=11))
    verdict = judge(new, recent)
    kind, ref = expect
    if kind == "dup":
        assert verdict.duplicate_of == ref and verdict.case_key == 11
    elif kind == "burst":
        assert verdict.duplicate_of is None and verdict.case_key == 11
    else:
        assert verdict.duplicate_of is None and verdict.case_key is None and verdict.repeat_of == ref

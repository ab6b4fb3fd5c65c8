"""Bad input ends in quarantine with the raw row and the reason; the import goes on and counts it."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from ingest.fields import BadRow, parse_coordinates, parse_received_at
from ingest.quarantine_view import open_quarantine

from .conftest import HEADER_12369, TZ, run_import, write_csv

GOOD = "OK1,2026-10-10 08:30,,,,,117.805,30.905,,有臭味"


@pytest.mark.parametrize("row, reason", [
    ("B1,2026-13-45 08:00,,,,,117.805,30.905,,有臭味", "bad date"),
    ("B2,,,,,,117.805,30.905,,有臭味", "missing date"),
    ("B3,1999-01-01 08:00,,,,,117.805,30.905,,有臭味", "before 2000"),
    ("B4,2031-01-01 08:00,,,,,117.805,30.905,,有臭味", "in the future"),
    ("B5,2026-10-10 08:30,,,,,117.805,30.905,,", "missing content"),
    ("B6,2026-10-10 08:30,,,,,2.35,48.85,,有臭味", "outside China"),
    ("B7,2026-10-10 08:30,,,,,30.905,117.805,,有臭味", "coordinates swapped"),
    ("B8,2026-10-10 08:30,,,,,117.805,,,有臭味", "only one of"),
    ("B9,2026-10-10 08:30,,,,,东经117,30.9,,有臭味", "not numbers"),
    ("B10,2026-10-10 08:30,,,,,117.805,30.905,火星,有臭味", "unknown CRS"),
    ("B11,2026-10-10 08:30,,,,某某路,,,,有臭味", "needs location"),
    ("B12,2026-10-10 08:30,,,,阳光花园,,,,有臭味", "needs location (ambiguous: 阳光花园一期/阳光花园二期)"),
    ("B13,2026-10-10 08:30,,,,铜官区某路,,,,有臭味", "needs location (district 铜官区 only)"),
])
def test_bad_rows_are_quarantined_and_import_goes_on(conn, ctx, tmp_path, row, reason):
    path = write_csv(tmp_path / "bad.csv", HEADER_12369, [row, GOOD])
    summary, (bad, good) = run_import(conn, path, ctx)
    assert (summary.accepted, summary.quarantined) == (1, 1) and good.status == "accepted"
    assert bad.status == "quarantined" and reason in bad.reason
    stored = conn.execute("select raw, reason, kind, row_no, source from quarantine where id = %s", (bad.quarantine_id,)).fetchone()
    assert stored[0]["编号"] == row.split(",")[0] and reason in stored[1] and stored[3] == 1
    assert stored[2] == ("needs_location" if reason.startswith("needs location") else "bad_row")
    assert stored[4] == "12369:bad.csv"
    # Re-import: nothing new in quarantine or complaints.
    before = conn.execute("select (select count(*) from quarantine), (select count(*) from complaints)").fetchone()
    again, _ = run_import(conn, path, ctx)
    assert (again.accepted, again.duplicates) == (0, 1)
    assert conn.execute("select (select count(*) from quarantine), (select count(*) from complaints)").fetchone() == before


def test_excel_serial_date_is_converted_with_a_warning(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "serial.csv", HEADER_12369, ["S1,46305.5,,,,,117.805,30.905,,有臭味"])
    summary, (r,) = run_import(conn, path, ctx)
    assert r.status == "accepted" and "Excel serial" in r.reason and summary.warnings == 1
    received, = conn.execute("select received_at from complaints where id = %s", (r.complaint_id,)).fetchone()
    assert received == datetime(2026, 10, 10, 12, 0, tzinfo=TZ)


@pytest.mark.parametrize("content", ["", "\n\n", HEADER_12369 + "\n"])
def test_empty_file_is_counted_in_quarantine(conn, ctx, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    summary, results = run_import(conn, path, ctx)
    assert results == [] and summary.quarantined == 1 and "empty file" in summary.file_problems[0]
    kind, = conn.execute("select kind from quarantine where source like '%%empty.csv'").fetchone()
    assert kind == "bad_file"


def test_wrong_sheet_is_quarantined_and_right_sheet_imported(conn, ctx, tmp_path):
    xlsx = tmp_path / "book.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame([{"说明": "本表为汇总"}]).to_excel(writer, sheet_name="汇总", index=False)
        pd.DataFrame([{"编号": "X1", "举报时间": "2026-10-10 08:30", "经度": 117.805, "纬度": 30.905,
                       "举报内容": "有臭味"}]).to_excel(writer, sheet_name="举报记录", index=False)
    summary, (r,) = run_import(conn, xlsx, ctx)
    assert r.status == "accepted" and summary.quarantined == 1
    assert "汇总" in summary.file_problems[0]


def test_unknown_headers_csv_is_a_file_problem(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "odd.csv", "a,b,c", ["1,2,3"])
    summary, results = run_import(conn, path, ctx)
    assert results == [] and summary.quarantined == 1 and "no recognised headers" in summary.file_problems[0]


def test_quarantine_view_masks_identity(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "who.csv", HEADER_12369, ["P1,2026-10-10 08:30,张三丰,13812345678,,,,,,"])
    run_import(conn, path, ctx)
    masked, = open_quarantine(conn)
    assert masked["raw"]["举报人"] == "张**" and masked["raw"]["联系电话"] == "138****5678"
    clear, = open_quarantine(conn, unmasked=True)
    assert clear["raw"]["联系电话"] == "13812345678"


@pytest.mark.parametrize("value, expected", [
    ("2026-10-10 08:30:00", datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
    ("2026/10/10 08:30", datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
    ("2026年10月10日 08:30", datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
    ("２０２６-10-10 08:30", datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
    ("2026-10-10T00:30:00Z", datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
    ("20261010083000", datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
    (46305.25, datetime(2026, 10, 10, 6, 0, tzinfo=TZ)),
    (pd.Timestamp("2026-10-10 08:30"), datetime(2026, 10, 10, 8, 30, tzinfo=TZ)),
])
def test_parse_received_at(value, expected):
    assert parse_received_at(value)[0] == expected


@pytest.mark.parametrize("value", ["yesterday", "12", "2026-02-30 10:00", None, ""])
def test_parse_received_at_refuses(value):
    with pytest.raises(BadRow):
        parse_received_at(value)


@pytest.mark.parametrize("lon, lat, crs, expected", [
    ("117.8", "30.9", "", (117.8, 30.9, "wgs84")),
    ("１１７.８", "３０.９", "GCJ02", (117.8, 30.9, "gcj02")),
    ("", "", "", (None, None, None)),
    ("0", "0", "", (None, None, None)),
    ("500000", "3420000", "EPSG:4548", (500000.0, 3420000.0, "EPSG:4548")),
])
def test_parse_coordinates(lon, lat, crs, expected):
    assert parse_coordinates(lon, lat, crs) == expected


def test_rows_of_only_commas_are_not_complaints(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "commas.csv", HEADER_12369, [",,,,,,,,,", GOOD, " , ,,,,,,,,"])
    summary, results = run_import(conn, path, ctx)
    assert (summary.rows, summary.accepted, summary.quarantined) == (1, 1, 0) and results[0].row == 2

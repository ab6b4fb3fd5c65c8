"""Every channel into the real database: 12369 CSV/XLSX, 12345 JSON, letters, Open311 file, mapped CSV."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from envpetition.geo_crs import wgs84_to_bd09, wgs84_to_gcj02
from ingest.readers import ImportFileError, Mapping

from .conftest import HEADER_12369, run_import, write_csv


def test_12369_csv_row_is_located_classified_and_cased(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "12369.csv", HEADER_12369, [
        "J001,2026-10-10 08:30:00,张三,13812345678,,东湖小区3栋,117.805,30.905,,小区里臭味很重，像烂鸡蛋",
    ])
    summary, (r,) = run_import(conn, path, ctx)
    assert (summary.format, summary.channel, summary.accepted, summary.cases_opened) == ("12369", "12369", 1, 1)
    assert (r.status, r.community, r.grid, r.district, r.categories) == ("accepted", "东湖小区", "网格A", "铜官区", ["odour"])
    row = conn.execute("select channel, external_id, community_id, grid_id, case_id, source_crs, location_source "
                       "from complaints where id = %s", (r.complaint_id,)).fetchone()
    assert row[:2] == ("12369", "J001") and row[4] == r.case_id and row[5:] == ("wgs84", "coordinates")
    case = conn.execute("select priority, grid_id, team_id, opened_at, title from cases where id = %s", (r.case_id,)).fetchone()
    team_a, = conn.execute("select id from teams where name = '第一执法队'").fetchone()
    assert case[0] == "normal" and case[1] == row[3] and case[2] == team_a and "东湖小区" in case[4]
    assert case[3].isoformat() == "2026-10-10T08:30:00+08:00"
    # Identity only in complainant_contacts.
    contact = conn.execute("select name, phone, phone_hash from complainant_contacts where complaint_id = %s",
                           (r.complaint_id,)).fetchone()
    assert contact[:2] == ("张三", "13812345678") and len(contact[2]) == 64
    assert "张三" not in json.dumps(r.as_dict(), ensure_ascii=False)


@pytest.mark.parametrize("crs_cell, forward", [
    ("", None), ("WGS84", None), ("GCJ02", wgs84_to_gcj02), ("gcj-02", wgs84_to_gcj02), ("BD09", wgs84_to_bd09),
    ("百度", wgs84_to_bd09),
])
def test_each_crs_lands_in_the_right_community(conn, ctx, tmp_path, crs_cell, forward):
    lon, lat = 117.8155, 30.9052  # inside 阳光花园二期, 470 m from its neighbours
    if forward:
        lon, lat = (float(v) for v in forward(lon, lat))
    path = write_csv(tmp_path / "c.csv", HEADER_12369, [f"K1,2026-10-10 08:30,,,,,{lon:.7f},{lat:.7f},{crs_cell},有刺鼻气味"])
    _, (r,) = run_import(conn, path, ctx)
    assert r.community == "阳光花园二期"
    assert abs(r.lon - 117.8155) < 1e-5 and abs(r.lat - 30.9052) < 1e-5
    stored = conn.execute("select raw_lon, source_crs from complaints where id = %s", (r.complaint_id,)).fetchone()
    assert stored[0] == pytest.approx(lon) and stored[1] == (forward and ("gcj02" if forward is wgs84_to_gcj02 else "bd09") or "wgs84")


def test_12369_xlsx_sheet_and_gbk_csv(conn, ctx, tmp_path):
    frame = pd.DataFrame([{"编号": "X1", "举报时间": pd.Timestamp("2026-10-09 21:15"), "举报人": "赵六",
                           "联系电话": "13700000000", "被举报单位": "", "地址": "阳光花园一期", "经度": None, "纬度": None,
                           "坐标系": None, "举报内容": "楼下烧烤店油烟很大"}])
    xlsx = tmp_path / "oct.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        frame.to_excel(writer, sheet_name="举报记录", index=False)
    summary, (r,) = run_import(conn, xlsx, ctx)
    assert (summary.format, r.status, r.community, r.categories) == ("12369", "accepted", "阳光花园一期", ["cooking_fumes"])
    gbk = write_csv(tmp_path / "gbk.csv", HEADER_12369, ["G1,2026-10-10 08:30,,,,东湖花园,,,,噪音扰民，广场舞音响太吵"],
                    encoding="gbk")
    _, (g,) = run_import(conn, gbk, ctx)
    assert (g.status, g.community, g.categories) == ("accepted", "东湖小区", ["noise_social"])


def test_12345_json_work_orders(conn, ctx, tmp_path):
    lon, lat = (float(v) for v in wgs84_to_gcj02(117.837, 30.907))
    orders = {"orders": [
        {"工单号": "GD-1", "来电时间": "2026-10-10 11:00:00", "姓名": "钱七", "电话": "13600000000",
         "事发地址": "有色冶炼厂附近", "经度": lon, "纬度": lat, "坐标系": "GCJ02", "诉求内容": "冶炼厂冒黄烟，气味呛人",
         "被投诉单位": "铜陵有色冶炼厂"},
        {"工单号": "GD-2", "来电时间": "2026-10-10 11:30:00", "诉求内容": ""},
    ]}
    path = tmp_path / "12345.json"
    path.write_text(json.dumps(orders, ensure_ascii=False), encoding="utf-8")
    summary, (a, b) = run_import(conn, path, ctx)
    assert (summary.format, summary.channel) == ("12345", "12345")
    assert a.status == "accepted" and a.enterprise == "铜陵有色冶炼厂" and a.grid == "网格B"
    assert "industrial_exhaust" in a.categories and "odour" in a.categories
    assert (b.status, b.reason) == ("quarantined", "missing content (举报内容)")


def test_letters_and_visits(conn, ctx, tmp_path):
    path = write_csv(tmp_path / "letters.csv", "编号,受理时间,姓名,联系电话,方式,地址,内容", [
        "L1,2026年10月8日 14:20,孙八,,来访,铜官区东湖新村,反映小区旁河道有人倾倒建筑垃圾",
    ])
    summary, (r,) = run_import(conn, path, ctx)
    assert (summary.format, summary.channel) == ("letters", "letters")
    assert (r.status, r.community, r.categories) == ("accepted", "东湖小区", ["water", "solid_waste"])
    method, source = conn.execute("select method, location_source from complaints where id = %s", (r.complaint_id,)).fetchone()
    assert (method, source) == ("来访", "address")


def test_open311_file(conn, ctx, tmp_path):
    path = tmp_path / "online.json"
    path.write_text(json.dumps([{"service_request_id": "W-9", "service_code": "odour", "requested_datetime":
                                 "2026-10-10T09:00:00+08:00", "description": "晚上闻到很重的化学异味", "lat": 30.905,
                                 "long": 117.825, "address": "", "first_name": "周"}], ensure_ascii=False))
    summary, (r,) = run_import(conn, path, ctx)
    assert (summary.format, summary.channel, r.external_id, r.community) == ("open311", "online", "W-9", "阳光花园一期")


def test_mapped_csv_with_toml_mapping(conn, ctx, tmp_path):
    mapping_path = tmp_path / "m.toml"
    mapping_path.write_text('channel = "督察转办"\ncrs = "gcj02"\ndate_format = "%d.%m.%Y %H:%M"\n'
                            '[columns]\nexternal_id = "序"\nreceived_at = "日期"\ntext = ["问题", "补充"]\n'
                            'lon = "X"\nlat = "Y"\n', encoding="utf-8")
    lon, lat = (float(v) for v in wgs84_to_gcj02(117.805, 30.905))
    path = write_csv(tmp_path / "odd.csv", "序,日期,问题,补充,X,Y", [f"7,10.10.2026 07:45,晚上有异味,影响休息,{lon},{lat}"])
    summary, (r,) = run_import(conn, path, ctx, fmt="mapped", mapping=Mapping.load(mapping_path))
    assert (summary.channel, r.external_id, r.community, r.categories) == ("督察转办", "7", "东湖小区", ["odour"])
    text, = conn.execute("select text from complaints where id = %s", (r.complaint_id,)).fetchone()
    assert text == "晚上有异味；影响休息"


def test_mapping_file_must_name_text_and_date(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"columns": {"text": "a"}}')
    with pytest.raises(ImportFileError, match="received_at"):
        Mapping.load(bad)


@pytest.mark.parametrize("backfill, registered_at", [
    (False, "2026-10-12T09:00:00+08:00"),   # a live import: registered when our system took it in
    (True, "2026-10-10T08:30:00+08:00"),    # a history import: registered when the hotline took it
])
def test_backfill_registers_cases_at_receipt_time(conn, city, tmp_path, backfill, registered_at):
    from ingest.batch import IntakeContext

    path = write_csv(tmp_path / "h.csv", HEADER_12369, ["H1,2026-10-10 08:30:00,,,,,117.805,30.905,,小区里臭味很重"])
    _, (r,) = run_import(conn, path, IntakeContext.load(conn, backfill=backfill))
    at = conn.execute("select min(at) from case_events where case_id = %s and kind = 'registered'", (r.case_id,)).fetchone()[0]
    assert at.isoformat() == registered_at

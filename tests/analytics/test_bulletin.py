"""Bulletins from the sample city: every number equals the KPI queries and the API, no identity inside,
the three documents are written, and the schedule issues each period once."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from analytics.bulletin.render import build_bulletin
from analytics.bulletin.schedule import run_schedule
from analytics.bulletin.tables import pct
from analytics.periods import parse_period
from envpetition.cli import main
from envpetition.runtime import local_now

TZ = ZoneInfo("Asia/Shanghai")
TRUTH = Path(__file__).resolve().parents[2] / "sample_data" / "complaints" / "ground_truth.json"


@pytest.fixture(scope="module")
def september(sample_city_url):
    from envpetition.db import connect

    with connect(sample_city_url, autocommit=True) as conn:
        return build_bulletin(conn, parse_period("2026-09"), now=local_now())


def _sheet(xlsx: bytes, name: str) -> list[list[object]]:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx))[name]
    return [list(r) for r in ws.iter_rows(min_row=4, values_only=True)]  # title, period line, header first


def test_kpi_numbers_equal_the_kpi_api_and_page(september, api):
    response = api.get("/api/dispatch/kpis", params={"from": "2026-09-01", "to": "2026-10-01"})
    assert response.status_code == 200
    assert json.loads(json.dumps(september.figures["kpis"], default=str)) == response.json()
    rows = {r[0]: r for r in _sheet(september.xlsx, "kpis") if r[0]}
    for team in response.json():
        row = rows[team["team"]]
        assert row[1] == team["cases"]
        assert row[2:6] == [pct(team[k]) for k in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")]
    page = api.get("/kpi", params={"month": "2026-09"})
    assert page.status_code == 200
    body = page.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]  # the chosen month's table
    page_rows = {c[0]: c for c in (re.findall(r"<td[^>]*>(.*?)</td>", tr) for tr in body.split("</tr>")) if c}
    for team in response.json():
        rates = [pct(team[k]) for k in ("response_rate", "resolution_rate", "satisfaction_rate", "on_time_rate")]
        assert page_rows[team["team"]][1:] == [str(team["cases"]), *rates]  # the KPI page shows the same
    on_time = sum(t["counts"]["close_on_time"] for t in response.json())
    counted = sum(t["counts"]["close_counted"] for t in response.json())
    timeliness = september.figures["timeliness"]
    assert (timeliness["close_on_time"], timeliness["close_counted"]) == (on_time, counted)


def test_intake_totals_equal_the_sample_truth(september, city_conn):
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))["complaints"]
    # rows intake put aside for a person (no community could be told) are not complaints yet
    aside = {f"{c}:{e}" for c, e in city_conn.execute(
        "select channel, external_id from quarantine where kind = 'needs_location' and resolved_at is null")}
    truth = {k: v for k, v in truth.items() if k not in aside}
    start, end = parse_period("2026-09").start, parse_period("2026-10").start
    kept = [r for r in truth.values() if start <= datetime.fromisoformat(r["received_at"]) < end
            and r["bad_row"] not in ("missing_content", "bad_date", "swapped_lon_lat", "outside_china")]
    totals = september.figures["intake"]["totals"]
    assert totals["received"] == len(kept)
    channels = {r["channel"]: r["count"] for r in september.figures["channels"]}
    assert sum(channels.values()) == totals["received"]
    assert sum(r["share"] for r in september.figures["channels"]) == pytest.approx(1, abs=0.002)
    shares = sum(r["share"] for r in september.figures["categories"])
    assert shares > 1  # multi-label: the note says they sum past 100 %
    previous = september.figures["intake"]["rows"][0]
    assert previous["previous"] == len([r for r in truth.values()
                                        if parse_period("2026-08").start <= datetime.fromisoformat(r["received_at"]) < start
                                        and r["bad_row"] not in ("missing_content", "bad_date", "swapped_lon_lat", "outside_china")])


def test_documents_hold_the_numbers_and_never_an_identity(september, city_conn):
    from docx import Document

    doc = Document(io.BytesIO(september.docx))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    received = september.figures["intake"]["totals"]["received"]
    assert f"共受理环境信访投诉 {received} 件" in text and f"共受理环境信访投诉 {received} 件" in september.html
    assert len(doc.inline_shapes) >= 2  # charts embedded as images
    assert september.html.count("data:image/png;base64,") >= 2
    assert "http://" not in september.html.replace("http://www.w3.org", "") and "https://" not in september.html
    contacts = city_conn.execute("select name, phone from complainant_contacts").fetchall()
    from openpyxl import load_workbook

    cells = " ".join(str(c) for ws in load_workbook(io.BytesIO(september.xlsx)) for r in ws.iter_rows(values_only=True)
                     for c in r if c is not None)
    for name, phone in contacts:
        for value in (phone, name if name and len(name) >= 2 and not name.endswith(("先生", "女士")) else None):
            if value:
                assert value not in text and value not in cells and value not in september.html, "identity leaked"
    typical = september.figures["typical_cases"]
    assert typical and all(t["texts"] for t in typical)


def test_cli_writes_docx_xlsx_and_html(sample_city_url, mqtt_url, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["bulletin", "monthly", "--month", "2026-09", "--out", str(out), "--no-store"],
                                env={"DATABASE_URL": sample_city_url, "MQTT_URL": mqtt_url,
                                     "ENVPETITION_HOME": str(tmp_path)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["bulletin-month-2026-09.docx", "bulletin-month-2026-09.html", "bulletin-month-2026-09.json",
                     "bulletin-month-2026-09.xlsx"]
    assert (out / "bulletin-month-2026-09.docx").read_bytes()[:2] == b"PK"
    bad = CliRunner().invoke(main, ["bulletin", "monthly", "--month", "2026-13", "--out", str(out)],
                             env={"DATABASE_URL": sample_city_url, "MQTT_URL": mqtt_url, "ENVPETITION_HOME": str(tmp_path)})
    assert bad.exit_code != 0 and "2026-09" in bad.output


def test_schedule_issues_each_period_once_and_keeps_it(city_conn):
    monday = datetime(2026, 10, 5, 8, 30, tzinfo=TZ)  # a Monday, also in the month after September
    first = run_schedule(city_conn, now=monday)
    assert {(r["kind"], r["period"]) for r in first} == {("week", "2026-W40"), ("month", "2026-09"), ("quarter", "2026-Q3")}
    assert run_schedule(city_conn, now=monday) == []
    from analytics.bulletin.store import bulletin_document, list_bulletins

    stored = list_bulletins(city_conn)
    assert {r["period_key"] for r in stored} == {"2026-W40", "2026-09", "2026-Q3"}
    assert all(r["parameters"]["as_of"] == monday.isoformat() for r in stored)
    body, filename = bulletin_document(city_conn, stored[0]["id"], "docx")
    assert body[:2] == b"PK" and filename.endswith(".docx")

"""A reading from a device whose clock says 9999 (stored before the worker refused such readings) breaks no page."""

from __future__ import annotations

from datetime import datetime, timedelta

from envpetition.db import connect


def test_monitoring_page_survives_a_reading_dated_9999(app_client, make_user, fresh_database_url):
    now = datetime.now().astimezone()
    with connect(fresh_database_url, autocommit=True) as c:
        c.execute("insert into sensors (id, kind, name, pollutants, units) values ('S9', 'fixed', '钟坏了', '{a21001}', '{mg/m3}')")
        with c.cursor() as cur:
            cur.executemany("insert into readings (ts, sensor_id, pollutant, value, flag) values (%s, 'S9', 'a21001', %s, 'N')",
                            [(now - timedelta(minutes=m), 0.2) for m in range(60)]
                            + [(datetime.fromisoformat("9999-12-31T23:59:59.999+08:00"), 0.3)])
    page = app_client.get("/monitoring", params={"sensor": "S9"}, headers=make_user("monitoring"))
    assert page.status_code == 200, page.text[:500]
    assert 'const series = ' in page.text and '"S9 钟坏了"' in page.text  # the real readings of the last hour are plotted

"""The trace page ranks the upwind plant with an exceedance first and plots the nearby monitor."""

from datetime import datetime, timedelta, timezone

import shapely

from envpetition.areas import Area, save_area
from envpetition.db import connect

CST = timezone(timedelta(hours=8))
AT = datetime(2026, 8, 14, 21, 0, tzinfo=CST)


def _scene(url):
    """A community at (117.80, 30.94); a chemical plant 1 km north-east, a cement plant 800 m south-west."""
    with connect(url, autocommit=True) as c:
        chem, _ = save_area(c, Area("enterprise", "铜化有机化工", shapely.box(117.806, 30.946, 117.808, 30.948)), now=AT)
        save_area(c, Area("enterprise", "江南水泥", shapely.box(117.794, 30.934, 117.796, 30.936)), now=AT)
        case_id = c.execute("insert into cases (title, opened_at, lon, lat, categories) values "
                            "('焦化新村 · 异味', %s, 117.80, 30.94, '{odour}') returning id", (AT,)).fetchone()[0]
        c.execute("insert into sensors (id, kind, name, lon, lat, enterprise_id, pollutants, units) values "
                  "('S01', 'fixed', '铜化厂界', 117.807, 30.945, %s, '{a21001}', '{mg/m3}'), "
                  "('M01', 'met', '气象站', 117.81, 30.95, null, '{a01007,a01008}', '{m/s,deg}')", (chem,))
        with c.cursor() as cur:
            cur.executemany("insert into readings (ts, sensor_id, pollutant, value, flag) values (%s, %s, %s, %s, 'N')",
                            [(AT - timedelta(minutes=m), "M01", "a01008", 45.0) for m in range(0, 120, 10)]
                            + [(AT - timedelta(minutes=m), "M01", "a01007", 1.4) for m in range(0, 120, 10)]
                            + [(AT + timedelta(minutes=m), "S01", "a21001", 0.2 + (2.0 if 0 < m < 60 else 0))
                               for m in range(-120, 120)])
        c.execute("insert into exceedances (sensor_id, pollutant, averaging, standard, limit_value, unit, verified, "
                  "started_at, ended_at, peak_value, peak_at, enterprise_id, detected_at) values "
                  "('S01', 'a21001', '1 h', 'GB 14554-93', 1.5, 'mg/m3', true, %s, %s, 2.2, %s, %s, %s)",
                  (AT, AT + timedelta(hours=1), AT + timedelta(minutes=30), chem, AT))
    return case_id


def test_trace_ranks_the_upwind_plant_with_an_exceedance_first(app_client, make_user, fresh_database_url):
    case_id = _scene(fresh_database_url)
    page = app_client.get(f"/cases/{case_id}/trace", headers=make_user("monitoring"))
    assert page.status_code == 200
    ranked = page.text.index("<td>1</td><td>铜化有机化工</td>")
    assert ranked < page.text.index("<td>江南水泥</td>")
    assert "来自 45°" in page.text and "上风向" in page.text and "GB 14554-93" in page.text
    assert '"name":"a21001"' in page.text  # the nearby monitor is plotted
    assert app_client.get("/cases/999999/trace", headers=make_user("monitoring")).status_code == 404

from datetime import datetime, timedelta, timezone

from envpetition.db import connect

CST = timezone(timedelta(hours=8))


def _case_with_history(url):
    with connect(url, autocommit=True) as c:
        case_id = c.execute(
            "insert into cases (title, priority, opened_at, categories) values ('焦化新村夜间异味', 'urgent', now(), '{odour}') returning id"
        ).fetchone()[0]
        c.execute("insert into case_events (case_id, at, actor, kind, to_state) values (%s, now(), 'system', 'registered', 'registered')", (case_id,))
        c.execute("insert into clocks (case_id, kind, started_at, due_at, policy_version) values (%s, 'arrive', now(), now() + interval '6 hours', 1)", (case_id,))
        complaint = c.execute(
            "insert into complaints (channel, external_id, received_at, text, case_id) values ('12369', 'P-1', now(), '晚上有刺鼻气味', %s) returning id",
            (case_id,)).fetchone()[0]
        c.execute("insert into complainant_contacts (complaint_id, name, phone) values (%s, '张三丰', '13900001234')", (complaint,))
    return case_id


def test_case_page_shows_history_and_clocks_but_never_the_complainant(app_client, make_user, fresh_database_url):
    case_id = _case_with_history(fresh_database_url)
    page = app_client.get(f"/cases/{case_id}", headers=make_user("team_member"))
    assert page.status_code == 200
    assert "焦化新村夜间异味" in page.text and "到场" in page.text and "晚上有刺鼻气味" in page.text
    assert "张三丰" not in page.text and "13900001234" not in page.text
    assert app_client.get("/cases/999999", headers=make_user("team_member")).status_code == 404


def test_monitoring_page_plots_bucketed_readings(app_client, make_user, fresh_database_url):
    t0 = datetime(2026, 8, 14, 20, 0, tzinfo=CST)
    with connect(fresh_database_url, autocommit=True) as c:
        c.execute("insert into sensors (id, kind, name, pollutants, units) values ('S1', 'fixed', '铜化厂界', '{a21001}', '{mg/m3}')")
        with c.cursor() as cur:
            cur.executemany("insert into readings (ts, sensor_id, pollutant, value, flag) values (%s, 'S1', 'a21001', %s, 'N')",
                            [(t0 + timedelta(minutes=m), 0.1 + m / 100) for m in range(120)])
            # A span-gas calibration value: stored, but not a reading that counts.
            cur.execute("insert into readings (ts, sensor_id, pollutant, value, flag) values (%s, 'S1', 'a21001', 99, 'C')",
                        (t0 + timedelta(minutes=30, seconds=30),))
    page = app_client.get("/monitoring", params={"sensor": "S1", "bucket": "1 hour"}, headers=make_user("monitoring"))
    assert page.status_code == 200 and "铜化厂界" in page.text
    assert '"a21001 avg"' in page.text  # the series is in the figure
    assert "99.0" not in page.text  # the calibration value is not averaged in
    bad = app_client.get("/monitoring", params={"bucket": "1 fortnight"}, headers=make_user("monitoring"))
    assert bad.status_code == 422


def test_the_menu_and_the_pages_follow_the_same_role_groups(app_client, make_user):
    for role, allowed in [("director", {"/board", "/kpi"}), ("intake", {"/intake"}), ("team_member", {"/team"}),
                          ("section_chief", {"/board", "/kpi", "/team"}), ("monitoring", set())]:
        headers = make_user(role)
        menu = app_client.get("/", headers=headers).text  # every page carries the menu
        for path in ("/board", "/kpi", "/team", "/intake"):
            assert (f'href="{path}"' in menu) is (path in allowed), (role, path)
            assert (app_client.get(path, headers=headers).status_code == 200) is (path in allowed), (role, path)

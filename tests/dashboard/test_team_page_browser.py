"""A team member in a real browser: log in, open the team page, acknowledge the order, depart."""

from dispatch.cases import NewCase, open_case
from envpetition import auth
from envpetition.calendar import seed_calendar
from envpetition.db import connect
from envpetition.runtime import local_now
from envpetition.teams import save_team


def _seed(url):
    now = local_now()
    with connect(url, autocommit=True) as c:
        seed_calendar(c, [now.year])
        team, _ = save_team(c, "西区执法队")
        auth.create_user(c, "li", "browser-pass-1", "team_member", display_name="执法队员 李强", team_id=team)
        case_id = open_case(c, NewCase("焦化新村夜间异味", opened_at=now, priority="urgent", team_id=team),
                            actor="intake", role="intake", now=now)
    return case_id


def test_team_member_acknowledges_and_departs_in_the_browser(browser, live_server, fresh_database_url, tmp_path):
    case_id = _seed(fresh_database_url)
    page = browser.new_page()
    page.goto(live_server + "/team")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "li")
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.goto(live_server + "/team")
    card = page.locator(f"#case-{case_id}")
    assert "焦化新村夜间异味" in card.inner_text()
    card.get_by_role("button", name="确认接收指令").click()
    assert "调度指令已确认" in page.inner_text("p.ok")
    page.locator(f"#case-{case_id}").get_by_role("button", name="出发 depart").click()
    assert "已出发" in page.inner_text("p.ok")
    assert "赶赴中" in page.locator(f"#case-{case_id}").inner_text()
    page.screenshot(path=str(tmp_path / "team.png"), full_page=True)
    with connect(fresh_database_url, autocommit=True) as c:
        assert c.execute("select state from cases where id = %s", (case_id,)).fetchone()[0] == "en_route"
        assert c.execute("select state from dispatch_orders where case_id = %s", (case_id,)).fetchone()[0] == "acknowledged"

"""The dispatch pages on a real database, with cases made by dispatch's own service functions."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from dashboard import dispatch_queries as dq
from dispatch import followup, ladder, lifecycle, supervision
from dispatch.cases import NewCase, attach_complaint, open_case
from envpetition.calendar import seed_calendar
from envpetition.db import connect
from envpetition.runtime import local_now
from envpetition.teams import save_team

NAME, PHONE, TOKEN = "张三丰", "13900001234", "tok-receipt-abc123"
MASKED_NAME, MASKED_PHONE = "张**", "139****1234"


def _seed(url: str) -> dict[str, Any]:
    now = local_now()
    with connect(url, autocommit=True) as c:
        seed_calendar(c, [now.year, now.year + 1])
        team_a, _ = save_team(c, "西区执法队")
        team_b, _ = save_team(c, "东区执法队")
        hot = open_case(c, NewCase("焦化新村夜间异味", opened_at=now - timedelta(hours=3), priority="emergency",
                                   categories=["odour"], team_id=team_a), actor="intake", role="intake", now=now)
        other = open_case(c, NewCase("东区工地夜间噪声", opened_at=now, team_id=team_b), actor="intake", role="intake", now=now)
        stuck = open_case(c, NewCase("铜化厂界粉尘", opened_at=now - timedelta(hours=1), priority="urgent",
                                     team_id=team_a), actor="intake", role="intake", now=now)
        complaint = c.execute(
            "insert into complaints (channel, external_id, received_at, text, address, receipt_token, case_id) "
            "values ('12369', 'R-1', %s, '晚上有刺鼻气味,窗户都不敢开', '铜官区焦化新村3栋', %s, %s) returning id",
            (now - timedelta(hours=3), TOKEN, hot)).fetchone()[0]
        c.execute("insert into complainant_contacts (complaint_id, name, phone) values (%s, %s, %s)", (complaint, NAME, PHONE))
        attach_complaint(c, hot, complaint, actor="intake", now=now)
        ladder.refuse(c, stuck, actor="li", role="team_member", reason="涉及企业停产,执法队无权决定",
                      now=now, actor_team_id=team_a)
        supervision.issue_supervision_order(c, stuck, actor="chen", role="section_chief", instruction="明日18时前报告整改方案",
                                            deadline_at=now + timedelta(days=1), now=now)
        supervision.list_case(c, title="铜化厂界粉尘整治", actor="zhao", role="deputy_director", now=now, case_id=stuck,
                              items=[("milestone", "完成围挡", now.date() + timedelta(days=10)),
                                     ("checklist", "安装喷淋", None)])
    return {"team_a": team_a, "team_b": team_b, "hot": hot, "other": other, "stuck": stuck, "now": now}


@pytest.fixture
def world(fresh_database_url: str) -> dict[str, Any]:
    return _seed(fresh_database_url)


def _state(url: str, case_id: int) -> tuple[str, int]:
    with connect(url, autocommit=True) as c:
        return c.execute("select state, level from cases where id = %s", (case_id,)).fetchone()


def _no_identity(html: str) -> None:
    assert NAME not in html and PHONE not in html


@pytest.mark.parametrize("role", ["section_chief", "deputy_director", "director", "admin"])
def test_board_shows_the_ladder_with_clocks_supervision_and_listed_cases(app_client, make_user, world, role):
    page = app_client.get("/board", headers=make_user(role))
    assert page.status_code == 200
    html = page.text
    for text in ("焦化新村夜间异味", "东区工地夜间噪声", "铜化厂界粉尘", "首问负责人", "科室负责人", "明日18时前报告整改方案",
                 "铜化厂界粉尘整治", "完成围挡", "0/2", f'href="/cases/{world["hot"]}"'):
        assert text in html, text
    assert 'class="used u150"' in html  # the emergency arrival clock: 3 h used of 2 h
    _no_identity(html)


def test_board_filters_by_level_and_team(app_client, make_user, world):
    chief = make_user("section_chief")
    level2 = app_client.get("/board", params={"level": 2}, headers=chief).text
    assert "铜化厂界粉尘" in level2 and "焦化新村夜间异味" not in level2.split("本周调度会")[0]
    team_b = app_client.get("/board", params={"team": world["team_b"]}, headers=chief).text.split("本周调度会")[0]
    assert "东区工地夜间噪声" in team_b and "焦化新村夜间异味" not in team_b
    assert app_client.get("/board", params={"level": 9}, headers=chief).status_code == 422


@pytest.mark.parametrize("path", ["/board", "/kpi"])
@pytest.mark.parametrize("role", ["team_member", "intake", "monitoring"])
def test_leader_pages_are_refused_to_other_roles(app_client, make_user, world, path, role):
    page = app_client.get(path, headers=make_user(role, team_id=world["team_a"] if role == "team_member" else None))
    assert page.status_code == 403 and "无权查看" in page.text


def test_pages_need_a_login(app_client, world):
    for path in ("/board", "/team", "/kpi"):
        page = app_client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login"


def test_team_page_lists_only_own_team_cases_with_site_and_actions(app_client, make_user, world):
    page = app_client.get("/team", headers=make_user("team_member", team_id=world["team_a"]))
    assert page.status_code == 200
    html = page.text
    assert "焦化新村夜间异味" in html and "铜化厂界粉尘" in html and "东区工地夜间噪声" not in html
    assert "铜官区焦化新村3栋" in html and "明日18时前报告整改方案" in html
    assert "确认接收指令" in html and "出发 depart" in html and "到场 arrive" in html
    assert f'action="/team/cases/{world["hot"]}/escalate"' in html  # level 1: the team may say no
    assert f'action="/team/cases/{world["stuck"]}/escalate"' not in html  # level 2: the chief's
    _no_identity(html)
    assert app_client.get("/team", headers=make_user("director")).status_code == 403


def test_team_member_moves_a_case_through_the_lifecycle(app_client, make_user, world, fresh_database_url):
    member = make_user("team_member", team_id=world["team_a"])
    hot = world["hot"]
    with connect(fresh_database_url, autocommit=True) as c:
        order_id = c.execute("select id from dispatch_orders where case_id = %s", (hot,)).fetchone()[0]
    page = app_client.post(f"/team/orders/{order_id}/ack", headers=member)
    assert page.status_code == 200 and "调度指令已确认" in page.text
    with connect(fresh_database_url, autocommit=True) as c:
        assert c.execute("select state from dispatch_orders where id = %s", (order_id,)).fetchone()[0] == "acknowledged"
    steps = [("depart", "", "en_route"), ("arrive", "", "on_site"),
             ("investigate", "企业废气处理设施未开启,已责令整改", "investigated"),
             ("reply", "经查企业废气处理设施未运行,已责令立即整改并立案处罚", "replied")]
    for action, text, expected in steps:
        page = app_client.post(f"/team/cases/{hot}/act", data={"action": action, "text": text}, headers=member)
        assert page.status_code == 200 and 'class="error"' not in page.text, page.text
        assert _state(fresh_database_url, hot)[0] == expected
    with connect(fresh_database_url, autocommit=True) as c:
        findings = c.execute("select data->>'findings' from case_events where case_id = %s and kind = 'investigate'",
                             (hot,)).fetchone()[0]
    assert findings == "企业废气处理设施未开启,已责令整改"
    assert "焦化新村夜间异味" in page.text  # replied is still open: it stays on the list, without field actions


def test_refused_actions_show_the_domain_message_and_change_nothing(app_client, make_user, world, fresh_database_url):
    member = make_user("team_member", team_id=world["team_a"])
    hot = world["hot"]
    page = app_client.post(f"/team/cases/{hot}/act", data={"action": "reply", "text": "好了"}, headers=member)
    assert "不能「答复」" in page.text and _state(fresh_database_url, hot)[0] == "assigned"
    stranger = make_user("team_member", team_id=world["team_b"])
    page = app_client.post(f"/team/cases/{hot}/act", data={"action": "depart"}, headers=stranger)
    assert "只有承办执法队" in page.text and _state(fresh_database_url, hot)[0] == "assigned"
    page = app_client.post(f"/team/cases/{hot}/escalate", data={"reason": "  "}, headers=member)
    assert "必须写明" in page.text and _state(fresh_database_url, hot)[1] == 1
    assert app_client.post(f"/team/cases/{hot}/act", data={"action": "depart"}, headers=make_user("intake")).status_code == 403


def test_escalate_from_the_team_page_moves_the_case_up_and_the_case_page_shows_it(app_client, make_user, world,
                                                                                 fresh_database_url):
    member = make_user("team_member", team_id=world["team_a"])
    hot = world["hot"]
    page = app_client.post(f"/team/cases/{hot}/escalate", data={"reason": "需要环境监测站采样,本队无设备"}, headers=member)
    assert "已提级至科室负责人" in page.text and _state(fresh_database_url, hot)[1] == 2
    chief_view = app_client.get(f"/cases/{hot}", headers=make_user("section_chief")).text
    assert "提级记录" in chief_view and "需要环境监测站采样,本队无设备" in chief_view and "科室负责人" in chief_view
    member_view = app_client.get(f"/cases/{hot}", headers=member).text
    assert "提级记录" not in member_view


def test_kpi_page_has_table_and_chart_per_team(app_client, make_user, world):
    month = world["now"].strftime("%Y-%m")
    page = app_client.get("/kpi", params={"month": month}, headers=make_user("director"))
    assert page.status_code == 200
    table = page.text.split('id="kpi-table"')[1].split("</table>")[0]
    assert "西区执法队" in table and "东区执法队" in table and "<td>2</td>" in table  # team A opened two cases
    chart = page.text.split("</table>")[-1]  # the figure's JSON, escaped (json) or not (orjson, plotly's "auto")
    assert (json.dumps("西区执法队") in chart or '"西区执法队"' in chart) and "/assets/plotly.min.js" in page.text
    assert app_client.get("/kpi", params={"month": "2026-13"}, headers=make_user("director")).status_code == 422
    assert app_client.get("/kpi", params={"month": "bad"}, headers=make_user("director")).status_code == 422


def test_receipt_shows_own_complaint_masked_and_unknown_token_is_404(app_client, world):
    page = app_client.get(f"/receipt/{TOKEN}")
    assert page.status_code == 200
    html = page.text
    assert "晚上有刺鼻气味,窗户都不敢开" in html and MASKED_NAME in html and MASKED_PHONE in html
    assert "已交办" in html and "满意度评价" not in html  # not replied yet: no vote form
    _no_identity(html)
    for who in ("intake", "li", "chen"):
        assert f">{who}<" not in html
    assert app_client.get("/receipt/no-such-token").status_code == 404


def test_unsatisfied_receipt_vote_reopens_the_case(app_client, world, fresh_database_url):
    hot, now = world["hot"], world["now"]
    with connect(fresh_database_url, autocommit=True) as c:
        for action in ("arrive", "investigate"):
            lifecycle.transition(c, hot, action, actor="li", role="team_member", now=now, actor_team_id=world["team_a"])
        lifecycle.transition(c, hot, "reply", actor="li", role="team_member", now=now, actor_team_id=world["team_a"],
                             reason="已责令企业停产整改")
    page = app_client.get(f"/receipt/{TOKEN}")
    assert "已责令企业停产整改" in page.text and "满意度评价" in page.text
    bad = app_client.post(f"/receipt/{TOKEN}/vote", data={"verdict": "meh"})
    assert bad.status_code == 422 and "verdict must be one of" in bad.text
    page = app_client.post(f"/receipt/{TOKEN}/vote", data={"verdict": "unsatisfied", "comment": "晚上还是有味道"})
    assert page.status_code == 200 and "已重新交办" in page.text
    _no_identity(page.text)
    assert _state(fresh_database_url, hot)[0] == "reopened"
    with connect(fresh_database_url, autocommit=True) as c:
        assert c.execute("select count(*) from ledger_entries where case_id = %s and ledger = 'unsatisfied' "
                         "and resolved_at is null", (hot,)).fetchone()[0] == 1
        assert c.execute("select via from satisfaction_votes where case_id = %s", (hot,)).fetchone()[0] == "receipt"
    assert app_client.post("/receipt/no-such-token/vote", data={"verdict": "satisfied"}).status_code == 404


@pytest.mark.parametrize(("used", "band"), [(None, ""), (0, "u0"), (49.9, "u0"), (50, "u50"), (79, "u50"), (80, "u80"),
                                            (100, "u100"), (149, "u100"), (150, "u150"), (9000, "u150")])
def test_used_share_colour_bands(used, band):
    assert dq.used_class(used) == band


@pytest.mark.parametrize(("hours_past", "text"), [(-1, ""), (0, "超期 0 小时"), (5, "超期 5 小时"), (47, "超期 47 小时"),
                                                  (48, "超期 2 天"), (24 * 9 + 3, "超期 9 天")])
def test_overdue_text(hours_past, text):
    now = local_now()
    assert dq.overdue_text(now - timedelta(hours=hours_past), now) == text


@pytest.mark.parametrize(("state", "role", "actions"), [
    ("assigned", "team_member", ["depart", "arrive", "return"]),
    ("en_route", "team_member", ["arrive", "return"]),
    ("on_site", "team_member", ["investigate", "return"]),
    ("investigated", "team_member", ["reply"]),
    ("replied", "team_member", []),
    ("assigned", "intake", ["return"]),
])
def test_field_actions_follow_the_transition_table(state, role, actions):
    assert dq.actions_for(state, role) == actions


def test_board_filters_apply_to_the_ledgers(app_client, make_user, world, fresh_database_url):
    hot, now = world["hot"], world["now"]
    with connect(fresh_database_url, autocommit=True) as c:
        for action in ("arrive", "investigate", "reply"):
            lifecycle.transition(c, hot, action, actor="li", role="team_member", now=now, actor_team_id=world["team_a"])
        followup.vote(c, hot, "unsatisfied", via="staff", now=now, actor="intake", comment="夜里仍有异味")
    chief = make_user("section_chief")

    def unsatisfied(params: dict[str, Any]) -> str:
        return app_client.get("/board", params=params, headers=chief).text.split("不满意台账")[1]

    assert "夜里仍有异味" in unsatisfied({}) and "夜里仍有异味" in unsatisfied({"level": 1})
    assert "夜里仍有异味" not in unsatisfied({"level": 2})
    assert "夜里仍有异味" not in unsatisfied({"team": world["team_b"]})

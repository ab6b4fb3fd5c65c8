"""The intake seat sees why each label was given and corrects it; the case page takes corrections too (Chromium)."""

import shapely

from envpetition import auth
from envpetition.areas import Area, save_area
from envpetition.db import connect
from envpetition.runtime import local_now


def _seed(url):
    with connect(url, autocommit=True) as c:
        now = local_now()
        auth.create_user(c, "seat", "browser-pass-1", "intake", display_name="王坐席")
        save_area(c, Area("community", "焦化新村", shapely.box(117.80, 30.94, 117.81, 30.95)), now=now)
        save_area(c, Area("grid", "第一网格", shapely.box(117.79, 30.93, 117.82, 30.96), attributes={"team": "执法一队"}),
                  now=now)
        c.execute("insert into teams (name) values ('执法一队')")


def _login(page, server):
    page.goto(server + "/intake")
    page.fill("input[name=username]", "seat")
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(server + "/intake")
    page.wait_for_selector("form.intake")


def test_intake_shows_why_and_takes_a_correction(browser, live_server, fresh_database_url, tmp_path):
    _seed(fresh_database_url)
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    _login(page, live_server)
    page.fill("textarea[name=text]", "楼下饭店油烟直排，熏得窗户都不敢开")
    page.fill("input[name=lon]", "117.805")
    page.fill("input[name=lat]", "30.945")
    page.click("form.intake button[type=submit]")
    why = page.wait_for_selector("section.why")
    text = why.inner_text()
    assert "why this label" in text and "餐饮油烟" in text
    assert "油烟" in page.inner_text("section.why .lexicon")     # the lexicon term that matched
    assert page.inner_text("section.why .ngrams").strip() not in ("", "—")  # the n-grams that weighed most
    assert page.is_checked("form.labels input[value=cooking_fumes]")
    # the seat says it is also an odour complaint, and urgent
    page.check("form.labels input[value=odour]")
    page.select_option("form.labels select[name=priority]", "urgent")
    page.fill("form.labels input[name=note]", "居民反映气味")
    page.click("form.labels button[type=submit]")
    page.wait_for_selector("p.ok")
    assert "correction saved" in page.inner_text("body")
    assert "seat" in page.inner_text("section.why .corrections")
    with connect(fresh_database_url) as c:
        complaint_id, cats, priority, case_id = c.execute(
            "select id, categories, priority, case_id from complaints").fetchone()
        label = c.execute("select source, categories, priority, actor, note from classification_labels").fetchone()
    assert cats == ["odour", "cooking_fumes"] and priority == "urgent"
    assert label == ("correction", ["odour", "cooking_fumes"], "urgent", "seat", "居民反映气味")
    # the case page shows the same reasons and its own form, which returns to the case
    page.goto(f"{live_server}/cases/{case_id}")
    page.wait_for_selector(f"#why-{complaint_id} form.labels")
    page.uncheck(f"#why-{complaint_id} form.labels input[value=odour]")
    page.click(f"#why-{complaint_id} form.labels button[type=submit]")
    page.wait_for_selector("p.ok")
    assert page.url.startswith(f"{live_server}/cases/{case_id}")
    with connect(fresh_database_url) as c:
        assert c.execute("select count(*) from classification_labels").fetchone()[0] == 2
        assert c.execute("select categories from complaints").fetchone()[0] == ["cooking_fumes"]
    page.screenshot(path=str(tmp_path / "labels.png"), full_page=True)
    outside = [u for u in requests if not u.startswith((live_server, "data:", "blob:"))]  # MapLibre's worker is a blob
    assert outside == [], "every asset must come from the app itself"


def test_a_correction_that_breaks_the_rules_is_refused_on_the_page(app_client, make_user, fresh_database_url):
    _seed(fresh_database_url)
    seat = make_user("intake")
    page = app_client.post("/intake", headers=seat, data={"channel": "12369", "text": "广场舞音响太吵",
                                                            "lon": "117.805", "lat": "30.945"})
    assert "why this label" in page.text
    with connect(fresh_database_url) as c:
        (complaint_id,) = c.execute("select id from complaints").fetchone()
    refused = app_client.post(f"/complaints/{complaint_id}/labels", headers=seat,
                              data={"categories": ["other", "noise_social"], "priority": "normal"})
    assert refused.status_code == 200 and "other cannot be combined" in refused.text
    assert app_client.post(f"/complaints/{complaint_id}/labels", headers=make_user("team_member"),
                           data={"categories": ["water"], "priority": "normal"}).status_code == 403
    api = app_client.post(f"/api/complaints/{complaint_id}/labels", headers=seat,
                          json={"categories": ["noise_social"], "priority": "urgent"})
    assert api.status_code == 201
    why = app_client.get(f"/api/complaints/{complaint_id}/labels", headers=seat).json()
    assert why["priority"] == "urgent" and why["corrections"][0]["categories"] == ["noise_social"]

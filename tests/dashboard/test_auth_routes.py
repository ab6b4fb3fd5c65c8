def test_login_me_and_role_check(app_client, fresh_database_url):
    from envpetition import auth
    from envpetition.db import connect

    with connect(fresh_database_url, autocommit=True) as c:
        auth.create_user(c, "wang", "a-good-password", "section_chief")
    bad = app_client.post("/api/login", data={"username": "wang", "password": "nope-nope"})
    assert bad.status_code == 401
    ok = app_client.post("/api/login", data={"username": "wang", "password": "a-good-password"})
    assert ok.status_code == 200 and ok.json()["role"] == "section_chief"
    headers = {"Authorization": f"Bearer {ok.json()['access_token']}"}
    assert app_client.get("/api/me", headers=headers).json()["role_label"] == "科室负责人"


def test_api_needs_login(app_client):
    assert app_client.get("/api/cases").status_code == 401
    assert app_client.get("/api/health").json()["status"] == "ok"


def test_home_page_serves_map_and_plotly_locally(app_client, make_user):
    app_client.cookies.clear()
    assert app_client.get("/", follow_redirects=False).status_code == 303
    headers = make_user("director")
    page = app_client.get("/", headers=headers)
    assert page.status_code == 200 and "热点" in page.text and "/assets/plotly.min.js" in page.text
    js = app_client.get("/assets/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000

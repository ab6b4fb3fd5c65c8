"""In a real browser: the login form works with its CSRF token, and a posting form that forgot the field still works."""

from envpetition import auth
from envpetition.db import connect


def test_a_form_without_the_csrf_field_still_posts_its_token(browser, live_server, fresh_database_url):
    with connect(fresh_database_url, autocommit=True) as c:
        auth.create_user(c, "seat", "browser-pass-1", "intake", display_name="王坐席")
    page = browser.new_page()
    page.goto(live_server + "/login")
    # As a form from another branch that lacks {{ csrf_field() }}: base.html's script adds the token on submit.
    page.evaluate("document.querySelector('form.login input[name=csrf_token]').remove()")
    page.fill("input[name=username]", "seat")
    page.fill("input[name=password]", "browser-pass-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "王坐席" in page.inner_text("header"), page.content()[:500]
    # A forged cross-site login (no token, another origin) is refused.
    forged = page.request.post(live_server + "/login", form={"username": "seat", "password": "browser-pass-1"},
                               headers={"Origin": "http://127.0.0.1:1"}, max_redirects=0)
    assert forged.status == 403

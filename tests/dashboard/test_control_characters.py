"""NUL and other control characters are refused with a 422 that names the field, never a 500 (schemathesis' find)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("text", "field"), [
    ("化工厂\x00排臭气", ["body", "text"]),
    ("夜间\x1b[31m噪声", ["body", "text"]),
])
def test_control_characters_in_json_are_refused_naming_the_field(app_client, make_user, text, field):
    r = app_client.post("/api/complaints", headers=make_user("intake"), json={"text": "x", "address": "a", "name": "n",
                                                                              field[1]: text})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == field and "control character" in error["msg"]


def test_tab_and_newlines_are_text(app_client, make_user):
    r = app_client.post("/api/complaints", headers=make_user("intake"), json={"text": "第一行\r\n第二行\t有臭味"})
    assert r.status_code != 500 and "control character" not in r.text


def test_control_characters_in_forms_and_queries_are_refused(app_client, make_user):
    intake = make_user("intake")
    form = app_client.post("/open311/v2/requests.json", headers=intake, data={"description": "噪声\x00", "lat": "30.9"})
    assert form.status_code == 422 and form.json()["detail"][0]["loc"] == ["body", "description"]
    query = app_client.get("/open311/v2/requests.json", params={"service_code": "odour\x00"})
    assert query.status_code == 422 and query.json()["detail"][0]["loc"] == ["query", "service_code"]
    nested = app_client.post("/api/dispatch/listed-cases", headers=make_user("director"),
                             json={"title": "t", "items": [{"kind": "checklist", "title": "a\x00b"}]})
    assert nested.status_code == 422 and nested.json()["detail"][0]["loc"] == ["body", "items", "0", "title"]

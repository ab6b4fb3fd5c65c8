"""Identity typed into the complaint text: masked everywhere but the intake seat and the own receipt; access logged."""

from __future__ import annotations

from typing import Any

import pytest

from envpetition.db import connect
from ingest.areas_import import import_areas
from ingest.privacy import mask_text

from .conftest import CITY_FEATURES, NOW, write_geojson

TEXT = "我叫李四，电话13912345678，身份证340702199001011234，邮箱lisi@example.com，东湖小区旁化工厂半夜排臭气"
SECRETS = ("李四", "13912345678", "340702199001011234", "lisi@example.com")


@pytest.mark.parametrize(("text", "shown", "hidden"), [
    ("我叫张三，电话13812345678", "我叫张*，电话138****5678", "张三"),
    ("本人王小明住在东湖小区", "本人王**住在东湖小区", "王小明"),
    ("联系人：赵女士 0562-2812345", "联系人：赵** 056****2345", "2812345"),
    ("姓名是欧阳娜娜。", "姓名是欧***。", "欧阳娜娜"),
    ("身份证34070219900101123X", "身份证3407************3X", "199001011"),
    ("请回复 zhang.san@qq.com", "请回复 z***@qq.com", "zhang.san"),
    ("手机 +86 139 1234 5678", "手机 139****5678", "1234 5678"),
])
def test_identity_in_text_is_masked(text: str, shown: str, hidden: str) -> None:
    masked = mask_text(text)
    assert masked == shown and hidden not in (masked or "")


@pytest.mark.parametrize("text", ["本人反映化工厂夜间排放", "本人住在铜陵", "订单号2024011234567890", "坐标117.81234,30.90567",
                                  "本人是这个小区的居民"])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert mask_text(text) == text


@pytest.fixture
def filed(app_client: Any, fresh_database_url: str, tmp_path: Any, make_user: Any) -> dict[str, Any]:
    with connect(fresh_database_url, autocommit=True) as conn:
        import_areas(conn, write_geojson(tmp_path / "city.geojson", CITY_FEATURES), now=NOW)
    intake = make_user("intake", username="seat1")
    response = app_client.post("/api/complaints", headers=intake, json={
        "text": TEXT, "lon": 117.805, "lat": 30.905, "name": "李四", "phone": "13912345678"})
    assert response.status_code == 201, response.text
    return {"intake": intake, **response.json()}


def _leaks(body: str) -> list[str]:
    return [secret for secret in SECRETS if secret in body]


def test_no_view_but_intake_shows_identity_in_text(app_client: Any, filed: dict[str, Any], make_user: Any) -> None:
    team, director = make_user("team_member"), make_user("director")
    complaint, case_id = filed["complaint_id"], filed["case_id"]
    views = {
        "open311 one": app_client.get(f"/open311/v2/requests/{complaint}.json"),
        "open311 list": app_client.get("/open311/v2/requests.json"),
        "complaint api, team": app_client.get(f"/api/complaints/{complaint}", headers=team),
        "case api, director": app_client.get(f"/api/dispatch/cases/{case_id}", headers=director),
        "case page, team": app_client.get(f"/cases/{case_id}", headers=team),
        "receipt api": app_client.get(f"/api/receipts/{filed['receipt_token']}"),
    }
    for name, response in views.items():
        assert response.status_code == 200, (name, response.text)
        if name != "receipt api":  # the complainant's own text is theirs; only name and phone fields are masked
            assert _leaks(response.text) == [], name
    assert "李*" in views["open311 one"].json()[0]["description"]
    receipt = views["receipt api"].json()
    assert receipt["complainant"] == {"name": "李*", "phone": "139****5678"} and receipt["text"] == TEXT
    # The intake seat sees it all, and that view is logged.
    seat = app_client.get(f"/api/complaints/{complaint}", headers=filed["intake"]).json()
    assert seat["text"] == TEXT and seat["complainant"]["phone"] == "13912345678"


def test_each_unmasked_view_is_in_the_access_log_for_the_director(app_client: Any, filed: dict[str, Any],
                                                                  make_user: Any) -> None:
    complaint = filed["complaint_id"]
    app_client.get(f"/api/complaints/{complaint}", headers=filed["intake"])
    app_client.get(f"/api/complaints/{complaint}", headers=make_user("team_member"))  # masked: not logged
    director = make_user("director")
    log = app_client.get("/api/identity-access-log", headers=director, params={"complaint_id": complaint})
    assert log.status_code == 200, log.text
    (line,) = log.json()
    assert line["username"] == "seat1" and line["role"] == "intake" and line["complaint_id"] == complaint and line["at"]
    for role in ("team_member", "intake", "deputy_director"):
        assert app_client.get("/api/identity-access-log", headers=make_user(role)).status_code == 403

"""The monitoring page without a browser: defaults, bad choices answered with the reason, labels in Chinese."""

from __future__ import annotations

from typing import Any

from tests.dashboard.test_maps_browser import _city


def test_defaults_and_bad_choices(app_client: Any, make_user: Any, fresh_database_url: str) -> None:
    headers = make_user("monitoring")
    empty = app_client.get("/monitoring", headers=headers)
    assert empty.status_code == 200 and "暂无监测点" in empty.text
    _city(fresh_database_url)
    page = app_client.get("/monitoring", headers=headers)
    assert page.status_code == 200
    assert 'value="S01" checked' in page.text  # the first fixed monitor when none is chosen
    assert "硫化氢 H₂S hydrogen sulphide" in page.text and "a21028:1h" not in page.text
    mixed = app_client.get("/monitoring?sensor=S01&sensor=M01&pollutant=a21028", headers=headers)
    assert "M01 不测此因子" in mixed.text
    unknown = app_client.get("/monitoring?sensor=S99", headers=headers)
    assert unknown.status_code == 422 and "S99" in unknown.json()["detail"]
    wrong = app_client.get("/monitoring?sensor=S02&pollutant=a21001", headers=headers)
    assert wrong.status_code == 422 and "a21001" in wrong.json()["detail"]
    assert app_client.get("/monitoring?bucket=7+minutes", headers=headers).status_code == 422

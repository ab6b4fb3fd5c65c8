"""Operators' corrections and a bureau's labelled history become training labels, and training uses them."""

from __future__ import annotations

import json

import pytest

from envpetition.errors import InvalidInput
from ingest.classifier_model import Model, ModelClassifier
from ingest.corrections import corrections_of, import_history, record_correction, training_labels
from ingest.training import Labelled, fit

from .conftest import HEADER_12369, NOW, run_import, write_csv


def _one_complaint(conn, ctx, tmp_path, text="小区楼下有股怪怪的东西"):
    path = write_csv(tmp_path / "one.csv", HEADER_12369,
                     [f"K-1,2026-10-10 08:00,张三,13800000000,,,117.8155,30.9052,,{text}"])
    _, results = run_import(conn, path, ctx)
    assert results[0].status == "accepted"
    return results[0]


def test_import_records_the_model_version(conn, ctx, tmp_path):
    result = _one_complaint(conn, ctx, tmp_path, "化工厂那边冒黄烟，好几个人喘不上气")
    version, priority = conn.execute("select model_version, priority from complaints where id = %s",
                                     (result.complaint_id,)).fetchone()
    assert version == ctx.classifier.version and len(version) == 12
    assert priority == "emergency"


def test_correction_is_stored_applied_and_becomes_a_training_label(conn, ctx, tmp_path):
    result = _one_complaint(conn, ctx, tmp_path)
    label_id = record_correction(conn, result.complaint_id, categories=["water", "odour"], priority="urgent",
                                 actor="seat1", now=NOW, note="其实是排水沟")
    assert label_id > 0
    cats, priority, urgent = conn.execute("select categories, priority, urgent from complaints where id = %s",
                                          (result.complaint_id,)).fetchone()
    assert cats == ["odour", "water"] and priority == "urgent" and urgent is True
    (stored,) = corrections_of(conn, result.complaint_id)
    assert stored["categories"] == ["odour", "water"] and stored["predicted_categories"] == result.categories
    assert stored["model_version"] == ctx.classifier.version and stored["actor"] == "seat1"
    # a second correction of the same complaint replaces the first as a training label
    record_correction(conn, result.complaint_id, categories=["water"], priority="normal", actor="seat2", now=NOW)
    mine = [lab for lab in training_labels(conn) if lab.text == "小区楼下有股怪怪的东西"]
    assert mine == [Labelled("小区楼下有股怪怪的东西", frozenset({"water"}), "normal", "correction")]


@pytest.mark.parametrize("categories, priority, message", [
    ([], "normal", "至少"),
    (["smell"], "normal", "unknown categories"),
    (["other", "water"], "normal", "other cannot"),
    (["water"], "soon", "unknown priority"),
])
def test_bad_corrections_are_refused(conn, ctx, tmp_path, categories, priority, message):
    result = _one_complaint(conn, ctx, tmp_path)
    with pytest.raises(InvalidInput, match=message):
        record_correction(conn, result.complaint_id, categories=categories, priority=priority, actor="x", now=NOW)


def test_history_import_maps_labels_reports_unmapped_and_is_idempotent(conn, tmp_path):
    path = write_csv(tmp_path / "history.csv", "工单编号,受理时间,诉求内容,事项分类,紧急程度", [
        "H1,2025-01-01 08:00,楼下饭店油烟很大,环境保护-餐饮油烟,一般",
        "H2,2025-01-02 08:00,河里死鱼一片,水污染,特急",
        "H3,2025-01-03 08:00,工地夜里打桩,建筑施工噪声/扬尘,急",
        "H4,2025-01-04 08:00,有个东西,城市管理,",
        "H5,2025-01-05 08:00,,水污染,",
    ])
    summary = import_history(conn, path, actor="cli", now=NOW)
    assert summary.as_dict() == {"rows": 5, "imported": 3, "already": 0, "unmapped": {"城市管理": 1},
                                 "skipped": {"missing content": 1}}
    labels = {lab.text: lab for lab in training_labels(conn)}
    assert labels["河里死鱼一片"] == Labelled("河里死鱼一片", frozenset({"water"}), "emergency", "history")
    assert labels["工地夜里打桩"].categories == {"noise_construction", "smoke_dust"}
    assert import_history(conn, path, actor="cli", now=NOW).as_dict()["already"] == 3


def test_history_without_a_category_column_is_refused(conn, tmp_path):
    path = write_csv(tmp_path / "h.csv", "工单编号,诉求内容", ["H1,油烟"])
    with pytest.raises(InvalidInput, match="category column"):
        import_history(conn, path, actor="cli", now=NOW)


def test_training_uses_the_corrections():
    base = [Labelled(t, frozenset({c}), "normal") for t, c in [
        ("饭店油烟很大", "cooking_fumes"), ("烧烤油烟熏人", "cooking_fumes"), ("油烟直排", "cooking_fumes"),
        ("工地噪音", "noise_construction"), ("打桩声音大", "noise_construction"), ("工地机器响", "noise_construction"),
        ("河水发黑", "water"), ("往河里排污水", "water"), ("河里有污水", "water"),
    ] * 3]
    text = "蓝色的泡泡从沟里冒出来"
    correction = [Labelled(text, frozenset({"water"}), "normal", "correction")] * 1
    before = ModelClassifier(Model.from_dict(json.loads(fit(base).to_json())))
    after = ModelClassifier(Model.from_dict(json.loads(fit([*base, *correction]).to_json())))
    assert before.classify(text).probabilities["water"] < after.classify(text).probabilities["water"]

"""Classifier rules (parametrised), editable lexicons, and the held-out evaluation set."""

from __future__ import annotations

import shutil

import pytest

from ingest.classify import CATEGORIES, Classifier, default_classifier
from ingest.evaluate import default_lexicon_dir_text, evaluate, load_eval_set


@pytest.mark.parametrize("text, categories, priority", [
    ("小区旁边的化工厂排放废气，气味刺鼻", ["odour", "industrial_exhaust"], "normal"),
    ("工地夜间施工噪音太大，凌晨两点还在打桩", ["noise_construction"], "urgent"),
    ("施工扬尘严重，渣土车未覆盖", ["smoke_dust"], "normal"),          # 施工 without a noise word is not noise
    ("河里出现大量死鱼，水面发黑", ["water"], "urgent"),
    ("楼下饭店油烟直排", ["cooking_fumes"], "normal"),
    ("没有异味，但是广场舞音响太吵", ["noise_social"], "normal"),      # negated odour
    ("厂里机器声音很大", ["noise_industrial"], "normal"),             # generic noise + enterprise context below
    ("槽罐车泄漏，有人晕倒", ["other"], "emergency"),
    ("污水处理厂散发恶臭", ["odour"], "normal"),                        # facility name is masked
    ("请核实一下上次的答复", ["other"], "normal"),                      # 核实 is not 核辐射
    ("自来水有股怪味", ["odour", "water"], "emergency"),
])
def test_classify_table(text, categories, priority):
    result = default_classifier().classify(text, enterprise_involved="厂" in text)
    assert result.categories == categories
    assert result.priority == priority
    assert result.urgent is (priority != "normal")


def test_night_signal_needs_a_noise_category():
    assert default_classifier().classify("晚上闻到臭味").signals == []
    assert default_classifier().classify("晚上广场舞噪音").signals == ["night_noise"]


def test_bureau_can_edit_the_lexicon(tmp_path):
    folder = tmp_path / "lexicon"
    shutil.copytree(default_lexicon_dir_text(), folder, ignore=shutil.ignore_patterns("eval"))
    assert Classifier(folder).classify("尾矿库渗漏").categories == ["other"]
    with (folder / "categories.csv").open("a", encoding="utf-8") as handle:
        handle.write("water,尾矿库渗漏,\n")
    assert Classifier(folder).classify("尾矿库渗漏").categories == ["water"]


def test_unknown_category_in_lexicon_is_refused(tmp_path):
    folder = tmp_path / "lexicon"
    shutil.copytree(default_lexicon_dir_text(), folder, ignore=shutil.ignore_patterns("eval"))
    with (folder / "categories.csv").open("a", encoding="utf-8") as handle:
        handle.write("smells,臭,\n")
    with pytest.raises(ValueError, match="smells"):
        Classifier(folder)


def test_eval_set_is_big_varied_and_apart_from_the_lexicon():
    rows = load_eval_set()
    assert len(rows) >= 150
    for category in CATEGORIES:
        assert sum(category in r["categories"] for r in rows) >= 5, category
    lexicon = (default_lexicon_dir_text() / "categories.csv").read_text(encoding="utf-8")
    assert not any(r["text"][:12] in lexicon for r in rows)


def test_evaluation_reports_every_category():
    report = evaluate()
    assert set(report["per_category"]) == set(CATEGORIES) and report["n"] >= 150
    assert 0 < report["micro_precision"] <= 1 and 0 < report["micro_recall"] <= 1


@pytest.mark.parametrize("text, hint, expected", [
    ("请尽快处理", "dust", ["smoke_dust"]),
    ("请尽快处理", "water", ["water"]),
    ("请尽快处理", "噪音", ["noise_social"]),
    ("请尽快处理", "nonsense", ["other"]),
    ("楼下烧烤油烟很大", "water", ["cooking_fumes"]),  # the text wins over the form's choice
])
def test_form_category_is_a_fallback_only(text, hint, expected):
    assert default_classifier().classify(text, hint=hint).categories == expected

"""The shipped trained model: reads complaints as people write them, explains itself, batches."""

from __future__ import annotations

import json

import pytest

from ingest.classifier_model import (
    Model,
    ModelClassifier,
    default_model_classifier,
    default_model_path,
    file_version,
)


@pytest.fixture(scope="module")
def model():
    return default_model_classifier()


@pytest.mark.parametrize("text, expected, absent", [
    ("工地的土没盖，风一刮满天灰", {"smoke_dust"}, {"other"}),                          # no lexicon term: model
    ("晚上开着排风扇往外抽，油漆味特别冲", {"odour"}, {"other"}),                        # the spray shop
    ("揚塵太大了，窗户都不敢开", {"smoke_dust"}, set()),                                   # traditional characters
    ("楼下饭店油咽直排", {"cooking_fumes"}, set()),                                      # typo
    ("工地躁音吵死了", {"noise_construction"}, set()),                                    # homophone
    ("不是油烟的问题，是后厨的排风机半夜嗡嗡响", {"noise_social"}, {"cooking_fumes"}),  # negation
    ("油烟机厂小区门口有人倒建筑垃圾", {"solid_waste"}, {"cooking_fumes"}),              # place name
    ("请问排污许可证怎么办理", {"other"}, set()),
])
def test_categories(model, text, expected, absent):
    got = set(model.classify(text).categories)
    assert expected <= got, got
    assert not absent & got, got


@pytest.mark.parametrize("text, priority", [
    ("化工厂那边冒黄烟，我们好几个人呛得喘不上气", "emergency"),
    ("河里漂了一层死鱼", "emergency"),
    ("家里的自来水一股汽油味", "emergency"),
    ("烟大得像着火了一样，天天烧垃圾", "normal"),        # a simile is not a fire
    ("住院部后面的垃圾桶满了没人清", None),               # a building, nobody hospitalised: not emergency
    ("工地凌晨一点还在打桩", "urgent"),
])
def test_priority(model, text, priority):
    result = model.classify(text)
    if priority is None:
        assert result.priority != "emergency"
    else:
        assert result.priority == priority, (result.priority, result.rule_reasons, result.priority_probabilities)


def test_uncertain_emergency_goes_to_a_person_not_normal(model):
    result = model.classify("闻了那个味以后头晕，孩子们都说难受")
    assert result.priority != "normal"
    assert result.review and "请人工确认" in result.review


def test_batch_equals_one_by_one(model):
    texts = ["河里有死鱼", "广场舞太吵", "工地扬尘", "不是噪音的事，是臭味", ""]
    batch = model.classify_many(texts)
    single = [model.classify(t) for t in texts]
    assert [(b.categories, b.priority, b.review) for b in batch] == [(s.categories, s.priority, s.review) for s in single]


def test_explanation_names_lexicon_terms_and_ngrams(model):
    why = model.explain("楼下饭店油烟直排，熏得窗户都不敢开")
    labels = {label["category"]: label for label in why["labels"]}
    assert "cooking_fumes" in labels
    assert "油烟" in labels["cooking_fumes"]["lexicon"]
    assert labels["cooking_fumes"]["ngrams"]  # the n-grams that pushed the label
    assert why["model_version"] == file_version(default_model_path())


def test_version_is_the_file_hash_and_a_mismatched_lexicon_is_refused(tmp_path):
    model = Model.load()
    assert model.version == file_version(default_model_path()) and len(model.version) == 12
    data = json.loads(default_model_path().read_text(encoding="utf-8"))
    data["extra_features"] = data["extra_features"][:-1]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        ModelClassifier(Model.load(path))

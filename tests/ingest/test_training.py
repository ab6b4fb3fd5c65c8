"""Training is deterministic (same rows, same file hash) and the shipped model is what the corpus trains."""

from __future__ import annotations

import csv
import json

import pytest

from ingest.classifier_model import Model, default_model_path, file_version
from ingest.model_store import promote, train_versioned
from ingest.training import corpus_rows, read_labelled, train


def _small_corpus(folder):
    folder.mkdir()
    rows = corpus_rows()
    with (folder / "handwritten.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["text", "categories", "priority"])
        for r in rows[::20]:
            out.writerow([r.text, ";".join(sorted(r.categories)), r.priority])
    return folder


def test_training_twice_gives_the_same_file(tmp_path):
    corpus = _small_corpus(tmp_path / "corpus")
    first = train(corpus_folder=corpus).to_json()
    second = train(corpus_folder=corpus).to_json()
    assert first == second
    model = Model.from_dict(json.loads(first))
    assert set(model.thresholds) == set(model.categories) and 0 < model.priority_thresholds["emergency"] < 1


def test_read_labelled_refuses_bad_labels(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,categories,priority\n噪音,noise,normal\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        read_labelled(path)
    path.write_text("text,categories,priority\n噪音,noise_social|odour,urgent\n", encoding="utf-8")
    assert read_labelled(path)[0].categories == {"noise_social", "odour"}   # | as in the 158-row set


def test_promotion_needs_the_frozen_set_and_a_model_at_least_as_good(tmp_path):
    active = tmp_path / "active.json"
    active.write_bytes(default_model_path().read_bytes())
    same = tmp_path / "classifier-same.json"
    same.write_bytes(active.read_bytes())
    assert "already" in promote(same, active=active, eval_path=tmp_path / "none.csv")["decision"]
    weaker = Model.load(default_model_path())
    weaker.category_weights[:] = 0.0      # every category equally likely: it says odour to everything
    weak_path = tmp_path / "classifier-weak.json"
    weaker.save(weak_path)
    assert promote(weak_path, active=active, eval_path=tmp_path / "none.csv")["promoted"] is False  # no frozen set
    eval_path = tmp_path / "eval.csv"
    eval_path.write_text("text,categories,priority\n楼下饭店油烟直排,cooking_fumes,normal\n"
                         "河里好多死鱼,water,emergency\n工地凌晨打桩,noise_construction,urgent\n", encoding="utf-8")
    verdict = promote(weak_path, active=active, eval_path=eval_path)
    assert verdict["promoted"] is False and file_version(active) == file_version(default_model_path())
    assert promote(weak_path, active=tmp_path / "fresh.json", eval_path=eval_path)["promoted"] is True


@pytest.mark.slow
def test_the_corpus_retrains_the_shipped_model_byte_for_byte(tmp_path):
    path = train_versioned(out_dir=tmp_path)
    assert file_version(path) == file_version(default_model_path()), "retrain, or commit the retrained active.json"
    assert path.name == f"classifier-{file_version(default_model_path())}.json"

"""Versioned model files and the rule that a new model replaces the active one only if it is at least as good.

``train_versioned`` writes ``classifier-<version>.json`` (version = first 12 hex digits of the
file's SHA-256). ``promote`` scores the candidate and the active model on the frozen evaluation
set and copies the candidate over ``active.json`` only when its macro-F1 and its emergency recall
are both at least the active model's. Without the frozen set nothing is replaced.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ingest.classifier_model import Model, ModelClassifier, default_model_path, file_version
from ingest.eval_report import evaluate_model, frozen_eval_path
from ingest.training import Labelled, read_labelled, train


def train_versioned(extra: Sequence[Labelled] = (), *, out_dir: Path | None = None) -> Path:
    """Train and write ``classifier-<version>.json`` into ``out_dir`` (default: beside the active model)."""
    folder = Path(out_dir or default_model_path().parent)
    folder.mkdir(parents=True, exist_ok=True)
    model = train(extra)
    scratch = folder / "classifier-new.json.tmp"
    version = model.save(scratch)
    path = folder / f"classifier-{version}.json"
    scratch.replace(path)
    return path


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    return {"macro_f1": result["macro_f1"], "emergency_recall": result["priority_recall"]["emergency"]["recall"],
            "urgent_recall": result["priority_recall"]["urgent"]["recall"]}


def promote(candidate: Path, *, active: Path | None = None, eval_path: Path | None = None) -> dict[str, Any]:
    """Replace the active model by ``candidate`` if it is at least as good on the frozen set."""
    active = Path(active or default_model_path())
    eval_path = Path(eval_path or frozen_eval_path())
    new_version = file_version(candidate)
    if active.exists() and file_version(active) == new_version:
        return {"promoted": False, "decision": f"candidate {new_version} is the active model already (same bytes)"}
    if not eval_path.exists():
        if active.exists():
            return {"promoted": False, "decision": f"frozen set {eval_path} missing: active model kept"}
        shutil.copyfile(candidate, active)
        return {"promoted": True, "decision": "no active model: candidate installed without comparison"}
    rows = read_labelled(eval_path, source="eval")
    new = _summary(evaluate_model(ModelClassifier(Model.load(candidate)), rows))
    try:
        old = _summary(evaluate_model(ModelClassifier(Model.load(active)), rows)) if active.exists() else None
    except ValueError:  # trained on lexicon/rule features that no longer exist: it cannot run any more
        old = None
    better = old is None or ((new["macro_f1"] or 0) >= (old["macro_f1"] or 0)
                             and (new["emergency_recall"] or 0) >= (old["emergency_recall"] or 0))
    if better:
        shutil.copyfile(candidate, active)
    verdict = "promoted" if better else "kept the active model"
    return {"promoted": better, "candidate": new, "active": old,
            "decision": f"{verdict}: candidate {new_version} {new} vs active {old}"}

"""Score the trained classifier and the lexicon-only baseline on the frozen evaluation set, side by side.

The frozen set (``ingest/data/eval/frozen_eval.csv``: text, categories separated by ``;``,
priority) was written apart from the project, by the labelling rules of docs/ingest.md, and is
never used for training or tuning. Per category: precision, recall, F1; then macro-F1 (mean over the
categories present in the set), micro-F1, exact match, and recall per priority level. For
emergencies the report also counts those sent to a person (``review``) as caught-or-flagged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ingest.classifier_model import Model, ModelClassifier, Prediction
from ingest.classify import CATEGORIES, PRIORITIES, Classification, Classifier, default_classifier
from ingest.training import Labelled, read_labelled

TARGETS = {"macro_f1": 0.9, "emergency_recall": 0.95, "urgent_recall": 0.8}


def frozen_eval_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "eval" / "frozen_eval.csv"))


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def score(rows: Sequence[Labelled], predictions: Sequence[Classification]) -> dict[str, Any]:
    """Per-category P/R/F1, macro and micro F1, exact match, priority recall per level."""
    per: dict[str, Any] = {}
    tp_all = fp_all = fn_all = 0
    f1s: list[float] = []
    for category in CATEGORIES:
        tp = sum(1 for r, p in zip(rows, predictions, strict=True) if category in r.categories and category in p.categories)
        fp = sum(1 for r, p in zip(rows, predictions, strict=True) if category not in r.categories and category in p.categories)
        fn = sum(1 for r, p in zip(rows, predictions, strict=True) if category in r.categories and category not in p.categories)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
        if tp + fn:
            f1s.append(f1 or 0.0)
        per[category] = {"support": tp + fn, "precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
                         "f1": None if f1 is None else round(f1, 3)}
    recall: dict[str, Any] = {}
    for level in PRIORITIES:
        wanted = [p for r, p in zip(rows, predictions, strict=True) if r.priority == level]
        recall[level] = {"support": len(wanted), "recall": _ratio(sum(1 for p in wanted if p.priority == level), len(wanted))}
    emergencies = [p for r, p in zip(rows, predictions, strict=True) if r.priority == "emergency"]
    flagged = sum(1 for p in emergencies if p.priority == "emergency" or (isinstance(p, Prediction) and p.review))
    predicted_emergency = sum(1 for p in predictions if p.priority == "emergency")
    return {
        "n": len(rows), "per_category": per,
        "macro_f1": round(sum(f1s) / len(f1s), 3) if f1s else None,
        "micro_f1": round(2 * tp_all / (2 * tp_all + fp_all + fn_all), 3) if tp_all + fp_all + fn_all else None,
        "exact_match": _ratio(sum(1 for r, p in zip(rows, predictions, strict=True) if set(p.categories) == r.categories),
                              len(rows)),
        "priority_recall": recall,
        "emergency_caught_or_flagged": _ratio(flagged, len(emergencies)),
        "emergency_precision": _ratio(sum(1 for r, p in zip(rows, predictions, strict=True)
                                          if p.priority == "emergency" and r.priority == "emergency"), predicted_emergency),
        "sent_to_review": sum(1 for p in predictions if isinstance(p, Prediction) and p.review),
    }


def targets_met(result: dict[str, Any]) -> dict[str, bool]:
    recall = result["priority_recall"]
    return {"macro_f1": (result["macro_f1"] or 0) >= TARGETS["macro_f1"],
            "emergency_recall": (recall["emergency"]["recall"] or 0) >= TARGETS["emergency_recall"],
            "urgent_recall": (recall["urgent"]["recall"] or 0) >= TARGETS["urgent_recall"]}


def evaluate_model(classifier: ModelClassifier, rows: Sequence[Labelled]) -> dict[str, Any]:
    return score(rows, classifier.classify_many([r.text for r in rows]))


def evaluate_lexicon(lexicon: Classifier, rows: Sequence[Labelled]) -> dict[str, Any]:
    return score(rows, [lexicon.classify(r.text) for r in rows])


def run(eval_path: str | Path | None = None, *, model_path: str | Path | None = None,
        lexicon_dir: str | None = None) -> dict[str, Any]:
    """Both classifiers on one evaluation file."""
    path = Path(eval_path or frozen_eval_path())
    if not path.exists():
        raise FileNotFoundError(f"evaluation set {path} not found")
    rows = read_labelled(path, source="eval")
    model = Model.load(model_path)
    lexicon = Classifier(lexicon_dir) if lexicon_dir else default_classifier()
    result = evaluate_model(ModelClassifier(model, lexicon=lexicon), rows)
    return {"eval_file": str(path), "eval_sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:12],
            "model_version": model.version, "model": result, "baseline": evaluate_lexicon(lexicon, rows),
            "targets": TARGETS, "targets_met": targets_met(result)}


def _fmt(value: float | None) -> str:
    return "    -" if value is None else f"{value:5.3f}"


def format_report(report: dict[str, Any]) -> str:
    """The side-by-side table: model P/R/F1 and the lexicon baseline's, then the summary lines."""
    model, base = report["model"], report["baseline"]
    lines = [f"evaluation set {report['eval_file']} (sha256 {report['eval_sha256']}), n = {model['n']}; "
             f"model {report['model_version']}",
             f"{'category':<20}{'support':>8} | {'model P':>7}{'R':>7}{'F1':>7} | {'lexicon P':>9}{'R':>7}{'F1':>7}"]
    for category in CATEGORIES:
        m, b = model["per_category"][category], base["per_category"][category]
        lines.append(f"{category:<20}{m['support']:>8} | {_fmt(m['precision']):>7}{_fmt(m['recall']):>7}{_fmt(m['f1']):>7}"
                     f" | {_fmt(b['precision']):>9}{_fmt(b['recall']):>7}{_fmt(b['f1']):>7}")
    for key, label in (("macro_f1", "macro F1"), ("micro_f1", "micro F1"), ("exact_match", "exact match")):
        lines.append(f"{label:<29} | {_fmt(model[key]):>21} | {_fmt(base[key]):>23}")
    for level in PRIORITIES:
        m, b = model["priority_recall"][level], base["priority_recall"][level]
        lines.append(f"{'recall ' + level + ' (n=' + str(m['support']) + ')':<29} | {_fmt(m['recall']):>21} | "
                     f"{_fmt(b['recall']):>23}")
    lines.append(f"{'emergency caught or flagged':<29} | {_fmt(model['emergency_caught_or_flagged']):>21} | "
                 f"{_fmt(base['emergency_caught_or_flagged']):>23}")
    lines.append(f"{'emergency precision':<29} | {_fmt(model['emergency_precision']):>21} | "
                 f"{_fmt(base['emergency_precision']):>23}")
    lines.append(f"sent to a person (review): {model['sent_to_review']} of {model['n']}")
    met = report["targets_met"]
    lines.append("targets: " + ", ".join(f"{k} ≥ {report['targets'][k]}: {'met' if v else 'MISSED'}" for k, v in met.items()))
    return "\n".join(lines)

"""Per-category precision and recall of the classifier on a hand-labelled evaluation set.

The set (``ingest/data/eval/complaints_labelled.csv``: text, categories separated by ``|``,
priority) was written by hand as whole complaints, independently of the lexicon files: the
lexicon holds terms only, never these sentences, so the table measures generalisation.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from ingest.classify import CATEGORIES, Classifier, default_classifier


def default_lexicon_dir_text() -> Path:
    """The packaged lexicon folder (categories.csv, urgency.csv)."""
    return Path(str(resources.files("ingest") / "data"))


def eval_set_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "eval" / "complaints_labelled.csv"))


def load_eval_set(path: str | Path | None = None) -> list[dict[str, Any]]:
    with Path(path or eval_set_path()).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{"text": r["text"], "categories": set(filter(None, r["categories"].split("|"))),
             "priority": r.get("priority") or "normal"} for r in rows if r.get("text")]


def precision_recall(predicted: Sequence[set[str]], expected: Sequence[set[str]]) -> dict[str, Any]:
    """Per category: support, true/false positives, precision, recall, F1; plus micro averages."""
    table: dict[str, Any] = {}
    total_tp = total_fp = total_fn = 0
    for category in CATEGORIES:
        tp = sum(1 for p, e in zip(predicted, expected, strict=True) if category in p and category in e)
        fp = sum(1 for p, e in zip(predicted, expected, strict=True) if category in p and category not in e)
        fn = sum(1 for p, e in zip(predicted, expected, strict=True) if category not in p and category in e)
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
        precision = tp / (tp + fp) if tp + fp else None
        recall = tp / (tp + fn) if tp + fn else None
        f1 = 2 * precision * recall / (precision + recall) if precision and recall else None
        table[category] = {"support": tp + fn, "tp": tp, "fp": fp, "fn": fn,
                           "precision": None if precision is None else round(precision, 3),
                           "recall": None if recall is None else round(recall, 3),
                           "f1": None if f1 is None else round(f1, 3)}
    micro_p = total_tp / (total_tp + total_fp) if total_tp + total_fp else 0.0
    micro_r = total_tp / (total_tp + total_fn) if total_tp + total_fn else 0.0
    exact = sum(1 for p, e in zip(predicted, expected, strict=True) if p == e)
    return {"per_category": table, "micro_precision": round(micro_p, 3), "micro_recall": round(micro_r, 3),
            "exact_match": round(exact / len(expected), 3) if expected else None, "n": len(expected)}


def evaluate(lexicon_dir: str | None = None, eval_path: str | Path | None = None) -> dict[str, Any]:
    """Classify the evaluation set and score categories and priority."""
    classifier = Classifier(lexicon_dir) if lexicon_dir else default_classifier()
    rows = load_eval_set(eval_path)
    results = [classifier.classify(r["text"]) for r in rows]
    report = precision_recall([set(c.categories) for c in results], [r["categories"] for r in rows])
    priority_right = sum(1 for c, r in zip(results, rows, strict=True) if c.priority == r["priority"])
    urgent_expected = [r["priority"] != "normal" for r in rows]
    urgent_got = [c.urgent for c in results]
    tp = sum(1 for g, e in zip(urgent_got, urgent_expected, strict=True) if g and e)
    report["priority_accuracy"] = round(priority_right / len(rows), 3) if rows else None
    report["urgent_precision"] = round(tp / sum(urgent_got), 3) if sum(urgent_got) else None
    report["urgent_recall"] = round(tp / sum(urgent_expected), 3) if sum(urgent_expected) else None
    report["misses"] = [{"text": r["text"], "expected": sorted(r["categories"]), "got": c.categories}
                        for r, c in zip(rows, results, strict=True) if set(c.categories) != r["categories"]][:40]
    return report


def format_table(report: dict[str, Any]) -> str:
    """The precision/recall table as text."""
    lines = [f"{'category':<20}{'support':>8}{'precision':>11}{'recall':>8}{'F1':>7}"]
    for category, row in report["per_category"].items():
        def fmt(v: float | None) -> str:
            return "   -" if v is None else f"{v:.3f}"
        lines.append(f"{category:<20}{row['support']:>8}{fmt(row['precision']):>11}{fmt(row['recall']):>8}{fmt(row['f1']):>7}")
    lines.append(f"micro precision {report['micro_precision']:.3f}, micro recall {report['micro_recall']:.3f}, "
                 f"exact match {report['exact_match']}, n = {report['n']}")
    if "priority_accuracy" in report:
        lines.append(f"priority accuracy {report['priority_accuracy']}, urgent precision {report['urgent_precision']}, "
                     f"urgent recall {report['urgent_recall']}")
    return "\n".join(lines)

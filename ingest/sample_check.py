"""Compare an import of the sample complaints with sample_data/complaints/ground_truth.json."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest.batch import RowResult
from ingest.classify import CATEGORIES
from ingest.evaluate import precision_recall


def check_against_ground_truth(results: Iterable[RowResult], ground_truth: str | Path) -> dict[str, Any]:
    """Community hits, category precision/recall, duplicates and bad rows found, against the truth."""
    truth = json.loads(Path(ground_truth).read_text(encoding="utf-8"))["complaints"]
    by_key = {f"{r.channel}:{r.external_id}": r for r in results}
    community_total = community_right = 0
    wrong: list[dict[str, Any]] = []
    predicted: list[set[str]] = []
    expected: list[set[str]] = []
    dup_truth = dup_found = dup_linked = 0
    bad_truth = bad_caught = 0
    urgent_tp = urgent_fp = urgent_fn = 0
    fact_tp = fact_fp = fact_fn = 0  # urgency from facts only (night-time noise is ours, not the sample's)
    repeat_truth = repeat_flagged = repeat_extra = 0
    missing = 0
    for key, gt in truth.items():
        got = by_key.get(key)
        if got is None:
            missing += 1
            continue
        if gt.get("bad_row"):
            bad_truth += 1
            bad_caught += int(got.status == "quarantined" or (got.reason or "").startswith("date converted"))
        if got.status == "quarantined" or got.reason == "already imported":
            continue
        if gt.get("community"):
            community_total += 1
            if got.community == gt["community"]:
                community_right += 1
            elif len(wrong) < 15:
                wrong.append({"key": key, "expected": gt["community"], "got": got.community, "near_boundary": got.near_boundary})
        urgent_tp += int(got.urgent and gt["urgent"])
        urgent_fp += int(got.urgent and not gt["urgent"])
        urgent_fn += int(not got.urgent and gt["urgent"])
        fact = bool(set(got.signals) - {"night_noise"})
        fact_tp += int(fact and gt["urgent"])
        fact_fp += int(fact and not gt["urgent"])
        fact_fn += int(not fact and gt["urgent"])
        repeat_truth += int(bool(gt.get("repeat_of")))
        repeat_flagged += int(bool(gt.get("repeat_of")) and got.repeat_of is not None)
        repeat_extra += int(not gt.get("repeat_of") and got.repeat_of is not None)
        predicted.append(set(got.categories))
        expected.append(set(gt["categories"]))
        if gt.get("duplicate_of"):
            dup_truth += 1
            dup_found += int(got.duplicate_of is not None)
            target = by_key.get(gt["duplicate_of"])
            dup_linked += int(target is not None and got.case_id == target.case_id)
    table = precision_recall(predicted, expected)
    return {
        "complaints_in_truth": len(truth), "not_in_results": missing,
        "community": {"checked": community_total, "right": community_right,
                      "accuracy": round(community_right / community_total, 4) if community_total else None,
                      "examples_wrong": wrong},
        "categories": table,
        "duplicates": {"in_truth": dup_truth, "flagged_duplicate": dup_found, "same_case_as_original": dup_linked},
        "bad_rows": {"in_truth": bad_truth, "caught": bad_caught},
        "urgent": {"precision": round(urgent_tp / (urgent_tp + urgent_fp), 3) if urgent_tp + urgent_fp else None,
                   "recall": round(urgent_tp / (urgent_tp + urgent_fn), 3) if urgent_tp + urgent_fn else None,
                   "without_night_noise_precision": round(fact_tp / (fact_tp + fact_fp), 3) if fact_tp + fact_fp else None,
                   "without_night_noise_recall": round(fact_tp / (fact_tp + fact_fn), 3) if fact_tp + fact_fn else None},
        "repeats": {"in_truth": repeat_truth, "flagged": repeat_flagged, "flagged_without_truth": repeat_extra},
        "categories_known": list(CATEGORIES),
    }

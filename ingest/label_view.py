"""Why a complaint got its labels, for the intake seat and the case page (reads only).

For each complaint: its stored categories and priority, the model version that classified it, the
review reason if a person must confirm an emergency, the explanation (lexicon terms matched, the
n-grams that weighed most, the priority rules that fired) recomputed from its text with the
active model, and the corrections operators made.
"""

from __future__ import annotations

from typing import Any

import psycopg

from ingest.classifier_model import default_model_classifier
from ingest.classify import CATEGORY_LABELS, PRIORITIES
from ingest.corrections import corrections_of

COMPLAINTS_FOR_LABELS = """
select id, text, categories, priority, model_version, review_reason
from complaints where id = any(%s) order by id
"""
PRIORITY_LABELS = {"emergency": "紧急 emergency", "urgent": "急 urgent", "normal": "一般 normal"}


def explain_text(text: str) -> dict[str, Any]:
    """The active model's explanation of one text (no database)."""
    return default_model_classifier().explain(text)


def explain_complaints(conn: psycopg.Connection[Any], complaint_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Complaint id → stored labels, explanation and corrections."""
    if not complaint_ids:
        return {}
    rows = conn.execute(COMPLAINTS_FOR_LABELS, (sorted(set(complaint_ids)),)).fetchall()
    found: dict[int, dict[str, Any]] = {}
    for cid, text, categories, priority, version, review in rows:
        found[int(cid)] = {"id": int(cid), "categories": list(categories), "priority": priority,
                           "model_version": version, "review_reason": review, "explain": explain_text(text),
                           "corrections": corrections_of(conn, int(cid))}
    return found


def form_choices() -> dict[str, Any]:
    """Categories and priorities for the correction form, labelled in Chinese first."""
    return {"categories": CATEGORY_LABELS, "priorities": {p: PRIORITY_LABELS[p] for p in PRIORITIES}}

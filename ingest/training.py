"""Train the classifier from the corpus, a bureau's labelled history and operators' corrections.

Deterministic: the rows are sorted, liblinear runs with a fixed seed on one thread, weights are
rounded to 4 decimals and written as canonical JSON; the same rows give the same file, byte for
byte, on a fresh clone.

Thresholds are tuned on rows the model being tuned did not see: a first model is fitted without
the tuning rows (the project's 158-row hand-labelled set and every other hand-written corpus row),
its per-category thresholds and priority thresholds are chosen on them, then the final model is
fitted on all training rows (never on any evaluation set) and keeps those thresholds.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from ingest.classifier_features import FeatureMaker, Prepared
from ingest.classifier_model import Model, ModelClassifier, NgramMatrix, make_vectorizer
from ingest.classify import CATEGORIES, PRIORITIES, default_classifier
from ingest.normalize import default_normalizer
from ingest.priority_rules import default_rules

MAX_FEATURES = 30000
C_CATEGORY = 8.0
C_PRIORITY = 4.0
GRID = [round(float(x), 2) for x in np.arange(0.02, 0.91, 0.02)]
# Rows written whole by people weigh more than generated ones; an operator's correction most.
WEIGHTS = {"generated": 1.0, "handwritten": 3.0, "eval158": 3.0, "history": 2.0, "correction": 5.0}


@dataclass(frozen=True)
class Labelled:
    text: str
    categories: frozenset[str]
    priority: str
    source: str = "corpus"


def train_dir() -> Path:
    return Path(str(resources.files("ingest") / "data" / "train"))


def project_eval_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "eval" / "complaints_labelled.csv"))


def read_labelled(path: str | Path, *, source: str = "corpus") -> list[Labelled]:
    """A ``text,categories,priority`` CSV; categories separated by ``;`` or ``|``; bad labels are errors."""
    rows: list[Labelled] = []
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=2):
            text = (row.get("text") or "").strip()
            if not text:
                continue
            cats = frozenset(c.strip() for c in (row.get("categories") or "").replace("|", ";").split(";") if c.strip())
            priority = (row.get("priority") or "normal").strip() or "normal"
            unknown = cats - set(CATEGORIES)
            if unknown or not cats or priority not in PRIORITIES:
                raise ValueError(f"{Path(path).name} line {n}: bad labels {sorted(cats)} / {priority!r}")
            rows.append(Labelled(text, cats, priority, source))
    return rows


def corpus_rows(folder: str | Path | None = None) -> list[Labelled]:
    """Every CSV in the training folder (generated and hand-written rows)."""
    folder = Path(folder or train_dir())
    return [r for path in sorted(folder.glob("*.csv")) for r in read_labelled(path, source=path.stem)]


def _dedupe(rows: Iterable[Labelled]) -> list[Labelled]:
    """One row per text; a later source (a correction) overrides an earlier one; sorted for determinism."""
    by_text: dict[str, Labelled] = {}
    for row in rows:
        by_text[row.text] = row
    return sorted(by_text.values(), key=lambda r: (r.text, r.source))


def _fit_linear(x: sparse.csr_matrix, y: np.ndarray, c: float, weights: np.ndarray) -> np.ndarray:
    if y.min() == y.max():  # a category nobody used: never predicted
        w = np.zeros(x.shape[1])
        w[-1] = -8.0 if y.max() == 0 else 8.0
        return w
    model = LogisticRegression(solver="liblinear", C=c, dual=True, fit_intercept=False, random_state=0,
                               max_iter=1000, tol=1e-5)
    model.fit(x, y, sample_weight=weights)
    return np.asarray(model.coef_[0], dtype=np.float64)


def fit(rows: Sequence[Labelled], *, thresholds: dict[str, float] | None = None,
        priority_thresholds: dict[str, float] | None = None, meta: dict[str, Any] | None = None,
        cache: dict[str, Prepared] | None = None) -> Model:
    """Fit the vocabulary and the weights on ``rows``; thresholds default to 0.5 until tuned.

    ``cache`` keeps prepared texts between fits of one training run (preparing is the slow part).
    """
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    maker = FeatureMaker(default_normalizer(), default_classifier(), default_rules())
    cache = {} if cache is None else cache
    for r in rows:
        if r.text not in cache:
            cache[r.text] = maker.prepare(r.text)
    prepared = [cache[r.text] for r in rows]
    vectorizer = make_vectorizer(max_features=MAX_FEATURES)
    vectorizer.fit([p.ngram_text for p in prepared])
    vocabulary = [""] * len(vectorizer.vocabulary_)
    for term, col in vectorizer.vocabulary_.items():
        vocabulary[col] = term
    idf = [round(float(v), 4) for v in vectorizer.idf_]
    # The rounded idf, as inference will see it.
    ngrams = NgramMatrix(vocabulary, idf).transform([p.ngram_text for p in prepared])
    x = sparse.hstack([ngrams, sparse.csr_matrix(maker.dense(prepared)), sparse.csr_matrix(np.ones((len(rows), 1)))],
                      format="csr")
    weights = np.array([WEIGHTS.get(r.source, 1.0) for r in rows])
    category_weights = np.vstack([_fit_linear(x, np.array([c in r.categories for r in rows], dtype=int), C_CATEGORY,
                                              weights) for c in CATEGORIES])
    # Rows without a priority label by today's rules (the 158-row set predates them) teach categories only.
    rated = np.array([r.priority in PRIORITIES for r in rows])
    priority_weights = np.vstack([_fit_linear(x[rated], np.array([r.priority == p for r in rows], dtype=int)[rated],
                                              C_PRIORITY, weights[rated]) for p in PRIORITIES])
    return Model(vocabulary, idf, maker.names, list(CATEGORIES), category_weights,
                 thresholds or {c: 0.5 for c in CATEGORIES}, priority_weights,
                 priority_thresholds or {"emergency": 0.5, "review": 0.3, "urgent": 0.5}, meta or {})


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def tune(model: Model, rows: Sequence[Labelled]) -> tuple[dict[str, float], dict[str, float]]:
    """Per-category thresholds (best F1) and priority thresholds, chosen on ``rows``."""
    classifier = ModelClassifier(Model.from_dict(json.loads(model.to_json())))
    _, category_p, priority_p, _ = classifier.scores([r.text for r in rows])
    thresholds: dict[str, float] = {}
    for k, category in enumerate(model.categories):
        truth = np.array([category in r.categories for r in rows])
        if not truth.any():
            thresholds[category] = 0.5
            continue
        scored = [(_f1(int((category_p[:, k] >= t)[truth].sum()), int((category_p[:, k] >= t)[~truth].sum()),
                       int((category_p[:, k] < t)[truth].sum())), -abs(t - 0.5), t) for t in GRID]
        thresholds[category] = max(scored)[2]
    emergency = np.array([r.priority == "emergency" for r in rows])
    raised = np.array([r.priority != "normal" for r in rows])
    p_em, p_raised = priority_p[:, 0], priority_p[:, 0] + priority_p[:, 1]

    def fbeta(pred: np.ndarray, truth: np.ndarray, beta: float) -> float:
        tp, fp, fn = int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth).sum())
        b2 = beta * beta
        return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0

    t_em = max((fbeta(p_em >= t, emergency, 2.0), t) for t in GRID)[1]
    t_review = max((t for t in GRID if t <= t_em), key=lambda t: (fbeta(p_em >= t, emergency, 4.0), t))
    t_urgent = max((fbeta(p_raised >= t, raised, 1.5), t) for t in GRID)[1]
    return thresholds, {"emergency": t_em, "review": t_review, "urgent": t_urgent}


def tuning_split(corpus: Sequence[Labelled]) -> tuple[list[Labelled], list[Labelled]]:
    """(fit rows, tuning rows): every other hand-written row and the project's 158-row set tune."""
    handwritten = sorted((r for r in corpus if r.source == "handwritten"), key=lambda r: r.text)
    held = set(handwritten[1::2])
    fit_rows = [r for r in corpus if r not in held]
    return fit_rows, [*sorted(held, key=lambda r: r.text), *read_labelled(project_eval_path(), source="eval158")]


def train(extra: Sequence[Labelled] = (), *, corpus_folder: str | Path | None = None) -> Model:
    """Tune thresholds on held-out rows, then fit the final model on the corpus plus ``extra``."""
    corpus = corpus_rows(corpus_folder)
    fit_rows, tune_rows = tuning_split(corpus)
    cache: dict[str, Prepared] = {}
    first = fit(_dedupe([*fit_rows, *extra]), cache=cache)
    thresholds, priority_thresholds = tune(first, tune_rows)
    # The final fit also learns categories from the project's 158-row set (its priorities follow older rules).
    project = [Labelled(r.text, r.categories, "", "eval158") for r in read_labelled(project_eval_path())]
    rows = _dedupe([*corpus, *project, *extra])
    counts = {source: sum(1 for r in rows if r.source == source) for source in sorted({r.source for r in rows})}
    return fit(rows, thresholds=thresholds, priority_thresholds=priority_thresholds, cache=cache,
               meta={"rows": counts, "max_features": MAX_FEATURES, "c_category": C_CATEGORY, "c_priority": C_PRIORITY})

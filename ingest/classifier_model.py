"""The trained classifier: character n-gram TF-IDF plus lexicon and rule features, one linear model per category.

The model file is JSON (``ingest/data/model/active.json``, written by ``ingest.training``): the
n-gram vocabulary and idf, one weight vector per category with its own threshold, a three-class
priority model, and the thresholds that send a possible emergency to a person. Its version is the
first 12 hex digits of the file's SHA-256, recorded on every complaint it classifies.

Categories: every category whose probability reaches its threshold; if none does, the most
probable one (``other`` included); ``other`` never stands beside another category.
Priority: a rule of ``priority_rules.csv`` at level emergency, or the model's emergency
probability at or above ``emergency``, gives ``emergency``. A review rule, or an emergency
probability at or above ``review``, gives at least ``urgent`` and a ``review`` reason for the
intake seat: a possible emergency is never silently ``normal``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from ingest.classifier_features import FeatureMaker, Prepared
from ingest.classify import (
    CATEGORIES,
    PRIORITIES,
    Classification,
    Classifier,
    default_classifier,
    hint_category,
)
from ingest.normalize import Normalizer, default_normalizer
from ingest.priority_rules import PriorityRules, default_rules, strongest

MODEL_FORMAT = 1
NGRAMS = (1, 3)


def default_model_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "model" / "active.json"))


def file_version(path: str | Path) -> str:
    """The model version: the first 12 hex digits of the file's SHA-256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def make_vectorizer(vocabulary: list[str] | None = None, idf: list[float] | None = None,
                    max_features: int | None = None) -> TfidfVectorizer:
    """The n-gram vectoriser; with a vocabulary and idf it is ready to transform without fitting."""
    vec = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, min_df=2, sublinear_tf=True, lowercase=False,
                          max_features=max_features, dtype=np.float64,
                          vocabulary={t: i for i, t in enumerate(vocabulary)} if vocabulary else None)
    if vocabulary is not None and idf is not None:
        vec.idf_ = np.asarray(idf, dtype=np.float64)
    return vec


class NgramMatrix:
    """TF-IDF of character 1–3-grams over a fixed vocabulary, for a whole batch at once.

    The same numbers as scikit-learn's ``TfidfVectorizer(analyzer="char", sublinear_tf=True)`` with
    that vocabulary and idf, without its per-document Python loop: one dict lookup per n-gram, then
    sparse arithmetic on the whole batch.
    """

    def __init__(self, vocabulary: list[str], idf: list[float]) -> None:
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.width = len(vocabulary)

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        rows: list[int] = []
        cols: list[int] = []
        get = self.index.get
        for r, text in enumerate(texts):
            text = " ".join(text.split())  # scikit-learn's char analyzer collapses white space the same way
            found = [c for n in (1, 2, 3) for i in range(len(text) - n + 1) if (c := get(text[i:i + n])) is not None]
            rows.extend([r] * len(found))
            cols.extend(found)
        counts = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(texts), self.width))
        counts.sum_duplicates()
        counts.data = (1.0 + np.log(counts.data)) * self.idf[counts.indices]
        norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ counts)


@dataclass
class Prediction(Classification):
    """A classification with what the operator needs: model version, probabilities, review reason."""

    model_version: str | None = None
    probabilities: dict[str, float] = field(default_factory=dict)
    priority_probabilities: dict[str, float] = field(default_factory=dict)
    review: str | None = None
    rule_reasons: list[str] = field(default_factory=list)


@dataclass
class Model:
    """Weights and thresholds as stored in the model file."""

    vocabulary: list[str]
    idf: list[float]
    extra_features: list[str]
    categories: list[str]
    category_weights: np.ndarray  # (n categories, n features + 1): last column is the bias
    thresholds: dict[str, float]
    priority_weights: np.ndarray  # (3, n features + 1), rows in PRIORITIES order
    priority_thresholds: dict[str, float]
    meta: dict[str, Any]
    version: str = "unsaved"

    @classmethod
    def load(cls, path: str | Path | None = None) -> Model:
        path = Path(path or default_model_path())
        model = cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        model.version = file_version(path)
        return model

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"model file format {data.get('format')!r} is not {MODEL_FORMAT}")
        return cls(data["vocabulary"], data["idf"], data["extra_features"], data["categories"],
                   np.asarray(data["category_weights"], dtype=np.float64), data["thresholds"],
                   np.asarray(data["priority_weights"], dtype=np.float64), data["priority_thresholds"],
                   data.get("meta", {}))

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, fixed rounding), so equal models give equal bytes."""
        data = {"format": MODEL_FORMAT, "vocabulary": self.vocabulary, "idf": _rounded(self.idf),
                "extra_features": self.extra_features, "categories": self.categories,
                "category_weights": [_rounded(r) for r in self.category_weights],
                "thresholds": {k: round(float(v), 4) for k, v in self.thresholds.items()},
                "priority_weights": [_rounded(r) for r in self.priority_weights],
                "priority_thresholds": {k: round(float(v), 4) for k, v in self.priority_thresholds.items()},
                "meta": self.meta}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"

    def save(self, path: str | Path) -> str:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        self.version = file_version(path)
        return self.version


def _rounded(values: Any) -> list[float]:
    return [round(float(v), 4) + 0.0 for v in values]  # + 0.0 turns -0.0 into 0.0


class ModelClassifier:
    """Classify complaint texts with a trained model; batch calls are vectorised."""

    def __init__(self, model: Model, *, normalizer: Normalizer | None = None, lexicon: Classifier | None = None,
                 rules: PriorityRules | None = None) -> None:
        self.model = model
        self.lexicon = lexicon or default_classifier()
        self.features = FeatureMaker(normalizer or default_normalizer(), self.lexicon, rules or default_rules())
        if self.features.names != model.extra_features:
            missing = sorted(set(model.extra_features) ^ set(self.features.names))
            raise ValueError(f"the model was trained with other lexicon/rule features (differ: {missing[:8]}); "
                             "retrain with `envpetition classify train`")
        self.vectorizer = NgramMatrix(model.vocabulary, model.idf)
        self.version = model.version

    def matrix(self, prepared: list[Prepared]) -> sparse.csr_matrix:
        """Feature matrix with a constant column for the bias."""
        ngrams = self.vectorizer.transform([p.ngram_text for p in prepared])
        dense = self.features.dense(prepared)
        ones = np.ones((len(prepared), 1))
        return sparse.hstack([ngrams, sparse.csr_matrix(dense), sparse.csr_matrix(ones)], format="csr")

    def scores(self, texts: list[str], *, enterprise_involved: list[bool] | None = None
               ) -> tuple[list[Prepared], np.ndarray, np.ndarray, sparse.csr_matrix]:
        """Prepared texts, category probabilities and priority probabilities for a batch."""
        flags = enterprise_involved or [False] * len(texts)
        prepared = [self.features.prepare(t, enterprise_involved=e) for t, e in zip(texts, flags, strict=True)]
        if not prepared:
            return [], np.zeros((0, len(self.model.categories))), np.zeros((0, 3)), sparse.csr_matrix((0, 0))
        x = self.matrix(prepared)
        category_p = 1.0 / (1.0 + np.exp(-(x @ self.model.category_weights.T)))
        logits = x @ self.model.priority_weights.T
        logits -= logits.max(axis=1, keepdims=True)
        priority_p = np.exp(logits)
        priority_p /= priority_p.sum(axis=1, keepdims=True)
        return prepared, np.asarray(category_p), np.asarray(priority_p), x

    def classify_many(self, texts: list[str], *, enterprise_involved: list[bool] | None = None,
                      hints: list[str | None] | None = None) -> list[Prediction]:
        """Classify a batch in one matrix product."""
        prepared, category_p, priority_p, _ = self.scores(texts, enterprise_involved=enterprise_involved)
        hints = hints or [None] * len(texts)
        return [self._decide(p, category_p[i], priority_p[i], hints[i]) for i, p in enumerate(prepared)]

    def classify(self, text: str, *, enterprise_involved: bool = False, hint: str | None = None) -> Prediction:
        """Categories, priority and review reason of one text (same interface as the lexicon Classifier)."""
        return self.classify_many([text], enterprise_involved=[enterprise_involved], hints=[hint])[0]

    def _decide(self, prepared: Prepared, category_p: np.ndarray, priority_p: np.ndarray,
                hint: str | None) -> Prediction:
        names = self.model.categories
        chosen = [c for c, p in zip(names, category_p, strict=True)
                  if c != "other" and p >= self.model.thresholds.get(c, 0.5)]
        if not chosen:
            best = names[int(np.argmax(category_p))]
            hinted = hint_category(hint) if hint else "other"
            chosen = [hinted if best == "other" and hinted != "other" else best]
        categories = [c for c in CATEGORIES if c in chosen]
        probabilities = dict(zip(names, np.round(category_p, 3).tolist(), strict=True))
        pp = dict(zip(PRIORITIES, np.round(priority_p, 3).tolist(), strict=True))
        priority, review, reasons = self._priority(prepared, pp, categories)
        signals = list(prepared.lexicon.signals)
        for hit in prepared.rule_hits:
            if hit.rule not in signals and hit.level != "urgent":
                signals.append(hit.rule)
        matched = {c: terms for c, terms in prepared.lexicon.matched.items() if c in categories or c.startswith("signal:")}
        return Prediction(categories, signals, priority, matched, self.version, probabilities, pp, review, reasons)

    def _priority(self, prepared: Prepared, pp: dict[str, float], categories: list[str]
                  ) -> tuple[str, str | None, list[str]]:
        t = self.model.priority_thresholds
        noise = any(c.startswith("noise_") for c in categories)
        # Night words count only for noise; nothing but an emergency raises a non-environmental matter.
        hits = [h for h in prepared.rule_hits if (h.rule != "night_noise" or noise)
                and (categories != ["other"] or h.level == "emergency")]
        level = strongest(hits)
        reasons = [f"{h.reason}（{h.term}）" for h in hits]
        if level == "emergency" or pp["emergency"] >= t["emergency"]:
            if level != "emergency":
                reasons.append(f"模型判断紧急 model: p(emergency) = {pp['emergency']:.2f}")
            return "emergency", None, reasons
        review = None
        if level == "review" or pp["emergency"] >= t["review"]:
            why = [h.reason for h in hits if h.level == "review"]
            if pp["emergency"] >= t["review"]:
                why.append(f"模型估计紧急概率 {pp['emergency']:.2f} model p(emergency)")
            review = "可能紧急，请人工确认 possible emergency, check: " + "；".join(why)
            return "urgent", review, reasons
        if level == "urgent" or pp["urgent"] + pp["emergency"] >= t["urgent"]:
            return "urgent", None, reasons
        return "normal", None, reasons

    def explain(self, text: str, *, top: int = 6, enterprise_involved: bool = False) -> dict[str, Any]:
        """Why each label: lexicon terms matched, the n-grams that pushed most, the rules that fired."""
        prepared, category_p, priority_p, x = self.scores([text], enterprise_involved=[enterprise_involved])
        prediction = self._decide(prepared[0], category_p[0], priority_p[0], None)
        row = x.getrow(0)
        n_vocab = len(self.model.vocabulary)
        labels = []
        for category in prediction.categories:
            k = self.model.categories.index(category)
            weights = self.model.category_weights[k]
            contributions = [(row.data[j] * weights[col], int(col)) for j, col in enumerate(row.indices)
                             if col < n_vocab and row.data[j] * weights[col] > 0]
            contributions.sort(key=lambda item: (-item[0], item[1]))
            labels.append({
                "category": category, "probability": prediction.probabilities.get(category),
                "lexicon": prediction.matched.get(category, []),
                "ngrams": [self.model.vocabulary[col] for _, col in contributions[:top]],
            })
        return {"normalized": prepared[0].normalized, "labels": labels, "priority": prediction.priority,
                "priority_probabilities": prediction.priority_probabilities, "rules": prediction.rule_reasons,
                "review": prediction.review, "model_version": prediction.model_version}


def classify_batch(classifier: Classifier | ModelClassifier, texts: list[str], enterprise_involved: list[bool],
                   hints: list[str | None]) -> list[Classification]:
    """Classify a batch: the trained model in one vectorised call, the lexicon classifier row by row."""
    if isinstance(classifier, ModelClassifier):
        return list(classifier.classify_many(texts, enterprise_involved=enterprise_involved, hints=hints))
    return [classifier.classify(t, enterprise_involved=e, hint=h)
            for t, e, h in zip(texts, enterprise_involved, hints, strict=True)]


@lru_cache(maxsize=4)
def default_model_classifier(path: str | None = None) -> ModelClassifier:
    """The active (shipped or promoted) model, loaded once per process."""
    return ModelClassifier(Model.load(path))


def as_dict(result: Classification) -> dict[str, Any]:
    """A classification as JSON-able data, with the model's extras when there are any."""
    data: dict[str, Any] = {"categories": result.categories, "signals": result.signals, "priority": result.priority,
                            "urgent": result.urgent}
    if isinstance(result, Prediction):
        data.update(model_version=result.model_version, review=result.review, rules=result.rule_reasons,
                    probabilities=result.probabilities, priority_probabilities=result.priority_probabilities)
    return data

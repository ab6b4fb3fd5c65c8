"""Multi-label categories and urgency signals from lexicons a bureau can edit.

The lexicons are CSV files (``ingest/data/categories.csv``, ``ingest/data/urgency.csv``; another
folder can be given). A term found in the text counts for its category unless a negation word
(没有, 无, 未, 不再 ...) stands right before it in jieba's segmentation of the surrounding words.
Terms of the pseudo category ``mask`` (facility names such as 污水处理厂) blank out their span
before matching. A term with ``needs`` counts only when the text also has a term of that group (施工 is a noise
term only next to a noise word; otherwise it may be construction dust). Generic noise words
alone become noise_social (noise_industrial when an enterprise is involved); a text with no hit
is ``other``. Pure functions; the classifier is built once and reused.
"""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jieba

jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not the operator's business

CATEGORIES = ("odour", "smoke_dust", "industrial_exhaust", "cooking_fumes", "noise_construction", "noise_industrial",
              "noise_social", "noise_traffic", "water", "solid_waste", "radiation", "ecology", "other")
CATEGORY_LABELS = {
    "odour": "异味", "smoke_dust": "烟尘扬尘", "industrial_exhaust": "工业废气", "cooking_fumes": "餐饮油烟",
    "noise_construction": "建筑施工噪声", "noise_industrial": "工业噪声", "noise_social": "社会生活噪声",
    "noise_traffic": "交通噪声", "water": "水污染", "solid_waste": "固体废物", "radiation": "辐射",
    "ecology": "生态破坏", "other": "其他",
}
AIR = ("odour", "smoke_dust", "industrial_exhaust", "cooking_fumes")
GROUPS = {"noise": ("noise_construction", "noise_industrial", "noise_social", "noise_traffic", "noise_generic"),
          "air": (*AIR, "air_generic")}
PSEUDO = ("noise_generic", "air_generic", "mask")
NEGATIONS = frozenset(("没有", "没", "无", "未", "不再", "并无", "并未", "未见", "无明显", "不", "已无"))
NEGATION_CHARS = frozenset("".join(NEGATIONS))
PRIORITIES = ("emergency", "urgent", "normal")


@dataclass(frozen=True)
class Term:
    key: str  # category (or pseudo category) or urgency signal
    term: str
    needs: str = ""  # group or category prefix that must also be present
    priority: str = ""


@dataclass
class Classification:
    categories: list[str]
    signals: list[str] = field(default_factory=list)
    priority: str = "normal"
    matched: dict[str, list[str]] = field(default_factory=dict)

    @property
    def urgent(self) -> bool:
        return self.priority != "normal"


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row and not str(next(iter(row.values()))).startswith("#")]


def default_lexicon_dir() -> Path:
    return Path(str(resources.files("ingest") / "data"))


class Classifier:
    """Categories and urgency of complaint text. ``lexicon_dir`` holds categories.csv and urgency.csv."""

    def __init__(self, lexicon_dir: str | Path | None = None) -> None:
        folder = Path(lexicon_dir) if lexicon_dir else default_lexicon_dir()
        self.terms = [Term(r["category"].strip(), r["term"].strip(), (r.get("needs") or "").strip())
                      for r in _read_csv(folder / "categories.csv") if r.get("term", "").strip()]
        unknown = {t.key for t in self.terms} - set(CATEGORIES) - set(PSEUDO)
        if unknown:
            raise ValueError(f"categories.csv names unknown categories {sorted(unknown)}")
        self.signals = [Term(r["signal"].strip(), r["term"].strip(), (r.get("requires_category") or "").strip(),
                             r["priority"].strip()) for r in _read_csv(folder / "urgency.csv") if r.get("term", "").strip()]
        bad = {t.priority for t in self.signals} - {"emergency", "urgent"}
        if bad:
            raise ValueError(f"urgency.csv priorities must be emergency or urgent, found {sorted(bad)}")
        self.tokenizer = jieba.Tokenizer()
        for term in {t.term for t in (*self.terms, *self.signals)}:
            self.tokenizer.add_word(term, freq=2000)
        self.pattern = self._compile(self.terms)
        self.signal_pattern = self._compile(self.signals)
        self.by_term: dict[str, list[Term]] = {}
        for t in self.terms:
            self.by_term.setdefault(t.term.lower(), []).append(t)
        self.signal_by_term: dict[str, list[Term]] = {}
        for t in self.signals:
            self.signal_by_term.setdefault(t.term.lower(), []).append(t)

    @staticmethod
    def _compile(terms: list[Term]) -> re.Pattern[str]:
        words = sorted({t.term.lower() for t in terms}, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)))

    def _negated(self, text: str, start: int) -> bool:
        """Is the word before position ``start`` a negation? (jieba on a short window)"""
        window = text[max(0, start - 6): start]
        if not window or not any(ch in window for ch in NEGATION_CHARS):
            return False
        words = [w for w in self.tokenizer.lcut(window) if w.strip() and w not in "，,。；;、"]
        return bool(words) and (words[-1] in NEGATIONS or (len(words) > 1 and words[-2] in NEGATIONS and len(words[-1]) == 1))

    def _hits(self, text: str, pattern: re.Pattern[str], index: dict[str, list[Term]]) -> dict[Term, int]:
        found: dict[Term, int] = {}
        pos = 0
        while True:
            match = pattern.search(text, pos)
            if match is None:
                break
            pos = match.start() + 1  # overlapping: 夜间施工 and 施工 both count
            if self._negated(text, match.start()):
                continue
            for term in index[match.group(0)]:
                found.setdefault(term, match.start())
        return found

    def classify(self, text: str, *, enterprise_involved: bool = False, hint: str | None = None) -> Classification:
        """Categories (multi-label), urgency signals and priority of one complaint text.

        ``hint`` (the category a citizen picked in a form) is used only when the text names none.
        """
        lowered = (text or "").lower()
        hits = self._hits(lowered, self.pattern, self.by_term)
        masks = [(start, start + len(t.term)) for t, start in hits.items() if t.key == "mask"]
        if masks:
            # Facility names (污水处理厂) hide the words inside them, then the text is searched again.
            chars = list(lowered)
            for start, end in masks:
                chars[start:end] = [" "] * (end - start)
            hits = {t: at for t, at in self._hits("".join(chars), self.pattern, self.by_term).items() if t.key != "mask"}
        strong = {t.key for t in hits if not t.needs}
        present_groups = {g for g, members in GROUPS.items() if strong & set(members)}
        keys = strong | {t.key for t in hits if t.needs and t.needs in present_groups}
        matched: dict[str, list[str]] = {}
        for t in hits:
            if t.key in keys and (not t.needs or t.needs in present_groups):
                matched.setdefault(t.key, []).append(t.term)
        if "noise_generic" in keys and not keys & set(GROUPS["noise"][:4]):
            keys.add("noise_industrial" if enterprise_involved else "noise_social")
        categories = [c for c in CATEGORIES if c in keys] or [hint_category(hint)]
        signals: list[str] = []
        priority = "normal"
        for t in self._hits(lowered, self.signal_pattern, self.signal_by_term):
            if t.needs and not any(c.startswith(t.needs) for c in categories):
                continue
            if t.key not in signals:
                signals.append(t.key)
                matched.setdefault(f"signal:{t.key}", []).append(t.term)
            if PRIORITIES.index(t.priority) < PRIORITIES.index(priority):
                priority = t.priority
        return Classification(categories, signals, priority, matched)


HINTS = {"dust": "smoke_dust", "smoke": "smoke_dust", "air": "industrial_exhaust", "noise": "noise_social",
         "waste": "solid_waste", "fumes": "cooking_fumes", "扬尘": "smoke_dust", "噪声": "noise_social",
         "噪音": "noise_social", "废气": "industrial_exhaust", "异味": "odour", "油烟": "cooking_fumes",
         "水": "water", "水污染": "water", "固废": "solid_waste", "垃圾": "solid_waste", "辐射": "radiation",
         "生态": "ecology"}


def hint_category(hint: str | None) -> str:
    """A form's category (our code, a common short code, or a Chinese label) as one of CATEGORIES."""
    key = (hint or "").strip().lower()
    if key in CATEGORIES:
        return key
    return HINTS.get(key, "other")


@lru_cache(maxsize=4)
def default_classifier(lexicon_dir: str | None = None) -> Classifier:
    """The classifier for the packaged (or given) lexicons, built once per process."""
    return Classifier(lexicon_dir)


def category_label(category: str, *, english: bool = False) -> str:
    return category if english else CATEGORY_LABELS.get(category, category)


def as_dict(result: Classification) -> dict[str, Any]:
    return {"categories": result.categories, "signals": result.signals, "priority": result.priority,
            "urgent": result.urgent}

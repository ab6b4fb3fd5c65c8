"""What the trained classifier sees of a complaint: prepared text for n-grams, plus lexicon and rule hits.

* the text is normalised (``ingest.normalize``), similes and place names are blanked
  (``priority_rules.mask_lookalikes``), and what a negation rules out is blanked too
  (不是油烟的问题 → 不是□□□□□): the n-grams then do not see a thing the complainant denied;
* the editable lexicon (``ingest/classify.py``'s CSV files) gives one 0/1 feature per category and
  per urgency signal, and the priority rules one 0/1 feature per rule and level. The lexicon thus
  stays a bureau's lever: a new term moves the model's input at once, and it is what the operator is
  shown as the reason for a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ingest.classify import CATEGORIES, Classification, Classifier
from ingest.normalize import Normalizer
from ingest.priority_rules import PriorityRules, RuleHit, mask_lookalikes

# A negation that rules a thing out, and the words it covers (to the end of the clause, at most 6).
NEGATED_SPAN = re.compile(r"(不是|并非|并不是|没有什么|没有|没闻到|没听到|没发现|未发现|并未|并没有|不存在|已经没有|不再有)"
                          r"([^，,。！？；!?;\s]{1,6})")
# After these a negation word is an intensifier, not a denial (没人管, 没日没夜, 没法睡).
NOT_A_DENIAL = re.compile(r"^(人|法|完|停|办法|用|日没夜|几天|多久|处理|解决|人管|人处理|有人管|有人处理|有效果|效果|什么用|睡)")


def blank_negated(text: str) -> str:
    """Blank what a negation rules out, keeping the negation word itself (same length)."""
    def blank(match: re.Match[str]) -> str:
        if NOT_A_DENIAL.match(match.group(2)):
            return match.group(0)
        return match.group(1) + "□" * len(match.group(2))
    return NEGATED_SPAN.sub(blank, text)


@dataclass
class Prepared:
    """One complaint as the model reads it."""

    normalized: str
    ngram_text: str
    lexicon: Classification
    rule_hits: list[RuleHit]


class FeatureMaker:
    """Normaliser, lexicon and rule table, built once; ``prepare`` then ``dense`` per batch."""

    def __init__(self, normalizer: Normalizer, lexicon: Classifier, rules: PriorityRules) -> None:
        self.normalizer, self.lexicon, self.rules = normalizer, lexicon, rules
        self.signal_names = sorted({t.key for t in lexicon.signals})
        rule_keys = sorted({(r.name, r.level) for r in rules.rules})
        self.names = ([f"lex:{c}" for c in CATEGORIES if c != "other"] + [f"sig:{s}" for s in self.signal_names]
                      + [f"rule:{n}:{lvl}" for n, lvl in rule_keys])
        self.index = {name: i for i, name in enumerate(self.names)}

    def prepare(self, text: str, *, enterprise_involved: bool = False) -> Prepared:
        normalized = self.normalizer(text)
        lexicon = self.lexicon.classify(normalized, enterprise_involved=enterprise_involved)
        return Prepared(normalized, blank_negated(mask_lookalikes(normalized)), lexicon, self.rules.hits(normalized))

    def dense(self, prepared: list[Prepared]) -> np.ndarray:
        """The lexicon and rule features, one row per complaint."""
        out = np.zeros((len(prepared), len(self.names)), dtype=np.float64)
        for row, p in enumerate(prepared):
            for category in p.lexicon.matched:
                col = self.index.get(f"lex:{category}")
                if col is not None:
                    out[row, col] = 1.0
            for signal in p.lexicon.signals:
                col = self.index.get(f"sig:{signal}")
                if col is not None:
                    out[row, col] = 1.0
            for hit in p.rule_hits:
                col = self.index.get(f"rule:{hit.rule}:{hit.level}")
                if col is not None:
                    out[row, col] = 1.0
        return out

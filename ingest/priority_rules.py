"""Rules for what must never wait: leaks, fish kills, drinking water, people unwell now, fire, toxic smoke.

The rules are rows of ``ingest/data/priority_rules.csv`` (rule, level, pattern, needs, reason), run on
normalised text (``ingest.normalize``). Before matching, three kinds of words that only look like
an emergency are set aside:

* a simile is not the thing: 烟大得像着火了一样 describes smoke, there is no fire;
* a place name is not the thing: 住院部 is a building, 水厂路 a road, 油烟机厂小区 a housing estate;
* a negated or ruled-out thing: 没有人晕倒, 不是煤气味, 并未发现死鱼.

Pure functions: text in, hits out.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

LEVELS = ("emergency", "review", "urgent")
CLAUSE_END = re.compile(r"[。！？；!?;\n]")
# 像/好像/跟/如同 … 一样/似的/一般: a simile span, at most 14 characters, inside one clause.
SIMILE = re.compile(r"(好像|就像|像是|像|跟|如同|仿佛|宛如|犹如)[^，,。！？；!?;]{1,14}?(一样|似的|一般|那样|般)")
# A word followed by one of these is part of a name of a place or a unit, not an event.
PLACE_AFTER = re.compile(r"^(部|科|楼|路|街|巷|道|大道|小区|新村|花园|社区|村|站|桥|中心|公司|厂|门口|附近的路)")
PLACE_NAME = re.compile(r"[\u4e00-\u9fff]{1,6}?(厂|店|馆|站)(小区|新村|宿舍|家属院|花园|社区|路|街)")
NEGATION = re.compile(r"(没有|没|不是|并非|并不是|并没有|并未|未|无|不再|也没|没见|没发现|未发现|不存在|排除)[^，,。！？；!?;]{0,3}$")
# A worry or a what-if is not an event (担心着火, 怕泄漏, 万一爆炸).
HYPOTHETICAL = re.compile(r"(担心|害怕|怕|防止|以防|万一|会不会|容易|可能会|一旦|预防|隐患)[^，,。！？；!?;]{0,4}$")
ALREADY_OVER = re.compile(r"(已经|已)(处理|修好|修复|解决|停了|堵上|扑灭|灭了)")


@dataclass(frozen=True)
class Rule:
    name: str
    level: str
    pattern: re.Pattern[str]
    needs: re.Pattern[str] | None
    reason: str


@dataclass(frozen=True)
class RuleHit:
    rule: str
    level: str
    term: str
    reason: str


def default_rules_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "priority_rules.csv"))


def load_rules(path: str | Path | None = None) -> list[Rule]:
    """Read the rule table; a bad level or regular expression is an error naming the row."""
    rules: list[Rule] = []
    with Path(path or default_rules_path()).open(encoding="utf-8-sig", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=2):
            name = (row.get("rule") or "").strip()
            if not name or name.startswith("#"):
                continue
            level = (row.get("level") or "").strip()
            if level not in LEVELS:
                raise ValueError(f"priority_rules.csv line {n}: level must be one of {LEVELS}, not {level!r}")
            try:
                pattern = re.compile(row["pattern"].strip())
                needs = re.compile(row["needs"].strip()) if (row.get("needs") or "").strip() else None
            except re.error as exc:
                raise ValueError(f"priority_rules.csv line {n}: bad pattern: {exc}") from exc
            rules.append(Rule(name, level, pattern, needs, (row.get("reason") or name).strip()))
    return rules


def mask_lookalikes(text: str) -> str:
    """Blank out similes and place names (same length, so positions stay valid)."""
    def blank(match: re.Match[str]) -> str:
        return "□" * len(match.group(0))
    return PLACE_NAME.sub(blank, SIMILE.sub(blank, text))


def _clauses(text: str) -> list[str]:
    return [c for c in CLAUSE_END.split(text) if c]


def _counts(clause: str, match: re.Match[str]) -> bool:
    """A match counts unless negated just before it or followed by a place suffix."""
    before = clause[: match.start()]
    if NEGATION.search(before) or HYPOTHETICAL.search(before):
        return False
    return not PLACE_AFTER.match(clause[match.end():])


class PriorityRules:
    """The rule table, compiled once."""

    def __init__(self, rules: list[Rule] | None = None) -> None:
        self.rules = load_rules() if rules is None else rules

    def hits(self, text: str) -> list[RuleHit]:
        """Every rule that fires on normalised ``text``, at most once per rule name and level.

        >>> [h.rule for h in PriorityRules().hits("烟大得像着火了一样,呛得人难受")]
        []
        >>> [h.rule for h in PriorityRules().hits("河里好多死鱼,到现在还在往外排黑水")][:1]
        ['fish_kill']
        """
        found: dict[tuple[str, str], RuleHit] = {}
        masked = mask_lookalikes(text)
        candidates = [rule for rule in self.rules if rule.pattern.search(masked)]  # one pass each over the text
        if not candidates:
            return []
        for clause in _clauses(masked):
            over = bool(ALREADY_OVER.search(clause))
            for rule in candidates:
                key = (rule.name, rule.level)
                if key in found:
                    continue
                for match in rule.pattern.finditer(clause):
                    if not _counts(clause, match):
                        continue
                    if rule.needs is not None and not _needs_met(rule.needs, clause):
                        continue
                    level = "review" if over and rule.level == "emergency" else rule.level
                    found[key] = RuleHit(rule.name, level, match.group(0), rule.reason)
                    break
        return list(found.values())


def _needs_met(needs: re.Pattern[str], clause: str) -> bool:
    """The companion word is somewhere in the clause (漏油 carries its own 油)."""
    return bool(needs.search(clause))


@lru_cache(maxsize=2)
def default_rules(path: str | None = None) -> PriorityRules:
    return PriorityRules(load_rules(path))


def strongest(hits: list[RuleHit]) -> str | None:
    """The most pressing level among the hits (emergency > review > urgent), or None."""
    levels = {h.level for h in hits}
    return next((lvl for lvl in LEVELS if lvl in levels), None)

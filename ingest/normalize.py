"""Text as the classifier reads it: simplified characters, half-width forms, typos corrected.

Three steps, each cheap enough for an import of thousands of complaints a second:

1. NFKC: full-width letters, digits and punctuation become half-width (ＫＴＶ → KTV, ２２点 → 22点);
2. traditional → simplified, character by character, from zhconv's MediaWiki table (揚塵 → 扬尘,
   噪音 stays 噪音); ``str.translate`` with a table built once, so no per-text dictionary walk;
3. the editable homophone/typo map ``ingest/data/typos.csv`` (躁音 → 噪音, 油咽 → 油烟), longest
   entry first, in one regular expression.

Letters are lower-cased last. The result has the same meaning for a person reading it.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

# Characters zhconv's table maps in a way that is wrong for complaint text (its char table is
# context-free: 乾 → 干 is right, but a few single characters have a common simplified use).
KEEP = frozenset("著")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Single-character traditional → simplified pairs from zhconv's dictionary."""
    raw = resources.files("zhconv").joinpath("zhcdict.json").read_text(encoding="utf-8")
    pairs = json.loads(raw)["zh2Hans"]
    return {ord(k): v for k, v in pairs.items() if len(k) == 1 and len(v) == 1 and k not in KEEP}


def default_typos_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "typos.csv"))


def load_typos(path: str | Path | None = None) -> dict[str, str]:
    """The homophone/typo map (``wrong,right,note``); rows starting with # are comments."""
    table: dict[str, str] = {}
    with Path(path or default_typos_path()).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            wrong, right = (row.get("wrong") or "").strip(), (row.get("right") or "").strip()
            if not wrong or wrong.startswith("#"):
                continue
            if not right:
                raise ValueError(f"typos.csv: {wrong!r} has no replacement")
            table[_fold(wrong)] = right
    return table


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_t2s_table()).lower()


class Normalizer:
    """Normalise complaint text; build once (the typo pattern is compiled), call many times."""

    def __init__(self, typos: dict[str, str] | None = None) -> None:
        self.typos = load_typos() if typos is None else typos
        words = sorted(self.typos, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, words))) if words else None

    def __call__(self, text: str | None) -> str:
        """NFKC, traditional → simplified, typos fixed, lower case.

        >>> Normalizer({"躁音": "噪音"})("工地躁音，揚塵很大ＫＴＶ")
        '工地噪音,扬尘很大ktv'
        """
        folded = _fold(text or "")
        if self.pattern is not None:
            folded = self.pattern.sub(lambda m: self.typos[m.group(0)], folded)
        return folded.lower()

    def many(self, texts: list[str]) -> list[str]:
        return [self(t) for t in texts]


@lru_cache(maxsize=1)
def default_normalizer() -> Normalizer:
    return Normalizer()


def normalize(text: str | None) -> str:
    """Normalise with the packaged typo map."""
    return default_normalizer()(text)

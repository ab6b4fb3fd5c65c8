"""Find the community, enterprise and district a complaint names when it has no coordinates.

Names and aliases of current areas are searched in the address (first) and the text. Text is
normalised (NFKC: full-width letters and digits become half-width; spaces dropped; Arabic phase
numbers become Chinese, 2期 → 二期). Each name also matches without its generic suffix (小区, 花园,
社区, 新村, 家园, 公寓; 有限公司, 厂 ...) but a phase stays part of the name, so 阳光花园一期 and 阳光花园二期
never match each other; a bare 阳光花园 that fits both is ambiguous and matches neither. Building
and room numbers need no handling for substring search; they are cut before fuzzy matching, which
catches one-character typos (rapidfuzz partial ratio) for names of four characters or more.
The district comes from the city's own district names (offline, no address service).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from envpetition.areas import Area

COMMUNITY_SUFFIXES = ("小区", "花园", "社区", "新村", "家园", "公寓", "苑", "村")
ENTERPRISE_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司", "工厂", "厂")
PHASE = re.compile(r"([0-9一二三四五六七八九十]+)期")
BUILDING = re.compile(r"[0-9一二三四五六七八九十]+(?:号楼|栋|幢|单元|楼|室|号|层)|[A-Za-z]座")
CN_DIGITS = "零一二三四五六七八九十"
FUZZY_CUTOFF = 75.0  # one wrong character in a four-character name scores 75


def normalise(text: str | None) -> str:
    """NFKC, no whitespace or brackets (阳光花园（二期）), Arabic phase numbers as Chinese numerals."""
    if not text:
        return ""
    text = re.sub(r"[\s()\[\]【】〔〕<>《》\"'“”]+", "", unicodedata.normalize("NFKC", text)).lower()
    return PHASE.sub(lambda m: _cn_number(m.group(1)) + "期", text)


def _cn_number(digits: str) -> str:
    if not digits.isdigit():
        return digits
    n = int(digits)
    if n <= 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    return digits


def name_variants(name: str, kind: str) -> set[str]:
    """The strings that count as a mention of ``name`` (phase kept, generic suffix optional)."""
    base = normalise(name)
    variants = {base}
    phase = PHASE.search(base)
    core, tail = (base[: phase.start()], base[phase.start():]) if phase else (base, "")
    suffixes = COMMUNITY_SUFFIXES if kind in ("community", "grid") else ENTERPRISE_SUFFIXES
    for suffix in suffixes:
        if core.endswith(suffix) and len(core) - len(suffix) >= 2:
            variants.add(core[: -len(suffix)] + tail)
            break
    return {v for v in variants if len(v) >= 2}


@dataclass
class PlaceMatch:
    area: Area | None
    how: str  # 'exact', 'fuzzy', 'ambiguous', 'none'
    candidates: tuple[str, ...] = ()


class PlaceNames:
    """Index of area names and aliases for one kind, searched in free text."""

    def __init__(self, areas: Sequence[Area], kind: str) -> None:
        self.kind = kind
        self.areas = [a for a in areas if a.kind == kind]
        self.variants: list[tuple[str, Area]] = []
        for area in self.areas:
            for label in (area.name, *area.aliases):
                for variant in name_variants(label, kind):
                    self.variants.append((variant, area))
        # Longest first: 阳光花园二期 is tried before 阳光花园.
        self.variants.sort(key=lambda item: -len(item[0]))
        long_enough = [(v, a) for v, a in self.variants if len(v) >= 4]
        self.fuzzy_choices = [v for v, _ in long_enough]
        self.fuzzy_areas = [a for _, a in long_enough]
        # Names with a phase, and their phase-less stems: worked out once, not on every search.
        self.phase_stems: list[tuple[Area, set[str]]] = []
        for area in self.areas:
            base = normalise(area.name)
            phase = PHASE.search(base)
            if phase:
                core = base[: phase.start()]
                stems = {core} | {core[: -len(s)] for s in COMMUNITY_SUFFIXES if core.endswith(s) and len(core) - len(s) >= 2}
                self.phase_stems.append((area, stems))

    def find(self, *texts: str | None, fuzzy: bool = True) -> PlaceMatch:
        """The area named in the first text that names one (address before complaint text)."""
        for text in texts:
            match = self._exact(normalise(text))
            if match.how != "none":
                return match
        if fuzzy:
            for text in texts:
                match = self._fuzzy(normalise(text))
                if match.how != "none":
                    return match
        return PlaceMatch(None, "none")

    def _exact(self, text: str) -> PlaceMatch:
        if not text:
            return PlaceMatch(None, "none")
        hits: dict[int, Area] = {}
        best_len = 0
        for variant, area in self.variants:
            if len(variant) < best_len:
                break
            if variant in text and not self._phase_conflict(text, variant):
                best_len = len(variant)
                hits[id(area)] = area
        if not hits:
            return self._bare_name(text)
        if len(hits) == 1:
            return PlaceMatch(next(iter(hits.values())), "exact")
        return PlaceMatch(None, "ambiguous", tuple(sorted(a.name for a in hits.values())))

    def _bare_name(self, text: str) -> PlaceMatch:
        """A name said without its phase (阳光花园) fits every phase: ambiguous unless only one."""
        hits = {}
        for area, stems in self.phase_stems:
            if any(stem in text for stem in stems):
                hits[area.name] = area
        if len(hits) == 1:
            return PlaceMatch(next(iter(hits.values())), "exact")
        if hits:
            return PlaceMatch(None, "ambiguous", tuple(sorted(hits)))
        return PlaceMatch(None, "none")

    @staticmethod
    def _phase_conflict(text: str, variant: str) -> bool:
        """True when the text names another phase right after a phase-less variant (二期 vs 一期)."""
        if PHASE.search(variant):
            return False
        at = text.find(variant)
        return bool(PHASE.match(text, at + len(variant)))

    def _fuzzy(self, text: str) -> PlaceMatch:
        if not text:
            return PlaceMatch(None, "none")
        text = BUILDING.sub("", text)
        scored: dict[int, tuple[float, Area]] = {}
        # One C loop over every long-enough variant (partial_ratio slides the shorter string).
        for _, score, i in process.extract(text, self.fuzzy_choices, scorer=fuzz.partial_ratio,
                                           score_cutoff=FUZZY_CUTOFF, limit=None):
            area = self.fuzzy_areas[i]
            if score > scored.get(id(area), (0.0, area))[0]:
                scored[id(area)] = (score, area)
        if not scored:
            return PlaceMatch(None, "none")
        ranked = sorted(scored.values(), key=lambda s: -s[0])
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < 5:
            return PlaceMatch(None, "ambiguous", tuple(a.name for _, a in ranked[:3]))
        return PlaceMatch(ranked[0][1], "fuzzy")


class Gazetteer:
    """Community, enterprise and district name indexes of the city's current areas."""

    def __init__(self, areas: Sequence[Area]) -> None:
        self.communities = PlaceNames(areas, "community")
        self.enterprises = PlaceNames(areas, "enterprise")
        self.districts = PlaceNames(areas, "district")

    def enterprise_for_party(self, reported_party: str | None) -> Area | None:
        """The enterprise the complaint names as the party complained about, if we know it."""
        if not reported_party:
            return None
        return self.enterprises.find(reported_party).area

"""Write the generated part of the training corpus: ``generated.csv`` (text, categories, priority).

Deterministic (one seed, no clock): running it again writes the same bytes. The rows combine the
hand-written pieces of ``pieces.py`` in the registers complainants and seats use: hotline
transcriptions, 12345 work orders (来电人反映…), letters, WeChat-style messages with dialect words,
online forms; with typos, traditional characters, full-width digits, negations, similes, place names
that contain category words, and two complaints in one (multi-label). Labels follow docs/ingest.md.

    python ingest/data/train/generate_corpus.py [--rows 7000] [--seed 20261202]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import unicodedata
from pathlib import Path

import zhconv

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pieces as P  # noqa: E402  (a data file beside this script, not a package module)

PRIORITY_ORDER = ("emergency", "urgent", "normal")
NOISE = ("noise_construction", "noise_industrial", "noise_social", "noise_traffic")
# correct → wrong spellings complainants use (the reverse of part of typos.csv, plus a few it lacks)
MISSPELL = [("噪音", "躁音"), ("噪音", "燥音"), ("油烟", "油咽"), ("扬尘", "扬成"), ("垃圾", "拉圾"), ("辐射", "幅射"),
            ("秸秆", "桔杆"), ("泄漏", "泄露"), ("异味", "异未"), ("刺鼻", "剌鼻"), ("废气", "废汽"), ("污水", "汚水")]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _higher(a: str, b: str) -> str:
    return min(a or "normal", b or "normal", key=PRIORITY_ORDER.index)


class Row:
    def __init__(self, text: str, categories: set[str], priority: str) -> None:
        self.text, self.categories, self.priority = text, categories, priority


def _core(rng: random.Random, exclude: set[str] | None = None) -> tuple[str, set[str], str]:
    while True:
        text, cats, priority = rng.choice(P.CORES)
        labels = set(cats.split(";"))
        if not exclude or not labels & exclude:
            return text, labels, priority or "normal"


def _compose(rng: random.Random) -> Row:
    text, cats, priority = _core(rng)
    parts = [text]
    if "other" not in cats and rng.random() < 0.3:  # a second thing in the same complaint
        text2, cats2, p2 = _core(rng, exclude=cats | {"other"})
        parts.append(rng.choice(["而且", "另外", "还有", "同时", "再就是", "此外"]) + text2)
        cats |= cats2
        priority = _higher(priority, p2)
    addons: list[str] = []
    if "other" not in cats:
        fits = [a for a in P.EMERGENCY_ADDONS if cats & set(a[2])]
        roll = rng.random()
        if fits and roll < 0.12:
            addon, extra, _ = rng.choice(fits)
            addons.append(addon)
            cats |= set(filter(None, extra.split(";")))
            priority = "emergency"
        elif roll < 0.27:
            addons.append(rng.choice(P.URGENT_ADDONS))
            priority = _higher(priority, "urgent")
        elif cats & set(NOISE) and roll < 0.42:
            addons.append(rng.choice(P.NIGHT_ADDONS))
            priority = _higher(priority, "urgent")
        if rng.random() < 0.08:
            similes = [s for s, fit in P.SIMILES if cats & set(fit)]
            if similes:
                addons.insert(0, rng.choice(similes))
        if rng.random() < 0.1:
            negated = [n for n, c in P.NEGATED if c not in cats]
            parts.insert(0, rng.choice(negated) + "，" + rng.choice(["是", "主要是", "问题是", "而是"]))
    if rng.random() < 0.5:
        addons.append(rng.choice(P.NEUTRAL_ADDONS))
    rng.shuffle(addons)
    place = rng.choice(P.PLACES) if rng.random() < 0.75 else ""
    if place in P.SENSITIVE_PLACES and "other" not in cats:
        priority = _higher(priority, "urgent")
    body = "，".join(parts)
    return Row(_register(rng, place, body, addons), cats, priority)


def _register(rng: random.Random, place: str, body: str, addons: list[str]) -> str:
    extra = "，".join(addons)
    request = rng.choice(P.REQUESTS)
    kind = rng.choices(["hotline", "order", "letter", "wechat", "form"], weights=[3, 3, 1, 3, 2])[0]
    at = (place + ("的" if rng.random() < 0.3 else "")) if place else ""
    if kind == "hotline":
        opener = rng.choice(["喂，你好，我要反映个事，", "你好，我投诉一下，", "喂？环保局吗，", "那个，我想说一下，", ""])
        filler = rng.choice(["就是", "那个", "嗯，", ""])
        return f"{opener}{filler}{at}{body}{'，' + extra if extra else ''}，{request}。"
    if kind == "order":
        who = rng.choice(["来电人反映：", "市民来电反映，", "来电人称", "群众来电反映："])
        ask = rng.choice(["来电人诉求：", "来电人希望", "诉求："])
        return f"{who}{at}{body}。{extra + '。' if extra else ''}{ask}{request.removeprefix('希望')}。"
    if kind == "letter":
        return (f"尊敬的领导：您好！我是{place or '本市'}的居民，{body}。{extra + '。' if extra else ''}"
                f"恳请贵局{request}。此致敬礼！")
    if kind == "wechat":
        text = f"{at}{body}{' ' + extra if extra else ''}{rng.choice(P.EMOJI)}"
        for plain, dialect in P.DIALECT:
            if plain in text and rng.random() < 0.35:
                text = text.replace(plain, dialect, 1)
        return text.replace("，", rng.choice([" ", "，", ","]))
    return f"{body}。{'地点：' + place + '。' if place else ''}{extra + '。' if extra else ''}"


def _noise(rng: random.Random, text: str) -> str:
    """Typos, traditional characters and full-width digits, as they arrive."""
    for right, wrong in MISSPELL:
        if right in text and rng.random() < 0.25:
            text = text.replace(right, wrong, 1)
    roll = rng.random()
    if roll < 0.07:
        text = zhconv.convert(text, "zh-hant")
    elif roll < 0.12:
        cut = rng.randrange(len(text))
        text = text[:cut] + zhconv.convert(text[cut:], "zh-hant")
    if rng.random() < 0.1:
        text = text.translate(FULL_WIDTH)
    return unicodedata.normalize("NFC", text)


def generate(rows: int, seed: int) -> list[Row]:
    rng = random.Random(seed)
    out: list[Row] = []
    seen: set[str] = set()
    while len(out) < rows:
        row = _compose(rng)
        row.text = _noise(rng, row.text)
        if row.text in seen:
            continue
        seen.add(row.text)
        out.append(row)
    return out


def write(rows: list[Row], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["text", "categories", "priority"])
        for row in rows:
            writer.writerow([row.text, ";".join(sorted(row.categories)), row.priority])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=7000)
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "generated.csv")
    args = parser.parse_args()
    write(generate(args.rows, args.seed), args.out)
    print(f"wrote {args.rows} rows to {args.out}")


if __name__ == "__main__":
    main()

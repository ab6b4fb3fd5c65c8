"""Labels the classifier learns from besides its corpus: operators' corrections and a bureau's history.

* ``record_correction``: an operator at the intake seat or on the case page says what a complaint
  really is; the label is stored in ``classification_labels`` (source ``correction``) with what the
  model had said and its version, and the complaint's own categories and priority are set to it.
* ``import_history``: a 12369 / 12345 export with a category column; the bureau's labels are
  mapped to ours with the editable table ``ingest/data/label_mapping.csv``; rows whose label has no
  mapping are reported, never guessed; re-importing the same row adds nothing (fingerprint).
* ``training_labels``: every stored label as training rows (the newest correction of a complaint wins).

Service functions own their transaction; the dashboard calls these, it holds no SQL on these tables.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg

from envpetition.errors import InvalidInput, NotFound
from ingest.classify import CATEGORIES, PRIORITIES
from ingest.fields import HEADER_ALIASES
from ingest.training import Labelled

INSERT_LABEL = """
insert into classification_labels (source, text, categories, priority, complaint_id, predicted_categories,
                                   predicted_priority, model_version, external_label, note, actor, created_at, fingerprint)
values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
on conflict (fingerprint) where fingerprint is not null do nothing
returning id
"""
COMPLAINT_FOR_LABEL = "select text, categories, priority, model_version from complaints where id = %s"
SET_COMPLAINT_LABEL = "update complaints set categories = %s, priority = %s, urgent = %s, review_reason = null where id = %s"
ALL_LABELS = """
select distinct on (coalesce(complaint_id::text, 'h' || id::text)) text, categories, priority, source
from classification_labels
order by coalesce(complaint_id::text, 'h' || id::text), created_at desc, id desc
"""
LABELS_OF_COMPLAINT = """
select id, categories, priority, predicted_categories, predicted_priority, model_version, actor, created_at, note
from classification_labels where complaint_id = %s order by created_at desc, id desc
"""
CATEGORY_HEADERS = ("投诉类别", "问题类别", "举报类型", "污染类型", "类别", "诉求类别", "事项分类", "category", "service_code")
PRIORITY_HEADERS = ("紧急程度", "优先级", "priority")
PRIORITY_WORDS = {"特急": "emergency", "紧急": "emergency", "急": "urgent", "加急": "urgent", "一般": "normal",
                  "普通": "normal", "emergency": "emergency", "urgent": "urgent", "normal": "normal"}


def check_labels(categories: Iterable[str], priority: str) -> list[str]:
    """Our category codes in canonical order; raise InvalidInput for unknown ones or a bad mix."""
    chosen = [c.strip() for c in categories if c and c.strip()]
    unknown = sorted(set(chosen) - set(CATEGORIES))
    if unknown:
        raise InvalidInput(f"未知类别 unknown categories: {', '.join(unknown)}")
    if not chosen:
        raise InvalidInput("至少选择一个类别 choose at least one category")
    if "other" in chosen and len(set(chosen)) > 1:
        raise InvalidInput("“其他”不能与其他类别同时选择 other cannot be combined with another category")
    if priority not in PRIORITIES:
        raise InvalidInput(f"未知紧急程度 unknown priority: {priority}")
    return [c for c in CATEGORIES if c in chosen]


def record_correction(conn: psycopg.Connection[Any], complaint_id: int, *, categories: Iterable[str], priority: str,
                      actor: str, now: datetime, note: str | None = None) -> int:
    """Store an operator's labels for a complaint and apply them to it; return the label id."""
    chosen = check_labels(categories, priority)
    with conn.transaction():
        row = conn.execute(COMPLAINT_FOR_LABEL + " for update", (complaint_id,)).fetchone()
        if row is None:
            raise NotFound(f"投诉 {complaint_id} 不存在 / complaint {complaint_id} not found")
        text, predicted, predicted_priority, version = row
        found = conn.execute(INSERT_LABEL, ("correction", text, chosen, priority, complaint_id, predicted,
                                            predicted_priority, version, None, note, actor, now, None)).fetchone()
        conn.execute(SET_COMPLAINT_LABEL, (chosen, priority, priority != "normal", complaint_id))
    assert found is not None
    return int(found[0])


def corrections_of(conn: psycopg.Connection[Any], complaint_id: int) -> list[dict[str, Any]]:
    """The labels operators gave a complaint, newest first."""
    cur = conn.execute(LABELS_OF_COMPLAINT, (complaint_id,))
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def training_labels(conn: psycopg.Connection[Any]) -> list[Labelled]:
    """Stored labels as training rows; for a complaint only its newest correction counts."""
    return [Labelled(text, frozenset(cats), priority, source) for text, cats, priority, source
            in conn.execute(ALL_LABELS).fetchall()]


# --- a bureau's labelled history -------------------------------------------------------------------

def default_mapping_path() -> Path:
    return Path(str(resources.files("ingest") / "data" / "label_mapping.csv"))


def load_label_mapping(path: str | Path | None = None) -> dict[str, list[str]]:
    """The bureau's label → our categories (``label,categories``; categories separated by ``;``)."""
    mapping: dict[str, list[str]] = {}
    with Path(path or default_mapping_path()).open(encoding="utf-8-sig", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), start=2):
            label = (row.get("label") or "").strip()
            if not label or label.startswith("#"):
                continue
            cats = [c.strip() for c in (row.get("categories") or "").split(";") if c.strip()]
            unknown = set(cats) - set(CATEGORIES)
            if unknown or not cats:
                raise ValueError(f"label_mapping.csv line {n}: {label!r} maps to unknown {sorted(unknown) or cats}")
            mapping[_key(label)] = cats
    return mapping


def _key(label: str) -> str:
    return "".join(label.split()).lower()


@dataclass
class HistorySummary:
    rows: int = 0
    imported: int = 0
    already: int = 0
    unmapped: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "already": self.already,
                "unmapped": dict(self.unmapped.most_common()), "skipped": dict(self.skipped.most_common())}


def _column(headers: list[str], names: Iterable[str]) -> str | None:
    by_key = {_key(h): h for h in headers}
    return next((by_key[_key(n)] for n in names if _key(n) in by_key), None)


def map_history_row(row: dict[str, str], text_col: str, category_col: str, priority_col: str | None,
                    mapping: dict[str, list[str]]) -> tuple[str, list[str], str, str] | str:
    """(text, categories, priority, bureau label) of one export row, or why it cannot be used."""
    text = (row.get(text_col) or "").strip()
    if not text:
        return "missing content"
    label = (row.get(category_col) or "").strip()
    categories: list[str] = []
    for part in label.replace("；", ";").replace("、", ";").replace("/", ";").split(";"):
        cats = mapping.get(_key(part))
        if part.strip() and cats is None:
            return f"unmapped:{part.strip()}"
        categories.extend(cats or [])
    if not categories:
        return "missing category"
    raw_priority = (row.get(priority_col) or "").strip() if priority_col else ""
    priority = PRIORITY_WORDS.get(raw_priority.lower(), "normal")
    chosen = [c for c in CATEGORIES if c in categories]
    if "other" in chosen and len(chosen) > 1:
        chosen.remove("other")
    return text, chosen, priority, label


def import_history(conn: psycopg.Connection[Any], path: str | Path, *, actor: str, now: datetime,
                   mapping_path: str | Path | None = None) -> HistorySummary:
    """Store a labelled 12369/12345 export (CSV, UTF-8 or GB18030) as training labels."""
    mapping = load_label_mapping(mapping_path)
    rows, headers = _read_table(Path(path))
    text_col = _column(headers, HEADER_ALIASES["text"])
    category_col = _column(headers, CATEGORY_HEADERS)
    if text_col is None or category_col is None:
        raise InvalidInput(f"{Path(path).name}: needs a content column and a category column ({'/'.join(CATEGORY_HEADERS[:5])})")
    priority_col = _column(headers, PRIORITY_HEADERS)
    summary = HistorySummary()
    with conn.transaction():
        for row in rows:
            summary.rows += 1
            mapped = map_history_row(row, text_col, category_col, priority_col, mapping)
            if isinstance(mapped, str):
                if mapped.startswith("unmapped:"):
                    summary.unmapped[mapped.removeprefix("unmapped:")] += 1
                else:
                    summary.skipped[mapped] += 1
                continue
            text, categories, priority, label = mapped
            fingerprint = hashlib.sha256(f"history|{text}|{label}|{priority}".encode()).hexdigest()
            inserted = conn.execute(INSERT_LABEL, ("history", text, categories, priority, None, None, None, None, label,
                                                   Path(path).name, actor, now, fingerprint)).fetchone()
            if inserted is None:
                summary.already += 1
            else:
                summary.imported += 1
    return summary


def _read_table(path: Path) -> tuple[list[dict[str, str]], list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput(f"{path.name}: not UTF-8 or GB18030 text")
    reader = csv.DictReader(text.splitlines())
    return list(reader), list(reader.fieldnames or [])

"""Build one bulletin: figures → tables and charts → .docx, .xlsx and .html."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from analytics.bulletin.charts import bulletin_charts
from analytics.bulletin.figures import bulletin_figures
from analytics.bulletin.tables import bulletin_tables
from analytics.bulletin.writers import write_docx, write_html, write_xlsx
from analytics.periods import Period


@dataclass
class Bulletin:
    period: Period
    figures: dict[str, Any]
    docx: bytes
    xlsx: bytes
    html: str
    seconds: dict[str, float]

    @property
    def stem(self) -> str:
        return f"bulletin-{self.period.kind}-{self.period.key}"

    def write(self, folder: str | Path) -> list[Path]:
        """Write the three files (and the figures as JSON) into ``folder``; return the paths."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / f"{self.stem}.docx", out / f"{self.stem}.xlsx", out / f"{self.stem}.html", out / f"{self.stem}.json"]
        paths[0].write_bytes(self.docx)
        paths[1].write_bytes(self.xlsx)
        paths[2].write_text(self.html, encoding="utf-8")
        paths[3].write_text(json.dumps(self.figures, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        return paths


def build_bulletin(conn: Any, period: Period, *, now: datetime) -> Bulletin:
    """Read the figures for ``period`` as seen at ``now`` and render all three documents."""
    t0 = time.perf_counter()
    figures = bulletin_figures(conn, period, now=now)
    t1 = time.perf_counter()
    tables = bulletin_tables(figures)
    charts = bulletin_charts(figures)
    t2 = time.perf_counter()
    docx, xlsx, html = write_docx(figures, tables, charts), write_xlsx(figures, tables), write_html(figures, tables, charts)
    t3 = time.perf_counter()
    return Bulletin(period, figures, docx, xlsx, html,
                    {"figures": round(t1 - t0, 3), "charts": round(t2 - t1, 3), "documents": round(t3 - t2, 3)})

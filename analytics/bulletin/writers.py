"""Write a bulletin as Word (.docx), Excel (.xlsx) and HTML, from the same tables and charts."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from analytics.bulletin.tables import Table
from analytics.periods import KIND_LABELS

TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                        autoescape=select_autoescape(["html"]))
CHART_AFTER = {"channels": "channels", "categories": "categories", "hotspots": "hotspots"}
ISSUER = "市生态环境局"
DOC_ROWS = 30  # longer lists are cut in Word and HTML; the workbook has every row


def title_of(f: dict[str, Any]) -> str:
    return f"{ISSUER}环境信访投诉{KIND_LABELS[f['period']['kind']]}（{f['period']['label']}）"


def summary_text(f: dict[str, Any]) -> str:
    """The opening paragraph, every number taken from the figures."""
    t = f["intake"]["totals"]
    row = f["intake"]["rows"][0]
    hot = "、".join(r["name"] for r in f["hotspots"]["hot"][:5]) or "无"
    mom = "—" if row["mom"] is None else f"{row['mom'] * 100:+.1f}%"
    yoy = "—" if row["yoy"] is None else f"{row['yoy'] * 100:+.1f}%"
    return (f"{f['period']['label']}，全市共受理环境信访投诉 {t['received']} 件（环比 {mom}，同比 {yoy}），"
            f"其中合并重复件 {t['duplicates']} 件，立案办理 {t['with_case']} 件，转办 {f['intake']['transferred']} 件。"
            f"经 Gi* 热点分析（FDR 校正），热点小区：{hot}。")


def cut_note(table: Table) -> str:
    """The note under a list that Word and HTML show only in part."""
    if len(table.rows) <= DOC_ROWS:
        return ""
    return f"（共 {len(table.rows)} 项，此处列前 {DOC_ROWS} 项，完整清单见 Excel 附表「{table.key}」。）"


def write_xlsx(f: dict[str, Any], tables: list[Table]) -> bytes:
    """One sheet per table, the period and generation time written at the top of each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for table in tables:
        ws = wb.create_sheet(table.key[:31])
        ws.append([table.title])
        ws["A1"].font = Font(bold=True)
        ws.append([f"期间 period: {f['period']['label']} ({f['period']['key']}, {f['period']['start'][:10]} – {f['period']['end'][:10]} 不含)",
                   f"生成 generated: {f['generated_at'][:19]}"])
        ws.append(table.columns)
        for cell in ws[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            ws.append(row)
        if table.note:
            ws.append([])
            ws.append([table.note])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_docx(f: dict[str, Any], tables: list[Table], charts: dict[str, bytes]) -> bytes:
    """The Word document a bureau edits and stamps: title, summary, tables, charts as images."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(10.5)
    heading = doc.add_heading(title_of(f), level=0)
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(summary_text(f))
    for table in tables:
        doc.add_heading(table.title, level=2)
        for note in (table.note, cut_note(table)):
            if note:
                doc.add_paragraph(note).runs[0].italic = True
        grid = doc.add_table(rows=1, cols=len(table.columns))
        grid.style = "Table Grid"
        for cell, name in zip(grid.rows[0].cells, table.columns, strict=True):
            cell.text = str(name)
            cell.paragraphs[0].runs[0].bold = True
        for row in table.rows[:DOC_ROWS] or [["—"] + [""] * (len(table.columns) - 1)]:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = "" if value is None else str(value)
        chart = charts.get(CHART_AFTER.get(table.key, ""))
        if chart:
            doc.add_picture(io.BytesIO(chart), width=Cm(15))
    doc.add_paragraph(f"（本通报由系统根据存储数据自动生成，生成时间 {f['generated_at'][:16].replace('T', ' ')}）")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def write_html(f: dict[str, Any], tables: list[Table], charts: dict[str, bytes]) -> str:
    """A self-contained HTML page (charts inlined as data URIs, no external asset)."""
    images = {k: "data:image/png;base64," + base64.b64encode(v).decode() for k, v in charts.items()}
    return TEMPLATES.get_template("bulletin.html").render(
        f=f, title=title_of(f), summary=summary_text(f), tables=tables, images=images, chart_after=CHART_AFTER,
        doc_rows=DOC_ROWS, cut_note=cut_note)

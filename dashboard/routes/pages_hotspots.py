"""The hotspot home page, community pages, the bulletin archive, their exports and JSON API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from analytics.bulletin.render import build_bulletin
from analytics.bulletin.store import bulletin_document, list_bulletins, save_bulletin
from analytics.community import community_profile
from analytics.filters import CHANNEL_LABELS, GROUP_LABELS, HotspotFilter
from analytics.grid import cell_geojson
from analytics.hotspots import HotspotSettings, community_geojson, hotspot_statistics
from analytics.periods import parse_period, period_of
from analytics.trend import PATTERN_LABELS
from dashboard import queries
from dashboard.basemap import base_source, base_style
from dashboard.community_figure import calendar_heatmap, monthly_by_category
from dashboard.deps import current_user
from dashboard.exports import export_response
from dashboard.hotspot_figure import MODES, PATTERN_COLORS, hotspot_figure
from dashboard.hotspot_tables import HOTSPOT_TABLES, PageTable
from dashboard.templating import Conn, PageUser, page_role, templates
from dispatch.deadlines import PRIORITY_LABELS
from dispatch.states import STATE_LABELS
from envpetition import auth
from envpetition.areas import current_areas
from envpetition.runtime import local_now
from ingest import views as complaints_views

router = APIRouter()
Reader = Annotated[auth.User, Depends(current_user)]
LeaderPage = Annotated[auth.User, Depends(page_role(auth.LEADERS))]


def _default_period(conn: Any) -> str:
    """The month of the newest complaint (the demo's data end), else this month."""
    _, last = complaints_views.received_span(conn)
    return period_of("month", (last or local_now()).astimezone(local_now().tzinfo).date()).key


def _period_choices(conn: Any) -> list[str]:
    first, last = complaints_views.received_span(conn)
    if first is None or last is None:
        return [_default_period(conn)]
    tz = local_now().tzinfo
    month = period_of("month", first.astimezone(tz).date())
    end = period_of("month", last.astimezone(tz).date())
    months: list[str] = []
    quarters: list[str] = []
    while month.first <= end.first and len(months) < 60:
        months.append(month.key)
        quarter = period_of("quarter", month.first).key
        if quarter not in quarters:
            quarters.append(quarter)
        month = month.shifted(1)
    return months[::-1] + quarters[::-1]


def _filter(conn: Any, period: str | None, group: str | None, district: int | None, channel: str | None) -> HotspotFilter:
    try:
        return HotspotFilter.parse(period or _default_period(conn), group, district, channel)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def _districts(conn: Any) -> dict[int, str]:
    return {a.id: a.name for a in current_areas(conn, ("district",)) if a.id is not None}


def _page(request: Request, name: str, user: auth.User, **context: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, "role_label": auth.ROLE_LABELS[user.role],
                                                      **context})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def home(request: Request, conn: Conn, user: PageUser, period: str | None = None, group: str | None = None,
         district: int | None = None, channel: str | None = None, mode: str = "gi") -> Response:
    """The hotspot page: the map, the ranked table, the repeat lists, the newest cases."""
    flt = _filter(conn, period, group, district, channel)
    stats = hotspot_statistics(conn, flt)
    points = complaints_views.complaint_points(conn, flt.complaints(), limit=3000)
    figure = hotspot_figure(stats, community_geojson(conn, flt.district_id), cell_geojson(stats["cells"]), points,
                            mode=mode if mode in MODES else "gi")
    # The city's base map under the statistics; the communities are filled by the statistics themselves.
    figure.update_layout(map_style=base_style(base_source(conn), request.app.state.settings, hide=("community-fill",)))
    tables = [build(stats) for build in HOTSPOT_TABLES.values()]
    return _page(request, "hotspots.html", user, flt=flt, stats=stats, figure=figure.to_json(), tables=tables,
                 query=flt.query_string(), periods=_period_choices(conn), groups=GROUP_LABELS,
                 channels=CHANNEL_LABELS, districts=_districts(conn), mode=mode,
                 legend=[(PATTERN_LABELS[k], c) for k, c in PATTERN_COLORS.items()],
                 cases=_latest_cases(conn))


@router.get("/communities/{community_id}", response_class=HTMLResponse, include_in_schema=False)
def community_page(request: Request, community_id: int, conn: Conn, user: PageUser, period: str | None = None,
                   group: str | None = None, channel: str | None = None) -> Response:
    """One community: monthly series by category, calendar heatmap, enterprises around, open cases."""
    flt = _filter(conn, period, group, None, channel)
    profile = community_profile(conn, community_id, flt)  # NotFound → 404
    return _page(request, "community.html", user, flt=flt, p=profile, query=flt.query_string(),
                 tables=_community_tables(profile), monthly=monthly_by_category(profile).to_json(),
                 calendar=calendar_heatmap(profile).to_json())


def _latest_cases(conn: Any) -> PageTable:
    """The newest cases (all filters aside: the case list is not a hotspot statistic)."""
    rows = queries.case_list(conn, state=None, limit=20, offset=0)
    return PageTable("latest_cases", "最新案件 latest cases", ["编号", "登记时间", "优先级", "状态", "层级", "事项", "小区", "执法队"],
                     [[c["id"], f"{c['opened_at']:%Y-%m-%d %H:%M}", PRIORITY_LABELS.get(c["priority"], c["priority"]),
                       STATE_LABELS.get(c["state"], c["state"]), c["level"], c["title"], c["community"] or "", c["team"] or ""]
                      for c in rows], [f"/cases/{c['id']}" for c in rows])


def _community_tables(p: dict[str, Any]) -> list[PageTable]:
    months = p["steps"]
    labels = sorted({r["label"] for r in p["monthly"]})
    grid = {(r["month"], r["label"]): r["n"] for r in p["monthly"]}
    return [
        PageTable("community_monthly", f"{p['area']['name']} 逐月分类件数 monthly by category", ["月份", *labels],
                  [[m, *[grid.get((m, lab), 0) for lab in labels]] for m in months]),
        PageTable("community_enterprises", "周边企业 enterprises around", ["企业", "行业", "距离(m)"],
                  [[e["name"], e["industry"] or "", e["distance_m"]] for e in p["enterprises"]]),
        PageTable("community_cases", "未办结案件 open cases", ["案件", "事项", "状态", "层级", "执法队", "登记", "最近时限"],
                  [[c["id"], c["title"], STATE_LABELS.get(c["state"], c["state"]), c["level"], c["team"] or "", f"{c['opened_at']:%Y-%m-%d %H:%M}",
                    f"{c['next_due']:%Y-%m-%d %H:%M}" if c["next_due"] else ""] for c in p["open_cases"]],
                  [f"/cases/{c['id']}" for c in p["open_cases"]]),
    ]


@router.get("/exports/{table}.{fmt}", include_in_schema=False)
def export_table(table: str, fmt: str, conn: Conn, user: PageUser, period: str | None = None, group: str | None = None,
                 district: int | None = None, channel: str | None = None, community: int | None = None) -> Response:
    """Any table of the hotspot, community or bulletin pages, as filtered there, with the filter in the file."""
    flt = _filter(conn, period, group, district, channel)
    names = _districts(conn)
    filters = flt.describe(names.get(flt.district_id) if flt.district_id else None)
    if table in HOTSPOT_TABLES:
        t = HOTSPOT_TABLES[table](hotspot_statistics(conn, flt))
    elif table.startswith("community_") and community:
        found = [x for x in _community_tables(community_profile(conn, community, flt)) if x.key == table]
        if not found:
            raise HTTPException(404, f"未知表格 {table!r} / unknown table")
        t = found[0]
        filters["小区 community"] = str(community)
    elif table == "latest_cases":
        t = _latest_cases(conn)
        filters = {"范围 scope": "最新 20 件案件 the 20 newest cases"}
    elif table == "bulletins":
        t = _bulletin_table(list_bulletins(conn))
        filters = {"全部 all": "已发布通报 issued bulletins"}
    else:
        raise HTTPException(404, f"未知表格 {table!r} / unknown table")
    return export_response(f"{t.key}-{flt.period.key}", t.title, filters, t.columns, t.rows, fmt, local_now())


def _bulletin_table(rows: list[dict[str, Any]]) -> PageTable:
    kinds = {"week": "周报", "month": "月报", "quarter": "季报"}
    triggers = {"schedule": "定时", "cli": "命令行", "page": "页面"}
    return PageTable("bulletins", "已发布通报 issued bulletins", ["编号", "类型", "期间", "发布时间", "方式", "Word", "Excel", "HTML"],
                     [[r["id"], kinds.get(r["kind"], r["kind"]), r["period_key"], f"{r['issued_at']:%Y-%m-%d %H:%M}",
                       triggers.get(r["trigger"], r["trigger"]), f"/bulletins/{r['id']}.docx", f"/bulletins/{r['id']}.xlsx",
                       f"/bulletins/{r['id']}.html"] for r in rows])


@router.get("/bulletins", response_class=HTMLResponse, include_in_schema=False)
def bulletins_page(request: Request, conn: Conn, user: PageUser, error: str | None = None) -> Response:
    """Every issued bulletin, for download; leaders may issue one now."""
    rows = list_bulletins(conn)
    return _page(request, "bulletins.html", user, rows=rows, table=_bulletin_table(rows), error=error,
                 can_issue=auth.may(user.role, auth.LEADERS), default=_default_period(conn))


@router.post("/bulletins", include_in_schema=False)
def issue_bulletin(conn: Conn, user: LeaderPage, period: Annotated[str, Form()]) -> Response:
    """Build and keep a bulletin for ``period`` now (2026-09, 2026-W37, 2026-Q3)."""
    try:
        parsed = parse_period(period)
    except ValueError:
        return RedirectResponse("/bulletins?error=period", status_code=303)
    now = local_now()
    save_bulletin(conn, build_bulletin(conn, parsed, now=now), issued_at=now, trigger="page")
    return RedirectResponse("/bulletins", status_code=303)


@router.get("/bulletins/{bulletin_id}.{fmt}", include_in_schema=False)
def bulletin_download(bulletin_id: int, fmt: str, conn: Conn, user: PageUser) -> Response:
    body, filename = bulletin_document(conn, bulletin_id, fmt)  # NotFound → 404
    media = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "html": "text/html; charset=utf-8"}[fmt]
    disposition = "inline" if fmt == "html" else f"attachment; filename=\"{filename}\""
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


# --- JSON API -------------------------------------------------------------------------------------
@router.get("/api/hotspots", tags=["analytics"])
def api_hotspots(conn: Conn, user: Reader, period: str, group: str | None = None, district: int | None = None,
                 channel: str | None = None, months: int = HotspotSettings.months) -> dict[str, Any]:
    """Hotspot statistics (the same figures as ``envpetition hotspots --json``)."""
    if not 1 <= months <= 60:
        raise HTTPException(422, "months must be between 1 and 60")
    return hotspot_statistics(conn, _filter(conn, period, group, district, channel), HotspotSettings(months=months))


@router.get("/api/bulletins", tags=["analytics"])
def api_bulletins(conn: Conn, user: Reader) -> list[dict[str, Any]]:
    """Issued bulletins with their parameters (documents at /bulletins/{id}.docx|xlsx|html)."""
    return list_bulletins(conn)


@router.get("/api/bulletins/figures", tags=["analytics"])
def api_bulletin_figures(conn: Conn, user: Reader, period: str) -> dict[str, Any]:
    """Every figure a bulletin for ``period`` would print, computed now."""
    from analytics.bulletin.figures import bulletin_figures

    try:
        parsed = parse_period(period)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    return bulletin_figures(conn, parsed, now=local_now())

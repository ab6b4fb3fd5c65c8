"""Commands this package adds to ``envpetition`` (registered by envpetition/cli.py).

    envpetition areas import FILE [--kind K] [--crs EPSG:n|gcj02|bd09] [--json]
    envpetition complaints import FILE [--format ...] [--mapping M] [--channel NAME] [--json] [--results OUT.jsonl]
    envpetition complaints quarantine [--kind needs_location] [--json]
    envpetition complaints vote TOKEN --verdict V [--comment C]
    envpetition areas locate --lon X --lat Y [--crs ...] [--json]
    envpetition classify text TEXT [--json]   envpetition classify eval [--json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

import click

from envpetition.cli_output import domain_errors, echo_json
from envpetition.settings import Settings


@click.group("areas")
def areas_group() -> None:
    """The city's polygons: communities, enterprises, grids, districts."""


@areas_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["community", "enterprise", "grid", "district"]), default=None,
              help="Kind for features that do not say (property 'kind').")
@click.option("--crs", default=None, help="Override the file's CRS: EPSG:n, gcj02 or bd09.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def areas_import(settings: Settings, file: Path, kind: str | None, crs: str | None, as_json: bool) -> None:
    """Import FILE (GeoJSON, Shapefile, GeoPackage); re-import updates in place and keeps old versions."""
    from envpetition.runtime import local_now, ready_connection
    from ingest.areas_import import AreaFileError, import_areas

    with ready_connection(settings) as conn:
        try:
            summary = import_areas(conn, file, now=local_now(), kind=kind, crs=crs)
        except AreaFileError as exc:
            raise click.ClickException(str(exc)) from exc
    data = summary.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(f"{file.name}: {data['features']} features, {data['created']} created, {data['updated']} updated, "
               f"{data['unchanged']} unchanged, {data['repaired']} repaired, {data['rejected']} rejected, "
               f"{data['teams_linked']} teams linked")
    for rejection in data["rejections"]:
        click.echo(f"  rejected feature {rejection['feature']} {rejection['name'] or ''}: {rejection['reason']}")


@click.group("complaints")
def complaints_group() -> None:
    """Complaint intake from every channel."""


@complaints_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["auto", "12369", "12345", "letters", "open311", "mapped"]),
              default="auto", show_default=True)
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Column-mapping file (TOML or JSON) for --format mapped.")
@click.option("--channel", default=None, help="Channel name stored with each complaint (default from the format).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--results", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write one JSON line per input row here.")
@click.option("--batch-size", type=int, default=2000, show_default=True)
@click.option("--backfill", is_flag=True,
              help="History import: register each case at its complaint's receipt time, not now.")
@click.pass_obj
def complaints_import(settings: Settings, file: Path, fmt: str, mapping: Path | None, channel: str | None,
                      as_json: bool, results: Path | None, batch_size: int, backfill: bool) -> None:
    """Import an export FILE: 12369 CSV/XLSX, 12345 JSON, letters CSV, Open311 JSON, or a mapped CSV."""
    from envpetition.runtime import local_now, ready_connection
    from ingest.batch import IntakeContext, RowResult
    from ingest.importer import import_file
    from ingest.readers import ImportFileError, Mapping

    handle: IO[str] | None = results.open("w", encoding="utf-8") if results else None

    def write_result(result: RowResult) -> None:
        assert handle is not None
        handle.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")

    try:
        with ready_connection(settings) as conn:
            try:
                loaded = Mapping.load(mapping) if mapping else None
                if fmt == "mapped" and loaded is None:
                    raise ImportFileError("--format mapped needs --mapping FILE")
                ctx = IntakeContext.load(conn, backfill=backfill)
                summary = import_file(
                    conn, file, now=local_now(), fmt="mapped" if loaded and fmt == "auto" else fmt, mapping=loaded,
                    channel=channel, ctx=ctx, batch_size=batch_size,
                    on_result=write_result if handle else None,
                )
            except ImportFileError as exc:
                raise click.ClickException(str(exc)) from exc
    finally:
        if handle:
            handle.close()
    data = summary.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(f"{file.name} ({data['format']}, channel {data['channel']}): {data['rows']} rows, "
               f"{data['accepted']} accepted, {data['duplicates']} duplicates, {data['repeats']} repeats, "
               f"{data['quarantined']} quarantined, {data['cases_opened']} cases opened")
    for reason, count in data["quarantined_reasons"].items():
        click.echo(f"  quarantined {count}: {reason}")


@complaints_group.command("vote")
@click.argument("receipt")
@click.option("--verdict", type=click.Choice(["satisfied", "basically_satisfied", "unsatisfied"]), required=True)
@click.option("--comment")
@click.pass_obj
@domain_errors
def complaints_vote(settings: Settings, receipt: str, verdict: str, comment: str | None) -> None:
    """Record the complainant's satisfaction vote by their RECEIPT token ("unsatisfied" reopens the case)."""
    from envpetition.runtime import local_now, ready_connection
    from ingest.intake import vote_by_receipt

    with ready_connection(settings) as conn:
        echo_json(vote_by_receipt(conn, receipt, verdict, now=local_now(), comment=comment))


@complaints_group.command("quarantine")
@click.option("--kind", type=click.Choice(["bad_row", "bad_file", "needs_location", "bad_area"]), default=None)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def complaints_quarantine(settings: Settings, kind: str | None, limit: int, as_json: bool) -> None:
    """List open quarantine rows (raw row with identity masked, and the reason)."""
    from envpetition.runtime import ready_connection
    from ingest.quarantine_view import open_quarantine

    with ready_connection(settings) as conn:
        rows = open_quarantine(conn, kind=kind, limit=limit)
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"#{row['id']} [{row['kind']}] {row['source']} row {row['row_no']}: {row['reason']}")


@areas_group.command("locate")
@click.option("--lon", type=float, required=True)
@click.option("--lat", type=float, required=True)
@click.option("--crs", default="wgs84", show_default=True, help="wgs84, gcj02, bd09 or EPSG:n")
@click.option("--radius", type=float, default=1000.0, show_default=True, help="Nearby enterprises radius (m).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def locate(settings: Settings, lon: float, lat: float, crs: str, radius: float, as_json: bool) -> None:
    """Where one point is: community, enterprise, grid, district, nearby enterprises, boundary flag."""
    from envpetition.areas import current_areas
    from envpetition.geo_crs import UnknownCRS, parse_crs, to_wgs84
    from envpetition.geo_locate import Locator
    from envpetition.runtime import ready_connection

    try:
        source = parse_crs(crs)
    except UnknownCRS as exc:
        raise click.ClickException(str(exc)) from exc
    x, y = to_wgs84([lon], [lat], source)
    with ready_connection(settings) as conn:
        found = Locator(current_areas(conn), nearby_radius_m=radius).locate(x, y)[0]
    data = {"input": {"lon": lon, "lat": lat, "crs": source}, **found.as_dict()}
    if as_json:
        echo_json(data)
        return
    click.echo(f"WGS-84 {data['lon']}, {data['lat']}: community {data['community'] or '-'}, enterprise "
               f"{data['enterprise'] or '-'}, grid {data['grid'] or '-'} ({data['team'] or '-'}), district "
               f"{data['district'] or '-'}{', NEAR BOUNDARY' if data['near_boundary'] else ''}")
    for n in data["nearby_enterprises"]:
        click.echo(f"  {n['distance_m']:>7.0f} m  {n['name']}")


@click.group("classify")
def classify_group() -> None:
    """The complaint classifier: one text, or the evaluation set."""


@classify_group.command("text")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True)
def classify(text: str, as_json: bool) -> None:
    """Categories and urgency of one complaint TEXT (no database needed)."""
    from ingest.classify import as_dict, default_classifier

    result = default_classifier().classify(text)
    data = {**as_dict(result), "matched": result.matched}
    if as_json:
        echo_json(data)
    else:
        click.echo(f"{', '.join(result.categories)}  priority {result.priority}  signals {', '.join(result.signals) or '-'}")


@classify_group.command("eval")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lexicon", type=click.Path(exists=True, file_okay=False), default=None, help="Lexicon folder to test.")
def classify_eval(as_json: bool, lexicon: str | None) -> None:
    """Per-category precision and recall on the hand-labelled evaluation set."""
    from ingest.evaluate import evaluate, format_table

    report = evaluate(lexicon)
    if as_json:
        echo_json(report)
    else:
        click.echo(format_table(report))
    sys.exit(0)


COMMANDS: list[click.Command] = [areas_group, complaints_group, classify_group]

"""The ``envpetition classify`` command group.

    envpetition classify text TEXT [--json] [--explain]
    envpetition classify eval [--eval-file F] [--model M] [--json]
    envpetition classify train [--corpus-only] [--out-dir D] [--no-promote] [--json]
    envpetition classify import-history FILE [--mapping M] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from envpetition.cli_output import echo_json
from envpetition.settings import Settings


@click.group("classify")
def classify_group() -> None:
    """The complaint classifier: one text, the evaluation, training, a bureau's labelled history."""


@classify_group.command("text")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True)
@click.option("--explain", is_flag=True, help="Also print why each label (lexicon terms, n-grams, rules).")
def classify_text(text: str, as_json: bool, explain: bool) -> None:
    """Categories, priority and the reasons for one complaint TEXT (no database needed)."""
    from ingest.classifier_model import as_dict, default_model_classifier

    classifier = default_model_classifier()
    result = classifier.classify(text)
    data = {**as_dict(result), "matched": result.matched}
    if explain:
        data["explain"] = classifier.explain(text)
    if as_json:
        echo_json(data)
        return
    click.echo(f"{', '.join(result.categories)}  priority {result.priority}  model {result.model_version}")
    if result.review:
        click.echo(f"  review: {result.review}")
    for reason in result.rule_reasons:
        click.echo(f"  rule: {reason}")
    if explain:
        for label in data["explain"]["labels"]:
            click.echo(f"  {label['category']} p={label['probability']}: lexicon {'、'.join(label['lexicon']) or '-'}; "
                       f"n-grams {'、'.join(label['ngrams']) or '-'}")


@classify_group.command("eval")
@click.option("--eval-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Evaluation CSV (default: the frozen set ingest/data/eval/frozen_eval.csv).")
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Model file (default: the active model).")
@click.option("--lexicon", type=click.Path(exists=True, file_okay=False), default=None, help="Lexicon folder to test.")
@click.option("--json", "as_json", is_flag=True)
def classify_eval(eval_file: Path | None, model_path: Path | None, lexicon: str | None, as_json: bool) -> None:
    """Per-category P/R/F1, macro/micro F1, exact match, priority recall: model and lexicon baseline."""
    from ingest.eval_report import format_report, run

    try:
        report = run(eval_file, model_path=model_path, lexicon_dir=lexicon)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        echo_json(report)
    else:
        click.echo(format_report(report))
    sys.exit(0)


@classify_group.command("train")
@click.option("--corpus-only", is_flag=True, help="Train on the repository's corpus only (no database).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where versioned model files go (default: ingest/data/model).")
@click.option("--no-promote", is_flag=True, help="Write the versioned file; do not replace the active model.")
@click.option("--eval-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def classify_train(settings: Settings, corpus_only: bool, out_dir: Path | None, no_promote: bool,
                   eval_file: Path | None, as_json: bool) -> None:
    """Retrain from the corpus, imported history and corrections; promote only if at least as good."""
    from ingest.model_store import promote, train_versioned

    extra = []
    if not corpus_only:
        from envpetition.runtime import ready_connection
        from ingest.corrections import training_labels

        with ready_connection(settings) as conn:
            extra = training_labels(conn)
    path = train_versioned(extra, out_dir=out_dir)
    data: dict[str, Any] = {"model_file": str(path), "version": path.stem.removeprefix("classifier-"),
                            "extra_labels": len(extra)}
    if not no_promote:
        data["promotion"] = promote(path, eval_path=eval_file)
    if as_json:
        echo_json(data)
        return
    click.echo(f"trained {data['model_file']} (version {data['version']}, {len(extra)} labels from the database)")
    if "promotion" in data:
        click.echo(f"  {data['promotion']['decision']}")


@classify_group.command("import-history")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Label mapping CSV (default: ingest/data/label_mapping.csv).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def classify_import_history(settings: Settings, file: Path, mapping: Path | None, as_json: bool) -> None:
    """Store a bureau's labelled 12369/12345 export as training labels (their category → ours)."""
    from envpetition.errors import InvalidInput
    from envpetition.runtime import local_now, ready_connection
    from ingest.corrections import import_history

    with ready_connection(settings) as conn:
        try:
            summary = import_history(conn, file, actor="cli", now=local_now(), mapping_path=mapping)
        except (InvalidInput, ValueError) as exc:
            raise click.ClickException(str(exc)) from exc
    data = summary.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(f"{file.name}: {data['rows']} rows, {data['imported']} labels imported, {data['already']} already there")
    for label, count in data["unmapped"].items():
        click.echo(f"  unmapped label {label!r}: {count} rows (add it to the mapping)")
    for reason, count in data["skipped"].items():
        click.echo(f"  skipped {count}: {reason}")

"""docs/cli.md is what the commands say, and no document names a command that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import click

from envpetition.cli import main
from envpetition.cli_reference import command_names, reference

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", ROOT / "Makefile", ROOT / ".ci" / "run", *sorted((ROOT / "docs").glob("*.md"))]
MENTION = re.compile(r"(?<![\w./-])envpetition((?: [a-z][a-z0-9-]*)+)")


def _resolve(words: list[str]) -> str | None:
    """The problem with ``envpetition WORDS…``, or None when the words lead to a command."""
    command: click.Command = main
    for word in words:
        if not isinstance(command, click.Group):
            return None  # the rest are arguments of a command
        if word not in command.commands:
            return f"no command {word!r} under {command.name!r}"
        command = command.commands[word]
    return None


def test_the_reference_is_current():
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == reference(main), \
        "regenerate: python -m envpetition.cli_reference > docs/cli.md"


def test_documents_name_only_commands_that_exist():
    problems, seen = [], 0
    for path in DOCUMENTS:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for match in MENTION.finditer(line):
                seen += 1
                problem = _resolve(match.group(1).split())
                if problem:
                    problems.append(f"{path.relative_to(ROOT)}:{number}: envpetition{match.group(1)}: {problem}")
    assert seen > 30  # the check really reads the documents
    assert not problems, "\n".join(problems)


def test_every_group_and_worker_is_in_the_reference():
    names = command_names(main)
    assert {"envpetition workers run monitor", "envpetition workers run dispatcher", "envpetition workers run escalation",
            "envpetition complaints import", "envpetition areas import", "envpetition classify text",
            "envpetition classify eval"} <= names
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in text for name in names if name != "envpetition")

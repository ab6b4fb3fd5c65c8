"""Write the CLI reference (docs/cli.md) from the click commands themselves.

    python -m envpetition.cli_reference > docs/cli.md

``tests/envpetition/test_cli_reference.py`` fails when the file is not what this prints, and when a
document names an ``envpetition`` command that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator

import click

HEADER = """# CLI reference / 命令行参考

Generated from the commands by `python -m envpetition.cli_reference > docs/cli.md`; do not edit by hand.
Every command prints JSON (one object a line) or text, and a refused request as `Error: …` with exit code 1.
"""


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command under ``command`` with its full name, groups before their subcommands, by name."""
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from walk(command.commands[name], (*path, name))


def _usage(path: tuple[str, ...], command: click.Command) -> str:
    ctx = click.Context(command, info_name=" ".join(("envpetition", *path)))
    return " ".join(command.collect_usage_pieces(ctx)).strip()


def _options(command: click.Command) -> list[str]:
    lines = []
    for param in command.params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        names = ", ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))
        extra = f" (default {param.default})" if param.show_default and param.default not in (None, False, ()) else ""
        lines.append(f"- {names}: {param.help or ''}{extra}".rstrip(": "))
    return lines


def reference(root: click.Command) -> str:
    """The Markdown reference of ``root`` and everything under it."""
    out = [HEADER]
    for path, command in walk(root):
        if not path:
            continue
        title = " ".join(("envpetition", *path))
        out.append(f"{'#' * min(len(path) + 1, 4)} `{title}`\n")
        out.append((command.help or "").strip().split("\n\n")[0].replace("\n", " ") + "\n")
        if not isinstance(command, click.Group):
            out.append(f"```\n{title} {_usage(path, command)}\n```\n")
            options = _options(command)
            if options:
                out.append("\n".join(options) + "\n")
    return "\n".join(out)


def command_names(root: click.Command) -> set[str]:
    """Every full command name, e.g. ``envpetition workers run monitor``."""
    return {" ".join(("envpetition", *path)) for path, _ in walk(root)}


if __name__ == "__main__":
    from envpetition.cli import main

    click.echo(reference(main), nl=False)

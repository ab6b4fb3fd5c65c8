"""Commands this package adds to ``envpetition`` (registered by envpetition/cli.py)."""

import click

COMMANDS: list[click.Command] = []

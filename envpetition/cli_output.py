"""The one way every ``envpetition`` command prints JSON and reports a refused request."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import click

from envpetition.errors import DomainError


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def echo_json(data: Any, *, err: bool = False) -> None:
    """Print ``data`` as one line of JSON (UTF-8 text as is, times in ISO 8601)."""
    click.echo(json.dumps(data, ensure_ascii=False, default=_plain), err=err)


def domain_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Print a refused request (bad input, not found, forbidden) as ``Error: …`` with exit code 1, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper

"""One-line errors for mistakes a user can make; tracebacks only with --debug."""

from __future__ import annotations

import functools
import sys

import typer

from msg_model.errors import InvalidInputError


def run_command(function):
    """Wrap a command so that an `InvalidInputError` or a missing file prints one line and exits 2."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (InvalidInputError, FileNotFoundError) as error:
            context = click_context()
            if context is not None and context.find_root().obj and context.find_root().obj.get("debug"):
                raise
            typer.echo(f"error: {error}", err=True)
            sys.exit(2)

    return wrapper


def click_context():
    import click

    return click.get_current_context(silent=True)

"""One-line errors for mistakes a user can make; tracebacks only with --debug."""

from __future__ import annotations

import functools
import inspect
import sys
import traceback

import typer

from msg_model.errors import InvalidInputError

CONTEXT_PARAMETER = "_msg_context"  # added to each command's signature so typer passes its context


def run_command(function):
    """Wrap a command so that an `InvalidInputError` or a missing file prints one line and exits 2.

    With `msg --debug` the traceback is printed in place of the line, and the exit code stays 2.
    The wrapper reads that flag from the typer context, which typer passes through an extra keyword
    parameter in the wrapper's signature.
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        context = kwargs.pop(CONTEXT_PARAMETER, None)
        try:
            return function(*args, **kwargs)
        except (InvalidInputError, FileNotFoundError) as error:
            if debug_requested(context):
                traceback.print_exc()
            else:
                typer.echo(f"error: {error}", err=True)
            sys.exit(2)

    signature = inspect.signature(function)
    extra = inspect.Parameter(CONTEXT_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), extra])
    return wrapper


def debug_requested(context: typer.Context | None) -> bool:
    if context is None:
        return False
    settings = context.find_root().obj
    return bool(settings and settings.get("debug"))

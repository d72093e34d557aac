"""The `msg` command line. Each command lives in its own module and calls the package API."""

from __future__ import annotations

import logging

import typer

from msg_cli.errors import run_command

app = typer.Typer(
    name="msg",
    help="MobileStyleGAN from a checkpoint to CoreML and TFLite phone models, validated against the float model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    ctx: typer.Context,
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks for errors."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log at DEBUG level."),
) -> None:
    """MobileStyleGAN deploy toolkit."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = {"debug": debug}


def register_commands() -> None:
    from msg_cli import commands

    for command in commands.ALL:
        app.command(name=command.name, help=command.help)(run_command(command.function))


register_commands()

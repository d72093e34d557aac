"""`msg demo [DEPLOY_DIR] --port 8000`: serve the browser demo of the TFLite models on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import typer

from mobile_demo.deploy_folder import find_demo_models
from mobile_demo.server import create_server


def demo(
    deploy_dir: Path = typer.Argument(Path("deploy"), metavar="DEPLOY_DIR", help="Folder written by `msg deploy`, holding the TFLite models and their sidecars."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port on 127.0.0.1; 0 picks a free one."),
    variant: str = typer.Option("fp32", "--variant", help="Variant of the TFLite synthesis model to run, e.g. fp32 or fp16w."),
) -> None:
    """Serve the demo page and the deploy folder's TFLite models on 127.0.0.1 until Ctrl-C."""
    models = find_demo_models(deploy_dir, variant=variant)
    server = create_server(models, port)
    typer.echo(f"serving {models.mapping.path.name} and {models.synthesis.path.name} ({models.resolution}x{models.resolution})")
    typer.echo(f"open {server.url} in a browser; press Ctrl-C to stop")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        typer.echo("stopped")
    finally:
        server.server_close()

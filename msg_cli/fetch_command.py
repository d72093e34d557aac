"""`msg fetch-pretrained`: download and verify the released FFHQ model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from msg_model import pretrained


def fetch_pretrained(
    cache_dir: Optional[Path] = typer.Option(
        None,
        "--cache-dir",
        help="Cache folder for downloaded models (default: $MSG_CACHE_DIR, else $XDG_CACHE_HOME/mobilestylegan-deploy or ~/.cache/mobilestylegan-deploy).",
    ),
) -> None:
    """Download the released FFHQ model into the cache, or verify the copy already there."""
    folder = pretrained.fetch_pretrained(pretrained.FFHQ.name, cache_dir=cache_dir)
    typer.echo(f"released FFHQ model verified in {folder}")
    typer.echo(f"licence: {pretrained.FFHQ.licence}")

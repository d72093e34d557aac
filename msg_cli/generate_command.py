"""`msg generate MODEL --seeds 0-7 --truncation 0.5 --out faces.png`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import Progress

from msg_model.atomic import check_writable
from msg_model.drawing import draw_images, save_images
from msg_model.seeds import parse_seeds
from msg_model.spec import SPEC_HELP, load_model
from msg_model.truncation import check_truncation_psi


def generate(
    model: str = typer.Argument(..., help=f"Model spec: {SPEC_HELP}."),
    seeds: str = typer.Option("0-7", "--seeds", help="Seeds, e.g. 0-7 or 0,3,5; z = RandomState(seed).randn(1, 512) as in NVlabs' generators."),
    truncation: float = typer.Option(0.5, "--truncation", help="Truncation psi: 1 keeps w, 0 draws the mean face."),
    out: Path = typer.Option(Path("faces.png"), "--out", help="Output: a picture grid (.png, .jpg, .webp) or raw float images (.npy, N x 3 x H x W)."),
    columns: Optional[int] = typer.Option(None, "--columns", min=1, max=64, help="Grid columns (default: up to 4)."),
    tile_size: Optional[int] = typer.Option(None, "--tile-size", min=16, max=4096, help="Resize each face to this many pixels in the grid."),
    trust_checkpoint: bool = typer.Option(False, "--trust-checkpoint", help="Load a checkpoint pickle that needs classes outside the safe allowlist."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache folder for the released model."),
) -> None:
    seed_list = parse_seeds(seeds)
    check_truncation_psi(truncation)
    check_writable(out)
    loaded = load_model(model, trust_checkpoint=trust_checkpoint, cache_dir=cache_dir)
    with Progress(transient=True) as progress:
        task = progress.add_task(f"drawing {len(seed_list)} faces", total=len(seed_list))
        images = draw_images(loaded, seed_list, truncation, progress=lambda: progress.advance(task))
    save_images(images, out, columns, tile_size)
    typer.echo(f"wrote {out} ({len(seed_list)} images of {images.shape[2]}x{images.shape[3]}, truncation {truncation})")

"""Rows of the quantization results table: build or reuse each variant, validate it, record its numbers.

Each row is cached as `WORKDIR/rows/KIND.json`, so an interrupted report run resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import torch

from msg_model.atomic import atomic_path
from msg_model.spec import LoadedModel
from quantization.options import QuantizeOptions

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class VariantRow:
    kind: str
    path: str
    size_bytes: int
    psnr_mean: float | None
    psnr_min: float | None
    ssim_mean: float | None
    ssim_min: float | None
    passed: bool | None
    runner: str
    notes: tuple[str, ...] = ()
    pruning: dict | None = None  # for pruned rows: MACs, parameters and PSNR against the unpruned model

    @property
    def target(self) -> str:
        return self.kind.split("-")[0]


def metrics_of(validation) -> dict:
    (artifact,) = validation.artifacts
    psnr, ssim = artifact.metrics.get("psnr_db"), artifact.metrics.get("ssim")
    return {
        "psnr_mean": psnr.mean if psnr else None,
        "psnr_min": psnr.min if psnr else None,
        "ssim_mean": ssim.mean if ssim else None,
        "ssim_min": ssim.min if ssim else None,
        "passed": artifact.passed,
        "runner": artifact.runner,
    }


def cached_row(rows_dir: Path, kind: str) -> VariantRow | None:
    path = rows_dir / f"{kind}.json"
    if not path.is_file():
        return None
    fields = json.loads(path.read_text())
    fields["notes"] = tuple(fields.get("notes", ()))
    return VariantRow(**fields)


def save_row(rows_dir: Path, row: VariantRow) -> VariantRow:
    rows_dir.mkdir(parents=True, exist_ok=True)
    with atomic_path(rows_dir / f"{row.kind}.json") as temporary:
        temporary.write_text(json.dumps(dataclasses.asdict(row), indent=2) + "\n")
    return row


def float_row(model: LoadedModel, kind: str, precision: str, out_dir: Path, seeds: tuple[int, ...]) -> VariantRow:
    """Convert a float variant (tflite-fp32, tflite-fp16w, coreml-fp16) and validate it with default thresholds."""
    from converters import convert
    from validation import ValidationOptions, validate

    target = kind.split("-")[0]
    artifact = convert(model, target=target, precision=precision, out_dir=out_dir, name=kind)
    validation = validate(model, [artifact.path], ValidationOptions(seeds=seeds, fid_samples=0, grid_seeds=0))
    return VariantRow(kind, str(artifact.path), artifact.size_bytes, **metrics_of(validation))


@torch.no_grad()
def pruning_cost(pruned: LoadedModel, original: LoadedModel, seeds: tuple[int, ...], truncation_psi: float) -> dict:
    """PSNR of the pruned float model against the unpruned one (no conversion involved)."""
    from validation.images import float_to_uint8
    from validation.latents import make_latents
    from validation.metrics import psnr_db

    latents = make_latents(original, seeds, truncation_psi)
    values = []
    for row in latents.w:
        w = torch.from_numpy(row[None])
        values.append(psnr_db(float_to_uint8(original.synthesis(w).numpy()[0]), float_to_uint8(pruned.synthesis(w).numpy()[0])))
    return {"psnr_vs_unpruned_mean": float(np.mean(values)), "psnr_vs_unpruned_min": float(np.min(values))}


def variant_row(model: LoadedModel, options: QuantizeOptions, out_dir: Path, workdir: Path) -> VariantRow:
    """Build a quantized or pruned variant with `build_variant`, validated against the float model it was made from."""
    from quantization.variants import build_variant

    result = build_variant(model, options, out_dir=out_dir, workdir=workdir)
    notes = [result.audit.summary(), *result.audit.notes]
    pruning = None
    if result.pruning is not None:
        pruning = {**result.pruning.describe(), **pruning_cost(result.pruning.model, result.pruning.original, options.seeds, options.truncation_psi)}
        del pruning["source_model"]
    return VariantRow(options.kind, str(result.path), result.size_bytes, **metrics_of(result.validation), notes=tuple(notes), pruning=pruning)

"""Options of one quantized or pruned variant: one frozen dataclass that checks every combination."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from msg_model.errors import InvalidInputError
from msg_model.truncation import check_truncation_psi
from quantization.calibration import MIN_CALIBRATION_SAMPLES

SCHEMES = {"tflite": ("float", "int8w", "int8-full"), "coreml": ("float", "int8w", "pal6", "pal4", "w8a8")}
BASE_VARIANT = {"tflite": "fp32", "coreml": "fp16"}
DEFAULT_SEEDS = tuple(range(8))


@dataclasses.dataclass(frozen=True)
class QuantizeOptions:
    """The variant `build_variant` makes.

    `scheme` "float" keeps the target's float variant (TFLite fp32, CoreML fp16); it exists for
    pruned variants. `prune` removes that fraction of weights (or of hidden channels with
    `structured`) before conversion. `target_psnr_db` and `recipe` steer the int8-full
    mixed-precision search; `weight_threshold` and `deployment_target` apply to CoreML.
    `validate` compares the result with the float model on `seeds`; `min_psnr_db` replaces the
    default PSNR threshold of the variant.
    """

    target: str
    scheme: str
    target_psnr_db: float | None = None
    recipe: Path | None = None
    calibration_samples: int = 32
    truncation_psi: float = 0.5
    prune: float | None = None
    structured: bool = False
    weight_threshold: int = 2048
    deployment_target: str | None = None
    validate: bool = True
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    min_psnr_db: float | None = None

    def __post_init__(self) -> None:
        if self.target not in SCHEMES:
            raise InvalidInputError(f"invalid --target {self.target!r}; expected one of {', '.join(SCHEMES)}")
        if self.scheme not in SCHEMES[self.target]:
            raise InvalidInputError(f"invalid --scheme {self.scheme!r} for target {self.target}; expected one of {', '.join(SCHEMES[self.target])}")
        self.check_search()
        self.check_pruning()
        if self.calibration_samples < MIN_CALIBRATION_SAMPLES:
            raise InvalidInputError(f"--calibration-samples {self.calibration_samples} is too few; use at least {MIN_CALIBRATION_SAMPLES}")
        check_truncation_psi(self.truncation_psi)
        if self.min_psnr_db is not None and not (math.isfinite(self.min_psnr_db) and self.min_psnr_db > 0):
            raise InvalidInputError(f"invalid --min-psnr {self.min_psnr_db}; expected a positive number of dB, such as 30")
        if self.target == "tflite" and self.deployment_target is not None:
            raise InvalidInputError("--deployment-target applies only to --target coreml; drop it")

    def check_search(self) -> None:
        if self.target_psnr_db is not None and self.scheme != "int8-full":
            raise InvalidInputError("--target-psnr applies only to --scheme int8-full")
        if self.recipe is not None and (self.target != "tflite" or self.scheme == "float"):
            raise InvalidInputError("--recipe applies only to --target tflite with --scheme int8w or int8-full")
        if self.target_psnr_db is not None and self.recipe is not None:
            raise InvalidInputError("pass either --target-psnr (search a recipe) or --recipe (apply one), not both")
        if self.target_psnr_db is not None and not 0 < self.target_psnr_db < 100:
            raise InvalidInputError(f"invalid --target-psnr {self.target_psnr_db}; expected dB between 0 and 100, such as 30")

    def check_pruning(self) -> None:
        if self.prune is None:
            if self.structured:
                raise InvalidInputError("--structured needs --prune FRACTION, for example --prune 0.25 --structured")
            return
        if not 0.0 < self.prune < 1.0:
            raise InvalidInputError(f"--prune must be between 0 and 1 (exclusive), got {self.prune}; for example 0.25")
        if self.target == "coreml" and not self.structured and self.scheme != "float":
            raise InvalidInputError(
                f"unstructured pruning on CoreML combines only with --scheme float (sparse float16 storage); "
                f"for {self.scheme} on top of pruning use --structured"
            )

    @property
    def prune_suffix(self) -> str:
        """`-pruned25` (unstructured) or `-pruned25ch` (structured, hidden channels), empty without pruning."""
        if self.prune is None:
            return ""
        from quantization.pruning import PruneOptions

        return PruneOptions(self.prune, self.structured, self.calibration_samples, self.truncation_psi).suffix

    @property
    def variant(self) -> str:
        base = BASE_VARIANT[self.target] if self.scheme == "float" else self.scheme
        return base + self.prune_suffix

    @property
    def kind(self) -> str:
        return f"{self.target}-{self.variant}"

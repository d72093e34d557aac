"""State shared by the deploy steps: the options, the folder being built, and the results of earlier steps."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

from converters.artifact import Artifact
from msg_model.spec import LoadedModel
from msg_model.truncation import check_truncation_psi

DEFAULT_MODEL = "pretrained:ffhq"
DEFAULT_OUT_DIR = Path("deploy")


@dataclasses.dataclass(frozen=True)
class DeployOptions:
    model: str = DEFAULT_MODEL
    out_dir: Path = DEFAULT_OUT_DIR
    trust_checkpoint: bool = False
    cache_dir: Path | None = None  # cache folder of the released model; None uses the default
    num_threads: int = 2  # LiteRT interpreter threads for the check runs and validation
    quantized: bool = True  # add the int8 variants (TFLite int8w and int8-full, CoreML int8w)
    validate: bool = True  # compare every artifact with the float model and write report/
    seeds: tuple[int, ...] = tuple(range(8))  # validation seeds
    truncation_psi: float = 0.5  # truncation of the validation latents
    fid_samples: int = 1000  # FID/KID pairs; computed only where the Inception weights are available
    fid_weights: Path | None = None
    require_fid: bool = False
    thresholds: Any = None  # validation.thresholds.ThresholdTable; None keeps the documented defaults

    def __post_init__(self) -> None:
        # Checked here, before the slow steps, so that a mistyped option costs no conversion.
        check_truncation_psi(self.truncation_psi)
        if self.validate:
            self.validation_options()  # raises InvalidInputError for invalid seeds, threads or FID options

    def validation_options(self):
        """Build the `validation.ValidationOptions` of the validate step."""
        from validation import ValidationOptions

        return ValidationOptions(
            seeds=self.seeds,
            truncation_psi=self.truncation_psi,
            threads=self.num_threads,
            fid_samples=self.fid_samples,
            fid_weights=self.fid_weights,
            require_fid=self.require_fid,
            **({"thresholds": self.thresholds} if self.thresholds is not None else {}),
        )


@dataclasses.dataclass
class DeployState:
    """Mutable state passed from step to step; `work_dir` is the temporary folder that becomes `out_dir`."""

    options: DeployOptions
    work_dir: Path
    model: LoadedModel | None = None
    artifacts: list[Artifact] = dataclasses.field(default_factory=list)
    runs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)  # artifact file name -> check run
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # step name -> seconds
    manifest: dict[str, Any] | None = None
    validation: Any = None  # validation.ValidationResult of the validate step

    def require_model(self) -> LoadedModel:
        if self.model is None:
            raise RuntimeError("no model is loaded: the step list must start with the load step")
        return self.model


@dataclasses.dataclass(frozen=True)
class Step:
    """One stage of the deploy job: `run(state)` reads and extends the state."""

    name: str
    description: str
    run: Callable[[DeployState], None]

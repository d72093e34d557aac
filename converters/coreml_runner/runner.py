"""`open_coreml`: one way to run a Core ML model, with Core ML on macOS and the reference runner elsewhere."""

from __future__ import annotations

import dataclasses
import platform
from typing import Protocol

import numpy as np

from converters.coreml_runner.interpreter import ReferenceRunner
from converters.coreml_runner.macos import COMPUTE_UNIT_NAMES, CoreMLRunner
from converters.coreml_runner.model_files import read_model_files
from msg_model.errors import InvalidInputError

BACKENDS = ("auto", "reference", "coreml")


class ModelRunner(Protocol):
    """Interface of every Core ML runner: named numpy inputs in, named numpy outputs out."""

    label: str
    input_names: list[str]
    output_names: list[str]

    def predict(self, inputs: dict[str, np.ndarray], outputs: list[str] | None = None) -> dict[str, np.ndarray]: ...


@dataclasses.dataclass(frozen=True)
class RunnerOptions:
    """`compute_units` (cpu_only, cpu_and_gpu, cpu_and_ne, all) matters only to Core ML.

    `backend`: `auto` uses Core ML on macOS and the reference runner elsewhere; `reference` and
    `coreml` force one. `function_name` picks a function of a multifunction model.
    """

    compute_units: str = "cpu_only"
    backend: str = "auto"
    function_name: str | None = None

    def __post_init__(self):
        if self.compute_units not in COMPUTE_UNIT_NAMES:
            raise InvalidInputError(
                f"compute units {self.compute_units!r} are unknown; expected one of {', '.join(COMPUTE_UNIT_NAMES)}"
            )
        if self.backend not in BACKENDS:
            raise InvalidInputError(f"backend {self.backend!r} is unknown; expected one of {', '.join(BACKENDS)}")


def is_macos() -> bool:
    return platform.system() == "Darwin"


def open_coreml(
    source, compute_units: str = "cpu_only", *, backend: str = "auto", function_name: str | None = None
) -> ModelRunner:
    """Open an `.mlpackage`, an `.mlmodel` ML program or an `MLModel` for prediction.

    On Linux this returns the reference runner (label "reference runner (Linux)"), never Core ML.
    On macOS it returns a runner around coremltools' `MLModel(...).predict` with `compute_units`.
    """
    options = RunnerOptions(compute_units, backend, function_name)
    use_coreml = options.backend == "coreml" or (options.backend == "auto" and is_macos())
    if use_coreml:
        if not is_macos():
            raise InvalidInputError("backend 'coreml' needs macOS; use backend='reference' (or 'auto') on Linux")
        if options.function_name is not None:
            raise InvalidInputError("function_name is supported only by the reference runner; use backend='reference'")
        path = getattr(source, "package_path", None) or source
        return CoreMLRunner(path, options.compute_units)
    return ReferenceRunner.from_files(read_model_files(source), options.compute_units, options.function_name)

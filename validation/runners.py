"""Runners: one interface, `predict(inputs) -> outputs` plus a `label`, for every artifact kind.

Inputs and outputs use the contract's tensor names (`w`, `w_plus`, `z`, `psi` in; `image`, `w` out),
batch 1, as numpy arrays. Returned arrays are copies that the caller may keep.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from validation.artifacts import ArtifactInfo
from validation.reference import ReferenceModel


class Runner(Protocol):
    """Interface of every runner; `label` names the runtime and its settings for the report."""

    label: str

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]: ...


class RunnerError(RuntimeError):
    """An artifact could not be opened or run: a validation failure of that artifact, not bad input."""


class TorchRunner:
    """The float reference: the fused PyTorch student in the role of the artifact it is compared with."""

    label = "PyTorch fused student (float32, eager)"

    def __init__(self, reference: ReferenceModel, info: ArtifactInfo):
        self.role = info.role
        self.mapping = reference.model.mapping
        self.synthesis = reference.synthesis_for(info.noise_mode, info.noise_seed)
        self.truncation_psi = info.truncation_psi

    @torch.no_grad()
    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if self.role == "mapping":
            w = self.mapping(torch.from_numpy(inputs["z"]), torch.from_numpy(inputs["psi"]))
            return {"w": w.numpy().copy()}
        if self.role == "generator":
            z = torch.from_numpy(inputs["z"])
            ws = self.mapping(z, torch.full((z.shape[0], 1), float(self.truncation_psi)))
        else:
            ws = torch.from_numpy(inputs["w"] if "w" in inputs else inputs["w_plus"])
        return {"image": self.synthesis(ws).numpy().copy()}


class TFLiteRunner:
    """A `.tflite` file run by the LiteRT interpreter, the same kernels as Android's CPU path.

    `xnnpack=False` selects the built-in kernels without the default XNNPACK delegate. Failures
    to open or run the model become `RunnerError`, which fails the artifact.
    """

    def __init__(self, path: Path, threads: int = 2, xnnpack: bool = True):
        from converters.tflite_runner import TFLiteRunError, open_tflite

        try:
            self.runner = open_tflite(path, num_threads=threads, xnnpack=xnnpack)
        except TFLiteRunError as error:
            raise RunnerError(str(error)) from error
        self.label = self.runner.label
        self.input_details = self.runner.input_details
        self.output_details = self.runner.output_details

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from converters.tflite_runner import TFLiteRunError

        try:
            return self.runner.predict(inputs)
        except TFLiteRunError as error:
            raise RunnerError(str(error)) from error


class OpenVINORunner:
    """The synthesis network of an OpenVINO IR folder on the CPU plugin, in float32 precision."""

    def __init__(self, folder: Path, threads: int = 2, input_name: str = "w"):
        from msg_model.openvino_import import import_openvino

        ov = import_openvino()
        props, hints = ov.properties, ov.properties.hint

        self.label = f"OpenVINO {ov.get_version().split('-')[0]} CPU plugin (float32 precision hint, {threads} threads)"
        self.input_name = input_name
        config = {
            props.inference_num_threads: threads,
            hints.performance_mode: hints.PerformanceMode.LATENCY,
            props.num_streams: 1,
            # The CPU plugin computes in bf16 by default on CPUs with avx512_bf16.
            hints.inference_precision: ov.Type.f32,
        }
        try:
            core = ov.Core()
            self.compiled = core.compile_model(core.read_model(str(folder / "SynthesisNetwork.xml")), "CPU", config)
        except RuntimeError as error:
            raise RunnerError(f"OpenVINO cannot compile {folder.name}: {error}") from error

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            result = self.compiled({0: inputs[self.input_name]})
        except RuntimeError as error:
            raise RunnerError(f"OpenVINO failed to run the model: {error}") from error
        return {"image": np.array(result[self.compiled.output(0)], dtype=np.float32, copy=True)}


def coreml_label() -> str:
    if sys.platform == "darwin":
        return "CoreML (coremltools on macOS, CPU only)"
    return "CoreML reference runner (Linux)"


class CoreMLRunner:
    """An `.mlpackage` run by `converters.coreml_runner.open_coreml`; outputs are copied to numpy arrays."""

    def __init__(self, path: Path, compute_units: str = "cpu_only"):
        try:
            from converters.coreml_runner import open_coreml
        except ImportError as error:
            raise RunnerError(
                f"no CoreML runner is available to run {path.name}: converters.coreml_runner.open_coreml "
                f"cannot be imported ({error})"
            ) from error
        try:
            self.inner = open_coreml(path, compute_units=compute_units)
        except (ValueError, RuntimeError, NotImplementedError) as error:
            raise RunnerError(f"the CoreML runner cannot open {path.name}: {error}") from error
        label = getattr(self.inner, "label", None) or coreml_label()
        self.label = label if "CoreML" in label else f"CoreML {label}"

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        try:
            outputs = self.inner.predict(inputs)
        except (ValueError, RuntimeError, NotImplementedError, KeyError) as error:
            raise RunnerError(f"the CoreML runner failed: {error}") from error
        # A CoreML image output may come back as a PIL image (H, W, 3); np.array copies either kind.
        return {name: np.array(value, copy=True) for name, value in outputs.items()}


def open_runner(info: ArtifactInfo, threads: int = 2, xnnpack: bool = True, compute_units: str = "cpu_only") -> Runner:
    """Open the runner for `info.target`; raise RunnerError when the artifact cannot be opened."""
    if info.target == "tflite":
        return TFLiteRunner(info.path, threads=threads, xnnpack=xnnpack)
    if info.target == "coreml":
        return CoreMLRunner(info.path, compute_units=compute_units)
    if info.target == "openvino":
        return OpenVINORunner(info.path, threads=threads, input_name=info.input_kind)
    raise RunnerError(f"no runner for target {info.target!r} of {info.name}")

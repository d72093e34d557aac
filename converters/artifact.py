"""A converted model on disk: the model file or folder, its sidecar and its main facts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from msg_model.contract import TensorSpec


@dataclasses.dataclass(frozen=True)
class Artifact:
    path: Path  # NAME.tflite or NAME.mlpackage
    sidecar: Path  # NAME.json beside it
    kind: str  # for example "tflite-fp32", "coreml-fp16", "mapping-tflite-fp32"
    target: str  # "tflite" or "coreml"
    role: str  # "synthesis", "mapping" or "generator"
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    size_bytes: int
    sha256: str

    def summary(self) -> str:
        """Describe the artifact in one line: file, size, inputs and outputs with shapes and dtypes."""
        def tensors(specs):
            return ", ".join(f"{spec.name} {list(spec.shape)} {spec.dtype}" for spec in specs)

        return f"{self.path.name} ({self.size_bytes / 1e6:.2f} MB): {tensors(self.inputs)} -> {tensors(self.outputs)}"

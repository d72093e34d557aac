"""The compression audit written beside every quantized or pruned artifact: what each weight tensor became.

One row per weight tensor: its storage type, its size before (dense float32 for TFLite, float16
for CoreML) and after, and for tensors left in float the reason. `failures` lists every sign that
the requested compression was not applied. `check()` raises when there is any, so a variant on
which a tool silently skipped the compression never passes as compressed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from msg_model.atomic import atomic_path


class CompressionNotApplied(RuntimeError):
    """The artifact does not hold the compression its kind promises."""


@dataclasses.dataclass(frozen=True)
class LayerAudit:
    name: str  # the weight tensor (TFLite) or constant (CoreML) name
    op: str  # the op that reads it, for example CONV_2D or conv
    storage: str  # for example "int8", "float32", "uint4 palette (16 entries)", "sparse float16"
    bytes_before: int
    bytes_after: int
    compressed: bool
    reason: str = ""  # why it stays float; empty for compressed tensors


@dataclasses.dataclass(frozen=True)
class CompressionAudit:
    artifact: str
    kind: str
    scheme: str
    layers: tuple[LayerAudit, ...]
    activations: dict = dataclasses.field(default_factory=dict)  # how activations are computed, where it matters
    notes: tuple[str, ...] = ()
    failures: tuple[str, ...] = ()

    @property
    def bytes_before(self) -> int:
        return sum(layer.bytes_before for layer in self.layers)

    @property
    def bytes_after(self) -> int:
        return sum(layer.bytes_after for layer in self.layers)

    @property
    def float_layers(self) -> list[LayerAudit]:
        return [layer for layer in self.layers if not layer.compressed]

    def to_json(self) -> dict:
        return {
            "artifact": self.artifact,
            "kind": self.kind,
            "scheme": self.scheme,
            "weight_bytes_before": self.bytes_before,
            "weight_bytes_after": self.bytes_after,
            "compressed_layers": sum(layer.compressed for layer in self.layers),
            "float_layers": [{"name": layer.name, "op": layer.op, "reason": layer.reason} for layer in self.float_layers],
            "activations": self.activations,
            "notes": list(self.notes),
            "failures": list(self.failures),
            "layers": [dataclasses.asdict(layer) for layer in self.layers],
        }

    def summary(self) -> str:
        ratio = self.bytes_after / self.bytes_before if self.bytes_before else 1.0
        compressed = sum(layer.compressed for layer in self.layers)
        return (
            f"{compressed}/{len(self.layers)} weight tensors compressed, weights {self.bytes_before / 1e6:.2f} MB -> "
            f"{self.bytes_after / 1e6:.2f} MB ({ratio:.1%}), {len(self.float_layers)} left in float"
        )

    def check(self) -> "CompressionAudit":
        """Return self, or raise CompressionNotApplied listing every failure."""
        if self.failures:
            raise CompressionNotApplied(f"{self.artifact} ({self.kind}): the requested compression was not applied: " + "; ".join(self.failures))
        return self


def audit_path(artifact_path: Path) -> Path:
    """`NAME.audit.json` beside `NAME.tflite` or `NAME.mlpackage`."""
    artifact_path = Path(artifact_path)
    return artifact_path.with_name(f"{artifact_path.stem}.audit.json")


def write_audit(audit: CompressionAudit, artifact_path: Path) -> Path:
    path = audit_path(artifact_path)
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps(audit.to_json(), indent=2) + "\n", encoding="utf-8")
    return path

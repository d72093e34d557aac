"""Conversion options: one frozen dataclass that validates every combination in one place."""

from __future__ import annotations

import dataclasses

from msg_model.errors import InvalidInputError
from msg_model.truncation import check_truncation_psi

TARGETS = ("coreml", "tflite")
PRECISIONS = ("fp32", "fp16")
INPUT_KINDS = ("w", "w_plus", "z")
IMAGE_OUTPUTS = ("float", "uint8", "image")
DEPLOYMENT_TARGETS = ("iOS16", "iOS17", "iOS18")
ROLES = ("synthesis", "mapping", "generator")

DEFAULT_PRECISION = {"coreml": "fp16", "tflite": "fp32"}
DEFAULT_DEPLOYMENT_TARGET = "iOS16"
DEFAULT_TRUNCATION_PSI = 0.5

# TFLite "fp16" stores float16 weights with DEQUANTIZE ops in front of float32 kernels, so the
# variant is named "fp16w"; CoreML "fp16" computes in float16.
VARIANTS = {("tflite", "fp32"): "fp32", ("tflite", "fp16"): "fp16w", ("coreml", "fp32"): "fp32", ("coreml", "fp16"): "fp16"}


def require_choice(field: str, value, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InvalidInputError(f"invalid {field} {value!r}; expected one of {', '.join(choices)}")


@dataclasses.dataclass(frozen=True)
class ConvertOptions:
    """Options of one conversion: target, precision, input kind, image output and truncation.

    `precision=None` picks the target's default (CoreML fp16, TFLite fp32), and
    `deployment_target=None` picks iOS16 for CoreML. `mapping=True` converts the mapping network
    (z, psi -> w) instead of an image model, so `input_kind` and `image_output` keep their defaults.
    """

    target: str
    precision: str | None = None
    input_kind: str = "w"
    image_output: str = "float"
    truncation_psi: float = DEFAULT_TRUNCATION_PSI
    deployment_target: str | None = None
    mapping: bool = False

    def __post_init__(self) -> None:
        require_choice("target", self.target, TARGETS)
        if self.precision is None:
            object.__setattr__(self, "precision", DEFAULT_PRECISION[self.target])
        require_choice("precision", self.precision, PRECISIONS)
        require_choice("input", self.input_kind, INPUT_KINDS)
        require_choice("image output", self.image_output, IMAGE_OUTPUTS)
        self.check_target_specific()
        self.check_mapping()
        check_truncation_psi(self.truncation_psi)

    def check_target_specific(self) -> None:
        if self.target == "tflite":
            if self.image_output == "image":
                raise InvalidInputError(
                    "image output 'image' (a CoreML image, CVPixelBuffer in Swift) is not available for target 'tflite'; "
                    "expected one of float, uint8"
                )
            if self.deployment_target is not None:
                raise InvalidInputError(
                    f"deployment target {self.deployment_target!r} applies only to target 'coreml'; drop it for 'tflite'"
                )
            return
        if self.deployment_target is None:
            object.__setattr__(self, "deployment_target", DEFAULT_DEPLOYMENT_TARGET)
        require_choice("deployment target", self.deployment_target, DEPLOYMENT_TARGETS)

    def check_mapping(self) -> None:
        if not self.mapping:
            return
        if self.input_kind != "w":
            raise InvalidInputError(
                f"input {self.input_kind!r} does not apply to the mapping network, whose inputs are z and psi; drop it"
            )
        if self.image_output != "float":
            raise InvalidInputError(
                f"image output {self.image_output!r} does not apply to the mapping network, whose output is w; drop it"
            )

    @property
    def role(self) -> str:
        """"mapping" (z, psi -> w), "generator" (z -> image, truncation inside) or "synthesis" (w -> image)."""
        if self.mapping:
            return "mapping"
        return "generator" if self.input_kind == "z" else "synthesis"

    @property
    def variant(self) -> str:
        return VARIANTS[(self.target, self.precision)]

    @property
    def kind(self) -> str:
        """The artifact kind, for example "tflite-fp32", "coreml-fp16" or "mapping-tflite-fp32"."""
        prefix = "" if self.role == "synthesis" else f"{self.role}-"
        return f"{prefix}{self.target}-{self.variant}"

    @property
    def sidecar_input(self) -> str:
        """The sidecar's `input` field: the latent the model takes (z for mapping and generator)."""
        return "z" if self.role in ("mapping", "generator") else self.input_kind

    def default_name(self) -> str:
        """File name without suffix, for example "synthesis-tflite-fp32" or "generator-coreml-fp16-image"."""
        if self.role == "mapping":
            return self.kind
        parts = ["synthesis" if self.role == "synthesis" else "", self.kind]
        if self.input_kind == "w_plus":
            parts.insert(1, "wplus")
        if self.image_output != "float":
            parts.append(self.image_output)
        return "-".join(part for part in parts if part)

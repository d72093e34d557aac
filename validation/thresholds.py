"""Pass/fail thresholds per artifact kind: documented defaults, overridable per kind or variant.

Defaults for image outputs (minimum PSNR on uint8 images, minimum SSIM), by variant:

| variant   | PSNR dB | SSIM  |
| --------- | ------- | ----- |
| fp32      | 60      | 0.999 |
| fp16      | 40      | 0.98  |
| fp16w     | 40      | 0.98  |
| int8w     | 40      | 0.98  |
| int8-full | 30      | 0.85  |
| pal6      | 35      | 0.95  |
| pal4      | 25      | 0.75  |

Mapping artifacts are judged on w: maximum relative error (L2 of the difference over L2 of the
reference w) 1e-4 for fp32, 1e-2 for fp16 and fp16w, 5e-2 for int8w.
Every artifact also fails on any non-finite output value and on the degenerate-output checks.
FID has no default threshold: it is reported, and gates only with `max_fid`.
"""

from __future__ import annotations

import dataclasses
import math

from msg_model.errors import InvalidInputError
from validation.failures import Failure
from validation.metrics import MetricSummary

ALL_KINDS = "all"

# NOTE: the PSNR minimums follow the measured costs of precision on the released model, emulated
# in PyTorch: float16 about 66 dB, int8 weights about 45 dB, naive int8 activations about 22 dB.
# The SSIM minimums are estimates that have not been calibrated on converted models yet.
IMAGE_DEFAULTS: dict[str, dict[str, float]] = {
    "fp32": {"min_psnr_db": 60.0, "min_ssim": 0.999},
    "fp16": {"min_psnr_db": 40.0, "min_ssim": 0.98},
    "fp16w": {"min_psnr_db": 40.0, "min_ssim": 0.98},
    "int8w": {"min_psnr_db": 40.0, "min_ssim": 0.98},
    "int8-full": {"min_psnr_db": 30.0, "min_ssim": 0.85},
    "pal6": {"min_psnr_db": 35.0, "min_ssim": 0.95},
    "pal4": {"min_psnr_db": 25.0, "min_ssim": 0.75},
}
MAPPING_DEFAULTS: dict[str, dict[str, float]] = {
    "fp32": {"max_w_relative_error": 1e-4},
    "fp16": {"max_w_relative_error": 1e-2},
    "fp16w": {"max_w_relative_error": 1e-2},
    "int8w": {"max_w_relative_error": 5e-2},
}
REQUIRED_FIELD = {"image": "min_psnr_db", "mapping": "max_w_relative_error"}
OPTION_BY_FIELD = {
    "min_psnr_db": "--min-psnr",
    "min_ssim": "--min-ssim",
    "max_w_relative_error": "--max-w-error",
    "max_fid": "--max-fid",
}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    """The limits one artifact must meet; None means that metric does not gate."""

    min_psnr_db: float | None = None
    min_ssim: float | None = None
    max_w_relative_error: float | None = None
    max_fid: float | None = None


@dataclasses.dataclass(frozen=True)
class ThresholdOverride:
    """`field` = `value` for artifacts whose kind or variant is `key`, or for all artifacts when `key` is "all"."""

    key: str
    field: str
    value: float

    def __post_init__(self) -> None:
        if self.field not in OPTION_BY_FIELD:
            raise ValueError(f"unknown threshold field {self.field!r}; expected one of {', '.join(OPTION_BY_FIELD)}")


def parse_override(text: str, field: str) -> ThresholdOverride:
    """Parse "KIND=VALUE" (KIND a kind such as tflite-fp16w, a variant such as fp16w, or "all")."""
    option = OPTION_BY_FIELD[field]
    key, separator, value_text = text.partition("=")
    if not separator or not key.strip():
        raise InvalidInputError(f"invalid {option} {text!r}; expected KIND=VALUE, for example {option} fp16w=38")
    try:
        value = float(value_text)
    except ValueError:
        raise InvalidInputError(f"invalid {option} {text!r}: {value_text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInputError(f"invalid {option} {text!r}: the value must be finite")
    return ThresholdOverride(key.strip(), field, value)


@dataclasses.dataclass(frozen=True)
class ThresholdTable:
    """The defaults plus overrides; `for_artifact` resolves the thresholds of one artifact.

    Precedence, lowest first: the default of the variant, overrides for "all", for the variant,
    for the exact kind.
    """

    overrides: tuple[ThresholdOverride, ...] = ()

    def check_keys(self, kinds: set[str], variants: set[str]) -> None:
        """Raise `InvalidInputError` for an override whose key names none of the artifacts, such as a mistyped kind."""
        known = {ALL_KINDS} | kinds | variants
        for override in self.overrides:
            if override.key not in known:
                raise InvalidInputError(
                    f"invalid {OPTION_BY_FIELD[override.field]} key {override.key!r}: no artifact has that kind or variant; "
                    f"expected all or one of {', '.join(sorted(kinds | variants))}"
                )

    def for_artifact(self, kind: str, variant: str, role: str) -> Thresholds:
        output = "mapping" if role == "mapping" else "image"
        defaults = (MAPPING_DEFAULTS if output == "mapping" else IMAGE_DEFAULTS).get(variant, {})
        values = dict(defaults)
        for key in (ALL_KINDS, variant, kind):
            values.update({o.field: o.value for o in self.overrides if o.key == key})

        required = REQUIRED_FIELD[output]
        if required not in values:
            option = OPTION_BY_FIELD[required]
            raise InvalidInputError(
                f"no default threshold for artifact kind {kind!r} (variant {variant!r}); "
                f"pass {option} {kind}=VALUE (known variants: {', '.join(IMAGE_DEFAULTS if output == 'image' else MAPPING_DEFAULTS)})"
            )
        return Thresholds(**values)


def worst_seed(summary: MetricSummary, seeds: tuple[int, ...], lowest: bool) -> int:
    values = list(summary.values)
    return seeds[values.index(min(values) if lowest else max(values))]


def threshold_failures(name: str, thresholds: Thresholds, metrics: dict[str, MetricSummary], seeds: tuple[int, ...]) -> list[Failure]:
    """Build one Failure per threshold that the worst seed misses, and one for any non-finite output value.

    `name` names the artifact in the messages, for example "model.tflite (tflite-fp16w)".
    """
    failures = []
    checks = [
        ("psnr_db", thresholds.min_psnr_db, True, "PSNR", " dB", ".2f"),
        ("ssim", thresholds.min_ssim, True, "SSIM", "", ".4f"),
        ("w_relative_error", thresholds.max_w_relative_error, False, "w relative error", "", ".3g"),
    ]
    for metric, threshold, is_minimum, title, unit, spec in checks:
        if threshold is None or metric not in metrics:
            continue
        summary = metrics[metric]
        value = summary.min if is_minimum else summary.max
        if (value < threshold) if is_minimum else (value > threshold):
            relation = "below the minimum" if is_minimum else "above the maximum"
            seed = worst_seed(summary, seeds, lowest=is_minimum)
            failures.append(Failure(
                metric,
                f"{name}: {title} {value:{spec}}{unit} at seed {seed} is {relation} {threshold:{spec}}{unit}",
                value,
                threshold,
            ))

    nonfinite = metrics.get("nonfinite_count")
    if nonfinite is not None and nonfinite.max > 0:
        total = int(sum(nonfinite.values))
        failures.append(Failure(
            "nonfinite_count",
            f"{name}: {total} NaN or Inf output values over {len(seeds)} seeds; the maximum allowed is 0",
            float(total),
            0.0,
        ))
    return failures

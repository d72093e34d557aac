"""Validation of a built variant with `validation.validate`, plus thresholds for the kinds it has no defaults for.

- w8a8 (CoreML int8 weights and activations): see `W8A8_THRESHOLDS`.
- pruned variants ("fp32-pruned25", "int8w-pruned25ch", ...) are compared with the pruned float
  model, so they get the thresholds of the variant without the suffix: the check covers the
  conversion and quantization, and the cost of pruning itself is reported separately.
"""

from __future__ import annotations

import re

from validation import ValidationOptions, validate
from validation.thresholds import IMAGE_DEFAULTS, ThresholdOverride, ThresholdTable

# NOTE: an estimate, not calibrated on devices. Per-tensor int8 activations cost about as much as
# naive full int8 TFLite. The released model measures 22.6 dB and SSIM 0.54 with a worst seed of
# 0.47, so it fails this SSIM minimum (quantization/RESULTS.md).
W8A8_THRESHOLDS = {"min_psnr_db": 20.0, "min_ssim": 0.6}
PRUNED_SUFFIX = re.compile(r"-pruned\d+(ch)?$")


def base_variant(variant: str) -> str:
    """"fp32-pruned25" -> "fp32"; other variants are returned unchanged."""
    return PRUNED_SUFFIX.sub("", variant)


def variant_thresholds(kind: str, variant: str, min_psnr_db: float | None) -> ThresholdTable:
    """Overrides for `kind`: defaults for w8a8 and pruned variants, then the caller's minimum PSNR."""
    base = base_variant(variant)
    defaults = W8A8_THRESHOLDS if base == "w8a8" else IMAGE_DEFAULTS.get(base, {})
    fields = dict(defaults) if (base == "w8a8" or base != variant) else {}
    if min_psnr_db is not None:
        fields["min_psnr_db"] = float(min_psnr_db)
    return ThresholdTable(tuple(ThresholdOverride(kind, field, value) for field, value in fields.items()))


def validate_variant(result, options):
    """Validate `result` (a VariantResult) against the float model it was made from, on `options.seeds`."""
    validation_options = ValidationOptions(
        seeds=options.seeds,
        truncation_psi=options.truncation_psi,
        fid_samples=0,
        grid_seeds=0,
        thresholds=variant_thresholds(result.kind, options.variant, options.min_psnr_db),
    )
    return validate(result.reference, [result.path], validation_options)

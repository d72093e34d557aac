"""Compressed CoreML variants of a converted float16 ML program, with coremltools.optimize.coreml.

| scheme | what is stored | coremltools call | minimum deployment target |
| --- | --- | --- | --- |
| int8w | int8 weights, symmetric, one scale per output channel | `linear_quantize_weights` | iOS16 |
| pal6, pal4 | 6- or 4-bit indices into one 64- or 16-entry k-means palette per conv weight; the style matrix (the one `linear` op) is stored as int8w | `palettize_weights`, `linear_quantize_weights` | iOS16 |
| w8a8 | int8 weights plus int8 activations (quantize/dequantize pairs) | `linear_quantize_activations`, then `linear_quantize_weights` | iOS17 |
| sparse | zeros of a magnitude-pruned model dropped (bit mask plus non-zero values) | `prune_weights` with `OpThresholdPrunerConfig` | iOS16 |

Per-block quantization, int4 and grouped palettes need iOS18; they are not offered here.

The style matrix stacks the affine maps of every layer, whose rows differ in scale by orders of
magnitude. One palette for the whole tensor cannot fit them: on the released model pal6 gives
24.3 dB with the matrix palettized and 34.8 dB with it int8 per output channel (seed 0).
Tensors smaller than `weight_threshold` elements (coremltools' default 2048) stay float16; the
compression audit lists them with that reason.
"""

from __future__ import annotations

import dataclasses
import logging

from converters.quiet import quiet_conversion

logger = logging.getLogger(__name__)

COREML_SCHEMES = ("int8w", "pal6", "pal4", "w8a8")
MINIMUM_DEPLOYMENT_TARGET = {"int8w": "iOS16", "pal6": "iOS16", "pal4": "iOS16", "w8a8": "iOS17", "sparse": "iOS16"}
DEPLOYMENT_ORDER = ("iOS16", "iOS17", "iOS18")
DEFAULT_WEIGHT_THRESHOLD = 2048
PALETTE_BITS = {"pal6": 6, "pal4": 4}
# A weight tensor is stored sparse when at least this fraction of it is zero (coremltools'
# minimum_sparsity_percentile); 25% pruning already saves storage because the mask costs 1 bit.
MIN_STORED_SPARSITY = 0.1


@dataclasses.dataclass(frozen=True)
class CoreMLCompression:
    scheme: str  # one of COREML_SCHEMES, or "sparse"
    weight_threshold: int = DEFAULT_WEIGHT_THRESHOLD

    def __post_init__(self) -> None:
        if self.scheme not in COREML_SCHEMES + ("sparse",):
            raise ValueError(f"invalid CoreML scheme {self.scheme!r}; expected one of {', '.join(COREML_SCHEMES)} or sparse")
        if self.weight_threshold < 0:
            raise ValueError(f"weight_threshold must be 0 or more, got {self.weight_threshold}")


def required_deployment_target(scheme: str, requested: str | None) -> str:
    """Return the later of the scheme's minimum and the requested deployment target."""
    minimum = MINIMUM_DEPLOYMENT_TARGET[scheme]
    if requested is None:
        return minimum
    return max(minimum, requested, key=DEPLOYMENT_ORDER.index)


def int8_config(threshold: int):
    import coremltools.optimize.coreml as cto

    return cto.OpLinearQuantizerConfig(mode="linear_symmetric", dtype="int8", granularity="per_channel", weight_threshold=threshold)


def weight_config(compression: CoreMLCompression):
    """The OptimizationConfig of the scheme's main call (for palettes: every op but `linear`)."""
    import coremltools.optimize.coreml as cto

    threshold = compression.weight_threshold
    if compression.scheme in ("int8w", "w8a8"):
        return cto.OptimizationConfig(global_config=int8_config(threshold))
    if compression.scheme in PALETTE_BITS:
        palette = cto.OpPalettizerConfig(mode="kmeans", nbits=PALETTE_BITS[compression.scheme], weight_threshold=threshold)
        return cto.OptimizationConfig(global_config=palette, op_type_configs={"linear": None})
    pruner = cto.OpThresholdPrunerConfig(threshold=1e-12, minimum_sparsity_percentile=MIN_STORED_SPARSITY, weight_threshold=threshold)
    return cto.OptimizationConfig(global_config=pruner)


def compress_weights(mlmodel, compression: CoreMLCompression):
    """Apply the weight part of `compression` to an in-memory ML program; return the new MLModel."""
    import coremltools.optimize.coreml as cto

    config = weight_config(compression)
    with quiet_conversion(f"coremltools {compression.scheme}"):
        if compression.scheme in ("int8w", "w8a8"):
            return cto.linear_quantize_weights(mlmodel, config)
        if compression.scheme in PALETTE_BITS:
            palettized = cto.palettize_weights(mlmodel, config)
            linear_only = cto.OptimizationConfig(global_config=None, op_type_configs={"linear": int8_config(compression.weight_threshold)})
            return cto.linear_quantize_weights(palettized, linear_only)
        return cto.prune_weights(mlmodel, config)


def compress(mlmodel, compression: CoreMLCompression, activation_samples: list[dict] | None = None):
    """The compressed model. w8a8 quantizes activations first, with ranges from `activation_samples`."""
    if compression.scheme == "w8a8":
        from quantization.coreml_activations import quantize_activations

        if not activation_samples:
            raise ValueError("w8a8 needs calibration inputs for the activation ranges")
        mlmodel = quantize_activations(mlmodel, activation_samples)
    return compress_weights(mlmodel, compression)

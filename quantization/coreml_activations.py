"""int8 activations for CoreML (W8A8) on Linux: ranges from the reference runner, handed to coremltools.

`coremltools.optimize.coreml.linear_quantize_activations` measures activation ranges by running the
model with Core ML, which exists only on macOS. Its graph passes (inserting quantize/dequantize
pairs from given ranges) run anywhere. Here the ranges come from the toolkit's reference runner:
every op result is traced on the calibration inputs, and min/max are accumulated over all of them.
Inputs and outputs of each concat share one range, as coremltools requires.

coremltools 9.0 has no public way to pass precomputed ranges, so `quantize_activations` swaps its
internal range function for the duration of one call (see `precomputed_activation_ranges`).
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np

logger = logging.getLogger(__name__)

SUPPORTED_COREMLTOOLS = "9.0"
STATS_HOOK = "_get_activation_calibration_stats"
FLOAT_TYPES = ("fp16", "fp32")


def activation_ranges(mlmodel, samples: list[dict[str, np.ndarray]]) -> dict[str, dict[str, float]]:
    """{value name: {"rmin", "rmax"}} over `samples` for the inputs and every float op result but the outputs."""
    from converters.coreml_runner import open_coreml

    runner = open_coreml(mlmodel, backend="reference")
    outputs = set(runner.output_names)
    ranges: dict[str, dict[str, float]] = {}

    def update(name: str, value: np.ndarray) -> None:
        low, high = float(np.min(value)), float(np.max(value))
        entry = ranges.setdefault(name, {"rmin": low, "rmax": high})
        entry["rmin"], entry["rmax"] = min(entry["rmin"], low), max(entry["rmax"], high)

    for sample in samples:
        for name, value in sample.items():
            update(name, np.asarray(value))
        for record in runner.trace(sample):
            if record.name not in outputs and record.value.dtype.kind == "f" and record.value.size:
                update(record.name, record.value)
    share_concat_ranges(mlmodel, ranges)
    return ranges


def concat_groups(mlmodel) -> list[set[str]]:
    """Sets of value names joined by concat ops (inputs and output), merged where they overlap."""
    spec = mlmodel.get_spec()
    function = spec.mlProgram.functions[spec.description.defaultFunctionName or "main"]
    groups: list[set[str]] = []
    for op in function.block_specializations[function.opset].operations:
        if op.type != "concat":
            continue
        names = {argument.name for argument in op.inputs["values"].arguments if argument.name}
        names |= {output.name for output in op.outputs}
        overlapping = [group for group in groups if group & names]
        for group in overlapping:
            names |= group
            groups.remove(group)
        groups.append(names)
    return groups


def share_concat_ranges(mlmodel, ranges: dict[str, dict[str, float]]) -> None:
    for group in concat_groups(mlmodel):
        present = [ranges[name] for name in group if name in ranges]
        if not present:
            continue
        low, high = min(entry["rmin"] for entry in present), max(entry["rmax"] for entry in present)
        for name in group:
            if name in ranges:
                ranges[name] = {"rmin": low, "rmax": high}


@contextlib.contextmanager
def precomputed_activation_ranges(ranges: dict[str, dict[str, float]]):
    """Make coremltools' activation quantization use `ranges` instead of running the model.

    This replaces `coremltools.optimize.coreml._post_training_quantization._get_activation_calibration_stats`,
    an internal function of coremltools 9.0 that `linear_quantize_activations` calls to get
    {value name: {"rmin", "rmax"}}. Other versions may rename or change it, so they are rejected.
    """
    import coremltools
    from coremltools.optimize.coreml import _post_training_quantization as internals

    if coremltools.__version__ != SUPPORTED_COREMLTOOLS:
        raise RuntimeError(
            f"CoreML W8A8 needs coremltools {SUPPORTED_COREMLTOOLS}, found {coremltools.__version__}: it replaces the internal "
            f"function {STATS_HOOK} of that version; install coremltools=={SUPPORTED_COREMLTOOLS} or check that the function still exists"
        )
    original = getattr(internals, STATS_HOOK, None)
    if original is None:
        raise RuntimeError(f"coremltools {coremltools.__version__} has no {STATS_HOOK}; CoreML W8A8 cannot be built on this machine")
    setattr(internals, STATS_HOOK, lambda *args, **kwargs: ranges)
    try:
        yield
    finally:
        setattr(internals, STATS_HOOK, original)


def quantize_activations(mlmodel, samples: list[dict[str, np.ndarray]]):
    """Quantize activations to int8 (symmetric, one range per tensor) with ranges measured on `samples` by the reference runner."""
    import coremltools.optimize.coreml as cto

    from converters.quiet import quiet_conversion

    ranges = activation_ranges(mlmodel, samples)
    logger.info("activation ranges of %d values from %d calibration inputs", len(ranges), len(samples))
    # The one linear op computes every layer's style at once, and one int8 range for its output
    # crushes the small styles, so it stays float. Released model, seeds 0-1: 8-12 dB with the
    # output quantized, 25-26 dB without.
    activation = cto.OpLinearQuantizerConfig(mode="linear_symmetric")
    config = cto.OptimizationConfig(global_config=activation, op_type_configs={"linear": None})
    with precomputed_activation_ranges(ranges), quiet_conversion("coremltools linear_quantize_activations"):
        return cto.linear_quantize_activations(mlmodel, config, samples)

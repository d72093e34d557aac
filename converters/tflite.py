"""TFLite through litert-torch: float32, or float16 weights with float32 compute ("fp16w").

The model has one signature, "serving_default", whose input and output names are the tensor
names of the wrapped module (for example `w` -> `image`).
"""

from __future__ import annotations

import collections
import logging
from pathlib import Path

from torch.export import ExportedProgram

from converters.exportable import ExportableModel
from converters.quiet import quiet_conversion, quiet_pytree_registration
from converters.tflite_passes import prepare_for_litert
from msg_model.atomic import atomic_path

logger = logging.getLogger(__name__)

SIGNATURE_KEY = "serving_default"
# Ops that mean a layer converted badly: a grouped transposed conv splits into one TRANSPOSE_CONV
# per group, and resize-based upsampling is inexact.
UNWANTED_OPS = ("TRANSPOSE_CONV", "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")


def convert_tflite(program: ExportedProgram, exportable: ExportableModel, precision: str) -> bytes:
    """Convert an exported program to TFLite flatbuffer bytes; `precision` is "fp32" or "fp16" (fp16 weights)."""
    with quiet_pytree_registration():
        import litert_torch

    litert_torch.config.show_progress = False
    quant_config = None
    if precision == "fp16":
        from litert_torch.generative.quantize import quant_recipes

        quant_config = quant_recipes.full_fp16_recipe()
    elif precision != "fp32":
        raise ValueError(f"invalid TFLite precision {precision!r}; expected fp32 or fp16")

    module = prepare_for_litert(program)
    with quiet_conversion("litert-torch"):
        edge_model = litert_torch.convert(module, sample_kwargs=dict(exportable.sample_inputs), quant_config=quant_config)
    # With a quantization recipe, model_content() is a bytearray, which the LiteRT interpreter rejects.
    return bytes(edge_model.model_content())


def write_tflite(content: bytes, path: Path) -> None:
    """Write the flatbuffer atomically: an interrupted write leaves nothing at `path`."""
    with atomic_path(path) as temporary:
        temporary.write_bytes(content)


def tflite_op_counts(path: Path) -> dict[str, int]:
    """Count the operators of every subgraph of a .tflite file by op name (for example "CONV_2D")."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    counts: collections.Counter[str] = collections.Counter()
    for subgraph in model.subgraphs:
        for operator in subgraph.operators:
            counts[flatbuffer_utils.opcode_to_name(model, operator.opcodeIndex)] += 1
    return dict(counts)


def check_tflite_ops(path: Path) -> dict[str, int]:
    """Return the op counts, and log a warning when the model contains ops listed in `UNWANTED_OPS`."""
    counts = tflite_op_counts(path)
    unwanted = {name: count for name, count in counts.items() if name in UNWANTED_OPS}
    if unwanted:
        logger.warning("%s contains %s, so the inverse DWT or upsampling did not convert to plain ops", path.name, unwanted)
    return counts

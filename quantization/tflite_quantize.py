"""int8 TFLite variants of the synthesis network with ai-edge-quantizer, starting from the float32 .tflite.

- `tflite-int8w`: int8 weights, float32 activations (dynamic range quantization).
- `tflite-int8-full`: int8 weights and activations with static ranges from calibration latents; the
  op groups a mixed-precision recipe names stay float. Model input and output stay float32 (the
  quantized graph starts with QUANTIZE and ends with DEQUANTIZE), so apps feed the same tensors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from converters.quiet import quiet_conversion
from msg_model.atomic import atomic_path
from msg_model.errors import InvalidInputError
from msg_model.spec import LoadedModel
from quantization.tflite_groups import TFLiteOp, graph_input_names, group_ops, read_ops
from quantization.tflite_leaky_relu import fold_leaky_relu
from quantization.tflite_recipe import TFLiteRecipe, to_aeq_recipe
from quantization.tflite_xnnpack import fit_add_scales

logger = logging.getLogger(__name__)

SIGNATURE_KEY = "serving_default"
CALIBRATION_THREADS = 2


@dataclasses.dataclass(frozen=True)
class QuantizedTFLite:
    path: Path
    recipe: TFLiteRecipe
    float_path: Path  # the float32 model it was quantized from
    folded_leaky_relu: int  # leaky ReLUs moved from float into int8 after quantization
    raised_scales: tuple[str, ...]  # tensors requantized to fit XNNPACK's ADD scale limits


@dataclasses.dataclass(frozen=True)
class QuantizedContent:
    """A quantized flatbuffer and what the passes after ai-edge-quantizer changed in it."""

    content: bytes
    folded_leaky_relu: int = 0
    raised_scales: tuple[str, ...] = ()
    outside_xnnpack: tuple[str, ...] = ()  # int8 ADD and SUB ops whose scales could not be fitted


@dataclasses.dataclass(frozen=True)
class FloatModel:
    """A float32 .tflite with its ops grouped, as quantization reads it."""

    path: Path
    input_name: str
    ops: tuple[TFLiteOp, ...]
    groups: dict[str, list[TFLiteOp]]


@contextlib.contextmanager
def quiet_quantizer(label: str):
    """Run ai-edge-quantizer without its console output and its warning about preserving all tensors.

    The quantizer opens interpreters with `experimental_preserve_all_tensors` for its own analysis;
    the resulting UserWarning says nothing about the model being quantized.
    """
    with warnings.catch_warnings(), quiet_conversion(label):
        warnings.filterwarnings("ignore", message=".*experimental_preserve_all_tensors.*", category=UserWarning)
        yield


def read_float_model(path: Path) -> FloatModel:
    """Read the ops and the single input of a float32 synthesis .tflite."""
    from ai_edge_litert.interpreter import Interpreter

    signature = Interpreter(model_path=str(path)).get_signature_list().get(SIGNATURE_KEY)
    if signature is None or len(signature["inputs"]) != 1:
        raise InvalidInputError(f"{Path(path).name} must have one signature {SIGNATURE_KEY!r} with one input; found {signature}")
    input_name = signature["inputs"][0]
    ops = read_ops(path)
    return FloatModel(Path(path), input_name, tuple(ops), group_ops(ops, graph_input_names(path)))


def calibration_feed(model: FloatModel, ws: torch.Tensor) -> dict[str, list[dict[str, np.ndarray]]]:
    """ai-edge-quantizer's calibration data: one batch-1 input per calibration latent."""
    if model.input_name not in ("w", "w_plus"):
        raise InvalidInputError(
            f"static int8 quantization needs a synthesis model with input w or w_plus, found {model.input_name!r}; convert with --input w"
        )
    batch = ws.numpy().astype(np.float32)
    samples = [row[None] for row in batch]
    if model.input_name == "w_plus":
        num_ws = read_input_shape(model.path)[1]
        samples = [np.repeat(row[:, None, :], num_ws, axis=1) for row in samples]
    return {SIGNATURE_KEY: [{model.input_name: sample} for sample in samples]}


def read_input_shape(path: Path) -> tuple[int, ...]:
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path)).get_signature_runner(SIGNATURE_KEY)
    (detail,) = runner.get_input_details().values()
    return tuple(int(d) for d in detail["shape"])


def calibrate(model: FloatModel, ws: torch.Tensor) -> dict:
    """Min/max of every tensor over the calibration latents (ai-edge-quantizer's profiler-based calibration).

    The ranges cover every op, so one calibration serves every recipe of this float model.
    """
    from ai_edge_quantizer import calibrator, quantizer

    full_static = TFLiteRecipe("int8-full", float_groups=())
    engine = quantizer.Quantizer(str(model.path), to_aeq_recipe(full_static, model.groups))
    with quiet_quantizer("ai-edge-quantizer calibration"):
        return engine.calibrate(
            calibration_feed(model, ws), num_threads=CALIBRATION_THREADS, mode=calibrator.CalibrationMode.CALIBRATION_PROFILER_BASED
        )


def quantize_content(model: FloatModel, recipe: TFLiteRecipe, calibration: dict | None) -> QuantizedContent:
    """Quantize with ai-edge-quantizer; for int8-full, also fold leaky ReLUs into int8 and fit ADD scales to XNNPACK."""
    from ai_edge_quantizer import quantizer

    engine = quantizer.Quantizer(str(model.path), to_aeq_recipe(recipe, model.groups))
    if engine.need_calibration and calibration is None:
        raise ValueError(f"scheme {recipe.scheme} needs calibration ranges; call calibrate() first")
    with quiet_quantizer("ai-edge-quantizer"):
        result = engine.quantize(calibration if engine.need_calibration else None, enable_progress_report=False)
    content = bytes(result.quantized_model)
    if recipe.scheme != "int8-full":
        return QuantizedContent(content)
    folded = fold_leaky_relu(content)
    fitted = fit_add_scales(folded.content)
    return QuantizedContent(fitted.content, folded.folded, fitted.raised, fitted.left)


def write_content(content: bytes, path: Path) -> Path:
    with atomic_path(path) as temporary:
        temporary.write_bytes(content)
    return Path(path)


def quantize_tflite(float_path: Path, recipe: TFLiteRecipe, out_path: Path, ws: torch.Tensor | None = None, calibration: dict | None = None) -> QuantizedTFLite:
    """Quantize `float_path` with `recipe` and write `out_path` atomically.

    Both schemes need calibration ranges (int8w for its noise maps): pass the calibration latents
    `ws`, or ranges already computed by `calibrate`.
    """
    model = read_float_model(float_path)
    if calibration is None:
        if ws is None:
            raise ValueError(f"{recipe.scheme} needs calibration latents ws or a calibration result")
        calibration = calibrate(model, ws)
    quantized = quantize_content(model, recipe, calibration)
    for reason in quantized.outside_xnnpack:
        logger.warning("an int8 ADD stays outside XNNPACK, so LiteRT runs it with its slower kernel: %s", reason)
    write_content(quantized.content, out_path)
    logger.info("wrote %s (%s, %d bytes)", out_path, recipe.scheme, len(quantized.content))
    return QuantizedTFLite(Path(out_path), recipe, Path(float_path), quantized.folded_leaky_relu, quantized.raised_scales)


def quantize_tflite_variants(model: LoadedModel, workdir: Path) -> dict[str, Path]:
    """tflite-int8w and tflite-int8-full of `model` in `workdir`; files already there are reused.

    Uses the default recipes of `quantization.variants` (for the released model, the committed
    mixed-precision recipe).
    """
    from converters.reuse import reusable_artifact
    from quantization.options import QuantizeOptions
    from quantization.variants import build_variant

    workdir = Path(workdir)
    paths = {}
    for scheme in ("int8w", "int8-full"):
        kind = f"tflite-{scheme}"
        path = workdir / f"{kind}.tflite"
        if not reusable_artifact(model, path, kind):
            build_variant(model, QuantizeOptions(target="tflite", scheme=scheme, validate=False), out_dir=workdir, name=kind, workdir=workdir)
        paths[kind] = path
    return paths

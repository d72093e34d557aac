"""Run a converted .tflite file with the LiteRT interpreter, the kernels of Android's CPU path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from converters.tflite import SIGNATURE_KEY


class TFLiteRunError(RuntimeError):
    """LiteRT could not open or run a model."""


def quantize_input(value: np.ndarray, detail: dict) -> np.ndarray:
    """Cast a float input to the tensor's dtype, quantizing it when the tensor is an integer with a scale."""
    dtype = np.dtype(detail["dtype"])
    scale, zero_point = detail["quantization"]
    if np.issubdtype(dtype, np.floating) or scale == 0:
        return np.asarray(value).astype(dtype)
    limits = np.iinfo(dtype)
    return np.clip(np.rint(value / scale + zero_point), limits.min, limits.max).astype(dtype)


def dequantize_output(value: np.ndarray, detail: dict) -> np.ndarray:
    """Copy an output out of the interpreter's buffer, dequantizing integer tensors that have a scale.

    Integer outputs without a scale (a uint8 RGB image) stay integers.
    """
    scale, zero_point = detail["quantization"]
    if np.issubdtype(value.dtype, np.integer) and scale != 0:
        return ((value.astype(np.float32) - zero_point) * scale).astype(np.float32)
    return np.array(value, copy=True)


class TFLiteRunner:
    """`predict(inputs) -> outputs` on the "serving_default" signature; outputs are copies.

    `xnnpack=False` selects the built-in kernels without the default XNNPACK delegate.
    """

    def __init__(self, path: Path, num_threads: int = 2, xnnpack: bool = True):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        self.path = Path(path)
        resolver = OpResolverType.AUTO if xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        kernels = "XNNPACK" if xnnpack else "built-in kernels, XNNPACK off"
        self.label = f"LiteRT interpreter ({kernels}, {num_threads} threads)"
        try:
            self.interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads, experimental_op_resolver_type=resolver)
            signatures = self.interpreter.get_signature_list()
            if SIGNATURE_KEY not in signatures:
                raise TFLiteRunError(f"{self.path.name} has signatures {sorted(signatures)}; expected {SIGNATURE_KEY!r}")
            self.signature = self.interpreter.get_signature_runner(SIGNATURE_KEY)
        except (ValueError, RuntimeError) as error:
            if isinstance(error, TFLiteRunError):
                raise
            raise TFLiteRunError(f"LiteRT cannot open {self.path.name}: {error}") from error
        self.input_details = self.signature.get_input_details()
        self.output_details = self.signature.get_output_details()

    @property
    def input_names(self) -> list[str]:
        return list(self.input_details)

    @property
    def output_names(self) -> list[str]:
        return list(self.output_details)

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if set(inputs) != set(self.input_details):
            raise TFLiteRunError(f"{self.path.name} takes inputs {sorted(self.input_details)}, got {sorted(inputs)}")
        feed = {name: quantize_input(value, self.input_details[name]) for name, value in inputs.items()}
        try:
            outputs = self.signature(**feed)
        except (ValueError, RuntimeError) as error:
            raise TFLiteRunError(f"LiteRT failed to run {self.path.name}: {error}") from error
        # The arrays point into the interpreter's buffers, which the next call overwrites.
        return {name: dequantize_output(value, self.output_details[name]) for name, value in outputs.items()}


def open_tflite(path: Path, num_threads: int = 2, xnnpack: bool = True) -> TFLiteRunner:
    return TFLiteRunner(path, num_threads=num_threads, xnnpack=xnnpack)

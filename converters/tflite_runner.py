"""Run a converted .tflite file with the LiteRT interpreter, the kernels of Android's CPU path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from converters.tflite import SIGNATURE_KEY


class TFLiteRunner:
    """`predict(inputs) -> outputs` on the "serving_default" signature; outputs are copies."""

    def __init__(self, path: Path, num_threads: int = 2):
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self.interpreter = Interpreter(model_path=str(self.path), num_threads=num_threads)
        signatures = self.interpreter.get_signature_list()
        if SIGNATURE_KEY not in signatures:
            raise ValueError(f"{self.path.name} has signatures {sorted(signatures)}; expected {SIGNATURE_KEY!r}")
        self.signature = self.interpreter.get_signature_runner(SIGNATURE_KEY)
        self.input_details = self.signature.get_input_details()
        self.output_details = self.signature.get_output_details()
        self.label = f"LiteRT interpreter (XNNPACK, {num_threads} threads)"

    @property
    def input_names(self) -> list[str]:
        return list(self.input_details)

    @property
    def output_names(self) -> list[str]:
        return list(self.output_details)

    def predict(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        if set(inputs) != set(self.input_details):
            raise ValueError(f"{self.path.name} takes inputs {sorted(self.input_details)}, got {sorted(inputs)}")
        feed = {name: np.asarray(value, dtype=self.input_details[name]["dtype"]) for name, value in inputs.items()}
        outputs = self.signature(**feed)
        # The arrays point into the interpreter's buffers, which the next call overwrites.
        return {name: np.array(value, copy=True) for name, value in outputs.items()}


def open_tflite(path: Path, num_threads: int = 2) -> TFLiteRunner:
    return TFLiteRunner(path, num_threads=num_threads)

"""The demo's face for a seed, drawn with the LiteRT Python interpreter from the same two TFLite files."""

from __future__ import annotations

import numpy as np

from mobile_demo.deploy_folder import DemoModels

SIGNATURE_KEY = "serving_default"


def run_signature(path, inputs: dict[str, np.ndarray], num_threads: int) -> dict[str, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path), num_threads=num_threads)
    outputs = interpreter.get_signature_runner(SIGNATURE_KEY)(**inputs)
    # The arrays point into the interpreter's buffers; copy them before it goes away.
    return {name: np.array(value, copy=True) for name, value in outputs.items()}


def draw_with_interpreter(models: DemoModels, seed: int, psi: float, num_threads: int = 2) -> np.ndarray:
    """Float image (3, H, W) for `seed`: z = RandomState(seed).randn(1, D) as float32, then mapping and synthesis."""
    z = np.random.RandomState(seed).randn(1, models.style_dim).astype(np.float32)
    psi_array = np.full((1, 1), psi, dtype=np.float32)
    w = run_signature(models.mapping.path, {"z": z, "psi": psi_array}, num_threads)["w"]
    image = run_signature(models.synthesis.path, {"w": w}, num_threads)["image"]
    return image[0]

"""Benchmark candidates. A candidate is a recipe (plain data) that builds a function drawing one image.

Recipes are plain dicts so that the memory probe can rebuild a candidate in a fresh process and
import only what that candidate needs: a TFLite row then does not pay for PyTorch's memory.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

RunFunction = Callable[[], None]


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One row of the table."""

    name: str
    recipe: dict
    file: Path | None = None
    note: str = ""


def build_run(recipe: dict) -> RunFunction:
    """Load what `recipe` names and return the function to time; imports happen here, lazily."""
    builders = {"tflite": build_tflite, "openvino": build_openvino, "torch": build_torch}
    return builders[recipe["kind"]](recipe)


def build_tflite(recipe: dict) -> RunFunction:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=recipe["path"], num_threads=recipe["threads"])
    runner = interpreter.get_signature_runner("serving_default")
    feed = {name: np.zeros(details["shape"], dtype=details["dtype"]) for name, details in runner.get_input_details().items()}
    return lambda: runner(**feed)


def build_openvino(recipe: dict) -> RunFunction:
    """OpenVINO CPU plugin with the latency hint and one stream, as a latency-minded app sets it."""
    import numpy as np

    from msg_model.openvino_import import import_openvino

    core = import_openvino().Core()
    config = {
        "INFERENCE_NUM_THREADS": recipe["threads"],
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": 1,
        "INFERENCE_PRECISION_HINT": recipe["precision"],
    }
    compiled = core.compile_model(core.read_model(recipe["xml"]), "CPU", config)
    request = compiled.create_infer_request()
    feed = {0: np.zeros(tuple(compiled.input(0).shape), dtype=np.float32)}
    return lambda: request.infer(feed)


def build_torch(recipe: dict) -> RunFunction:
    import torch

    from msg_model.spec import load_model, random_generator

    torch.set_num_threads(recipe["threads"])
    cache_dir = Path(recipe["cache_dir"]) if recipe.get("cache_dir") else None
    model = load_model(recipe["model"], trust_checkpoint=recipe.get("trust_checkpoint", False), cache_dir=cache_dir)
    ws = torch.zeros(1, model.config.style_dim)
    if recipe["form"] == "fused":
        module = model.synthesis.eval()
        forward = module
    else:
        # The trainable form's speed does not depend on its weights; random ones stand in when the
        # source has no trainable form (the released IR).
        synthesis = (model.generator or random_generator(model.config)).synthesis.eval()
        forward = lambda ws: synthesis(ws, noise_mode="const")  # noqa: E731

    def run() -> None:
        with torch.no_grad():
            forward(ws)

    return run

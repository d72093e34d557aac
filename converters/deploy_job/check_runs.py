"""Run every artifact once on a runtime and compare it with the fused PyTorch model on the same latent.

This is a smoke check (one seeded latent, no thresholds besides finite outputs); `msg validate`
does the full comparison.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from typing import Any

import numpy as np
import torch

from converters.artifact import Artifact
from converters.sidecar import read_sidecar
from msg_model.errors import InvalidInputError
from msg_model.generator import z_from_seed
from msg_model.spec import LoadedModel

logger = logging.getLogger(__name__)

CHECK_SEED = 0
CHECK_PSI = 0.5
COREML_RUNNER_MODULE = "converters.coreml_runner"


class CheckRunError(RuntimeError):
    """Failure of an artifact check run: NaN or Inf outputs, or outputs other than the sidecar lists."""


def check_inputs(model: LoadedModel) -> dict[str, np.ndarray]:
    """Return seeded z, psi and the matching w as float32 arrays of batch 1."""
    z = z_from_seed(CHECK_SEED, model.config.style_dim)
    psi = torch.full((1, 1), CHECK_PSI)
    with torch.no_grad():
        w = model.mapping(z, psi)
    return {"z": z.numpy(), "psi": psi.numpy(), "w": w.numpy()}


def check_reference_finite(model: LoadedModel) -> None:
    """Raise `InvalidInputError` when the float model itself draws NaN or Inf on the check seed.

    No conversion of such a model can pass, so deploy stops before the slow steps.
    """
    latents = check_inputs(model)
    with torch.no_grad():
        image = model.synthesis(torch.from_numpy(latents["w"])).numpy()
    for name, value in (("w", latents["w"]), ("image", image)):
        if not np.isfinite(value).all():
            raise InvalidInputError(
                f"model {model.spec!r} computes NaN or Inf in {name} on seed {CHECK_SEED}: its weights contain NaN or Inf "
                f"or overflow float32; check the source file"
            )


def reference_outputs(model: LoadedModel, artifact: Artifact, latents: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Compute the fused PyTorch model's outputs for the artifact's role (float outputs only)."""
    with torch.no_grad():
        w = torch.from_numpy(latents["w"])
        if artifact.role == "mapping":
            return {"w": w.numpy()}
        if artifact.role == "generator":
            psi = float(read_sidecar(artifact.path)["truncation_psi"])
            w = model.mapping(torch.from_numpy(latents["z"]), torch.full((1, 1), psi))
        elif artifact.inputs[0].name == "w_plus":
            w = w[:, None, :].repeat(1, model.config.num_ws, 1)
        return {"image": model.synthesis(w).numpy()}


def artifact_inputs(artifact: Artifact, latents: dict[str, np.ndarray], num_ws: int) -> dict[str, np.ndarray]:
    feed = {}
    for spec in artifact.inputs:
        if spec.name == "w_plus":
            feed[spec.name] = np.repeat(latents["w"][:, None, :], num_ws, axis=1)
        else:
            feed[spec.name] = latents[spec.name]
    return feed


def open_runner(artifact: Artifact, num_threads: int):
    """Open the runner for the artifact; return None, with a log line, when no runner exists for its target here."""
    if artifact.target == "tflite":
        from converters.tflite_runner import open_tflite

        return open_tflite(artifact.path, num_threads=num_threads)
    if importlib.util.find_spec(COREML_RUNNER_MODULE) is None:
        logger.info("no CoreML runner is installed (%s); %s is not run", COREML_RUNNER_MODULE, artifact.path.name)
        return None
    from converters.coreml_runner import open_coreml

    return open_coreml(artifact.path, compute_units="cpu_only")


def compare(outputs: dict[str, np.ndarray], expected: dict[str, np.ndarray], artifact: Artifact) -> dict[str, Any]:
    """Check outputs for NaN and Inf and return the max abs error of each float32 output against `expected`."""
    names = {spec.name for spec in artifact.outputs}
    if set(outputs) != names:
        raise CheckRunError(f"{artifact.path.name} returned outputs {sorted(outputs)}; its sidecar lists {sorted(names)}")
    errors = {}
    for spec in artifact.outputs:
        value = np.asarray(outputs[spec.name], dtype=np.float32)
        if not np.isfinite(value).all():
            raise CheckRunError(f"{artifact.path.name} produced NaN or Inf in {spec.name!r} on seed {CHECK_SEED}; the artifact is broken")
        # Integer and image outputs are post-processed pixels, not comparable with the float model here.
        if spec.dtype == "float32":
            errors[spec.name] = float(np.max(np.abs(value - expected[spec.name])))
    return {"max_abs_error": errors, "finite": True}


def run_artifact(model: LoadedModel, artifact: Artifact, num_threads: int) -> dict[str, Any]:
    """Run one artifact once; return a JSON-ready record (runner, seconds, max abs error per output)."""
    runner = open_runner(artifact, num_threads)
    if runner is None:
        return {"ran": False, "reason": f"no CoreML runner ({COREML_RUNNER_MODULE}) is available on this machine"}
    latents = check_inputs(model)
    feed = artifact_inputs(artifact, latents, model.config.num_ws)
    start = time.perf_counter()
    outputs = runner.predict(feed)
    seconds = time.perf_counter() - start
    record = {"ran": True, "runner": runner.label, "seconds": round(seconds, 4), "seed": CHECK_SEED, "psi": CHECK_PSI}
    record.update(compare(outputs, reference_outputs(model, artifact, latents), artifact))
    return record

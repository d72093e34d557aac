"""Provenance of an artifact: toolkit and library versions, and the noise baked into the model."""

from __future__ import annotations

import importlib.metadata

from msg_model.spec import LoadedModel

TOOLKIT_DISTRIBUTION = "mobilestylegan-deploy"
LIBRARIES = ("torch", "coremltools", "litert-torch", "ai-edge-litert", "numpy")


def package_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def toolkit_version() -> str:
    return package_version(TOOLKIT_DISTRIBUTION) or "unknown"


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shape a converted model; None for a missing one."""
    return {name: package_version(name) for name in LIBRARIES}


def noise_info(model: LoadedModel) -> tuple[str, int | None]:
    """Return (noise_mode, noise_seed) of the fused synthesis network.

    The seed is known when the model was fused from a trainable generator. An imported IR bakes
    noise maps of unknown origin, so its seed is None.
    """
    if not model.synthesis.with_noise:
        return "none", None
    generator = model.generator
    seed = getattr(generator.synthesis, "noise_seed", None) if generator is not None else None
    return "const", seed

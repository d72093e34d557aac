"""Provenance of an artifact: toolkit and library versions, and the noise baked into the model."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from pathlib import Path

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


# Packages whose code decides what a converted or quantized file contains.
CODE_PACKAGES = ("msg_model", "converters", "quantization")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 (first 16 hex digits) of the toolkit's model, converter and quantization source files.

    Caches of converted models compare it, so a file made by other toolkit code is converted again.
    The version number is not enough, because it does not change between commits.
    """
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in CODE_PACKAGES:
        for source in sorted((root / package).rglob("*.py")):
            digest.update(f"{source.relative_to(root).as_posix()}\0".encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


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

"""Versions of every tool that can take part in a validation run, for the report."""

from __future__ import annotations

import importlib.metadata
import platform

DISTRIBUTIONS = (
    "mobilestylegan-deploy",
    "torch",
    "torchvision",
    "numpy",
    "ai-edge-litert",
    "litert-torch",
    "ai-edge-quantizer",
    "coremltools",
    "openvino",
    "scikit-image",
    "torch-fidelity",
    "pillow",
)


def tool_versions() -> dict[str, str]:
    """Python, the platform, and the installed version of each distribution ("not installed" otherwise)."""
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions

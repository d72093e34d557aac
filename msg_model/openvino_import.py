"""Use OpenVINO without its usage telemetry.

OpenVINO 2026.4 sends usage events to an outside analytics service when `openvino` is first
imported and when `convert_model` runs, unless its consent file declines or the environment
variable CI is "true" (openvino_telemetry's opt-in checker reads both at each of those points).
The toolkit must not contact other hosts, so it does both inside `telemetry_declined()`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from types import ModuleType


@contextlib.contextmanager
def telemetry_declined():
    """Set CI=true for the duration of the block, then restore the previous value."""
    previous = os.environ.get("CI")
    os.environ["CI"] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["CI"]
        else:
            os.environ["CI"] = previous


def import_openvino() -> ModuleType:
    """Return the `openvino` module, imported with telemetry declined."""
    with telemetry_declined():
        return importlib.import_module("openvino")

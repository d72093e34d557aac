"""Run Core ML ML programs: with Core ML on macOS, and on Linux with the toolkit's reference runner.

coremltools converts and compresses models on Linux but cannot run them there. The reference
runner reads a saved `.mlpackage` (its program, constants and weight file), decompresses
compressed weights, and executes the MIL ops with PyTorch CPU kernels. Float16 ops are emulated
by rounding each op's result to float16, so float16 overflow shows up as it would on a device.
The `precision` module lists where the emulation can differ from Apple's runtime.

    runner = open_coreml("model.mlpackage")            # compute_units="cpu_only" or "all" on macOS
    images = runner.predict({"w": w})["image"]
"""

from converters.coreml_runner.errors import UnsupportedOperationError
from converters.coreml_runner.interpreter import REFERENCE_LABEL, ReferenceRunner, TraceRecord
from converters.coreml_runner.runner import ModelRunner, RunnerOptions, open_coreml

__all__ = [
    "REFERENCE_LABEL",
    "ModelRunner",
    "ReferenceRunner",
    "RunnerOptions",
    "TraceRecord",
    "UnsupportedOperationError",
    "open_coreml",
]

"""A coremltools 9.0 bug that breaks weight compression of channels-last models, and its workaround.

Every `coremltools.optimize.coreml` call compresses the program and then converts it again with the
default pass pipeline. That pipeline's `common::fuse_conv_bias` pass looks for conv -> transpose ->
add and reads the conv weight as a constant. After compression the weight comes from a
`constexpr_*` op, its value is None, and the pass raises
`AttributeError: 'NoneType' object has no attribute 'dtype'` (coremltools 9.0,
`optimize_conv.py`). The fused student computes channels-last, so every conv is followed by a
transpose and the noise add. The conversion already ran the pass once, and compression creates no
new conv and bias pairs, so skipping it during compression changes nothing in the result.
"""

from __future__ import annotations

import contextlib

SUPPORTED_COREMLTOOLS = "9.0"
SKIPPED_PASS = "common::fuse_conv_bias"


@contextlib.contextmanager
def without_conv_bias_fusion():
    """Skip coremltools' `common::fuse_conv_bias` pass while the block runs (coremltools 9.0 only)."""
    import coremltools
    from coremltools.converters.mil.mil.passes.graph_pass import AbstractGraphPass
    from coremltools.converters.mil.mil.passes.pass_registry import PASS_REGISTRY

    if coremltools.__version__ != SUPPORTED_COREMLTOOLS:
        raise RuntimeError(
            f"CoreML compression here works around a coremltools {SUPPORTED_COREMLTOOLS} bug by skipping {SKIPPED_PASS}; "
            f"found coremltools {coremltools.__version__}: install coremltools=={SUPPORTED_COREMLTOOLS} or check whether the bug is fixed"
        )

    class SkippedPass(AbstractGraphPass):
        def apply(self, prog) -> None:
            return None

    original = PASS_REGISTRY.passes[SKIPPED_PASS]
    PASS_REGISTRY.passes[SKIPPED_PASS] = SkippedPass
    try:
        yield
    finally:
        PASS_REGISTRY.passes[SKIPPED_PASS] = original

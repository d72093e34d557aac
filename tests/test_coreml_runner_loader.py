"""Reading ML programs: packed sub-byte values, inline and blob constants, and every constexpr (decompression) op.

Each constexpr case builds a tiny program with coremltools' MIL builder, converts it, runs it in
the reference runner, and compares with coremltools' own decompression of the same op.
"""

from __future__ import annotations

import numpy as np
import pytest

ct = pytest.importorskip("coremltools")
from coremltools.converters.mil import Builder as mb  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402
from coremltools.optimize import _utils as optimize_utils  # noqa: E402
from coremltools.proto import MIL_pb2  # noqa: E402

from converters.coreml_runner import open_coreml  # noqa: E402
from converters.coreml_runner.constants import unpack_bits  # noqa: E402

SUB_BYTE_TYPES = {MIL_pb2.INT4, MIL_pb2.UINT1, MIL_pb2.UINT2, MIL_pb2.UINT3, MIL_pb2.UINT4, MIL_pb2.UINT6}


# The MIL sub-byte types: uint1, uint2, uint3, uint4, uint6 and int4.
@pytest.mark.parametrize("bits, signed", [(1, False), (2, False), (3, False), (4, False), (6, False), (4, True)])
def test_unpack_bits_matches_coremltools(bits, signed):
    rng = np.random.RandomState(bits)
    low, high = (-(2 ** (bits - 1)), 2 ** (bits - 1)) if signed else (0, 2**bits)
    values = rng.randint(low, high, size=37)
    packed = optimize_utils.pack_elements_into_bits(values.astype(np.int8 if signed else np.uint8), bits)

    unpacked = unpack_bits(packed.tobytes(), bits, values.size, signed)

    np.testing.assert_array_equal(unpacked, values)


def run_weight(build_weight, shape, target):
    """Run x + float32(weight) with x = 0 in the reference runner; return the result, coremltools' value and the spec."""

    def build(x):
        return mb.add(x=x, y=mb.cast(x=build_weight(), dtype="fp32"))

    program = mb.program(input_specs=[mb.TensorSpec(shape=shape)], opset_version=target)(build)
    constexpr = [op for op in program.functions["main"].operations if op.op_type.startswith("constexpr")]
    expected = constexpr[-1].outputs[0].op.materialized_val_inference()
    if isinstance(expected, tuple):
        expected = expected[-1]
    model = ct.convert(
        program, convert_to="mlprogram", minimum_deployment_target=target,
        compute_precision=ct.precision.FLOAT32, pass_pipeline=ct.PassPipeline.EMPTY, skip_model_load=True,
    )
    (actual,) = open_coreml(model).predict({"x": np.zeros(shape, dtype=np.float32)}).values()
    return actual, np.asarray(expected, dtype=np.float32), model.get_spec()


def inline_sub_byte_values(spec) -> int:
    """How many op inputs of the main function are bit-packed sub-byte values stored inline."""
    function = spec.mlProgram.functions["main"]
    count = 0
    for op in function.block_specializations[function.opset].operations:
        bindings = [binding for argument in op.inputs.values() for binding in argument.arguments]
        values = [binding.value for binding in bindings if binding.WhichOneof("binding") == "value"]
        values += [value for name, value in op.attributes.items() if name == "val"]
        for value in values:
            inline = value.WhichOneof("value") == "immediateValue"
            count += inline and value.type.tensorType.dataType in SUB_BYTE_TYPES
    return count


def float16_lut(shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype(np.float16)


@pytest.mark.parametrize("vector_axis", [0, 1, -1])
def test_vector_palette_lut_to_dense(vector_axis):
    indices = np.random.RandomState(1).randint(0, 16, size=(2, 4, 2)).astype(types.np_uint4_dtype)
    lut = float16_lut((1, 2, 1, 16, 3))
    shape = [2, 4, 2]
    shape[vector_axis] *= 3

    actual, expected, _ = run_weight(
        lambda: mb.constexpr_lut_to_dense(indices=indices, lut=lut, vector_axis=vector_axis), tuple(shape), ct.target.iOS18
    )

    np.testing.assert_array_equal(actual, expected)


def test_grouped_palette_with_inline_indices():
    # Fewer than 10 elements, so coremltools stores the packed 2-bit indices inline.
    indices = np.array([2, 3, 3, 0, 1, 0, 3, 0]).reshape(4, 2).astype(types.np_uint2_dtype)
    lut = np.array([1.0, 5.0, 9.0, 13.0, 2.0, 10.0, 18.0, 26.0], dtype=np.float16).reshape(2, 1, 4, 1)

    actual, expected, spec = run_weight(lambda: mb.constexpr_lut_to_dense(indices=indices, lut=lut), (4, 2), ct.target.iOS18)

    assert inline_sub_byte_values(spec) >= 1
    np.testing.assert_array_equal(actual, expected)
    # Rows 0-1 read the first palette, rows 2-3 the second.
    np.testing.assert_array_equal(actual, [[9.0, 13.0], [13.0, 1.0], [10.0, 2.0], [26.0, 2.0]])


def test_blockwise_shift_scale_with_int4_offset():
    data = np.random.RandomState(2).randint(-8, 8, size=(4, 6)).astype(types.np_int4_dtype)
    scale = np.array([[0.5, 0.25], [2.0, 0.125]], dtype=np.float16)
    offset = np.array([[1, -2], [0, 3]]).astype(types.np_int4_dtype)

    actual, expected, _ = run_weight(
        lambda: mb.constexpr_blockwise_shift_scale(data=data, scale=scale, offset=offset), (4, 6), ct.target.iOS18
    )

    np.testing.assert_array_equal(actual, expected)


def test_sparse_to_dense_with_bit_mask():
    mask = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0]).reshape(3, 4).astype(types.np_uint1_dtype)
    nonzero = np.arange(1, 8, dtype=np.float16)

    actual, expected, _ = run_weight(lambda: mb.constexpr_sparse_to_dense(nonzero_data=nonzero, mask=mask), (3, 4), ct.target.iOS18)

    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(actual[0], [1.0, 0.0, 2.0, 3.0])


def test_vector_palette_on_sparse_weights():
    mask = np.array([1, 0, 1, 1, 0, 1, 1, 0]).reshape(2, 4).astype(types.np_uint1_dtype)
    indices = np.array([0, 1, 1, 0, 1]).astype(types.np_uint1_dtype)
    lut = float16_lut((1, 1, 2, 2), seed=3)

    def build():
        sparse_mask, nonzero = mb.constexpr_lut_to_sparse(indices_mask=mask, indices_nonzero_data=indices, lut=lut, vector_axis=0)
        return mb.constexpr_sparse_to_dense(nonzero_data=nonzero, mask=sparse_mask)

    actual, expected, _ = run_weight(build, (4, 4), ct.target.iOS18)

    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("target", ["iOS16", "iOS18"])
def test_constexpr_cast(target):
    source = np.random.RandomState(4).randn(3, 5).astype(np.float16)

    actual, expected, _ = run_weight(lambda: mb.constexpr_cast(source_val=source, output_dtype="fp32"), (3, 5), getattr(ct.target, target))

    np.testing.assert_array_equal(actual, source.astype(np.float32))
    np.testing.assert_array_equal(actual, expected)


def test_ios16_palette_and_mask_from_attributes():
    lut = np.linspace(-1.0, 1.0, 4).astype(np.float16)
    indices = optimize_utils.pack_elements_into_bits(np.array([3, 0, 1, 2, 2, 1, 0, 3, 1, 1], dtype=np.uint8), 2)
    mask = optimize_utils.pack_elements_into_bits(np.array([1, 0, 0, 1, 1, 0, 1, 0, 0, 1], dtype=np.uint8), 1)
    nonzero = np.arange(1, 6, dtype=np.float16)
    shape = np.array([2, 5], dtype=np.uint32)

    def build():
        palette = mb.constexpr_lut_to_dense(indices=indices, lut=lut, shape=shape)
        return mb.add(x=palette, y=mb.constexpr_sparse_to_dense(nonzero_data=nonzero, mask=mask, shape=shape))

    program = mb.program(input_specs=[mb.TensorSpec(shape=(2, 5))], opset_version=ct.target.iOS16)(
        lambda x: mb.add(x=x, y=mb.cast(x=build(), dtype="fp32"))
    )
    model = ct.convert(
        program, convert_to="mlprogram", minimum_deployment_target=ct.target.iOS16,
        compute_precision=ct.precision.FLOAT32, pass_pipeline=ct.PassPipeline.EMPTY, skip_model_load=True,
    )

    (actual,) = open_coreml(model).predict({"x": np.zeros((2, 5), dtype=np.float32)}).values()

    palette = lut[[3, 0, 1, 2, 2, 1, 0, 3, 1, 1]]
    sparse = np.array([1, 0, 0, 2, 3, 0, 4, 0, 0, 5], dtype=np.float16)
    # The add of two float16 weights is a float16 op, so its sum is rounded to float16.
    np.testing.assert_array_equal(actual.reshape(-1), (palette + sparse).astype(np.float32))

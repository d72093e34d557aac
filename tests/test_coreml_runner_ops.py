"""Each op kernel of the Core ML reference runner against PyTorch, on tiny MIL programs.

Every program is built with coremltools' MIL builder and converted to an ML program, so the
runner reads the real serialized form. Float16 cases compare with a PyTorch reference computed
in float32 from float16-rounded inputs and constants, so the only expected difference is the
rounding of the op's result (half a float16 step) and float32 summation order.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

ct = pytest.importorskip("coremltools")
from coremltools.converters.mil import Builder as mb  # noqa: E402
from coremltools.converters.mil.mil import types  # noqa: E402

from converters.coreml_runner import open_coreml  # noqa: E402

PRECISIONS = ["fp32", "fp16"]
# Passes that insert float16 casts and fold constants, but do not fuse or remove the ops under test.
TEST_PASSES = [
    "common::add_fp16_cast",
    "common::cast_optimization",
    "common::const_elimination",
    "common::dead_code_elimination",
    "common::update_output_dtypes",
]


def run_mil(build, inputs: dict[str, np.ndarray], precision: str, target=None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Convert `build(**placeholders)` to an ML program, run it in the reference runner, return outputs and op types."""
    target = target or ct.target.iOS16
    specs = [
        mb.TensorSpec(shape=value.shape, dtype=types.int32 if value.dtype.kind == "i" else types.fp32)
        for value in inputs.values()
    ]
    program = mb.program(input_specs=specs, opset_version=target)(build)
    model = ct.convert(
        program,
        convert_to="mlprogram",
        minimum_deployment_target=target,
        compute_precision=ct.precision.FLOAT16 if precision == "fp16" else ct.precision.FLOAT32,
        pass_pipeline=ct.PassPipeline(pass_names=list(TEST_PASSES), pipeline_name="coreml_runner_test"),
        skip_model_load=True,
    )
    spec = model.get_spec()
    function = spec.mlProgram.functions["main"]
    op_types = [op.type for op in function.block_specializations[function.opset].operations]
    runner = open_coreml(model)
    outputs = runner.predict(inputs)
    return [outputs[name] for name in runner.output_names], op_types


def rounding(precision: str):
    """Return the rounding that a float16 program applies to inputs and constants (none for float32)."""
    if precision == "fp16":
        return lambda value: torch.as_tensor(np.asarray(value, dtype=np.float32)).half().float()
    return lambda value: torch.as_tensor(np.asarray(value, dtype=np.float32))


def assert_matches(actual: np.ndarray, expected: torch.Tensor, precision: str) -> None:
    expected = expected.detach().numpy()
    assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
    if precision == "fp16":
        np.testing.assert_allclose(actual, expected, rtol=1e-3, atol=1e-4)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def random_array(*shape, seed=0, scale=1.0) -> np.ndarray:
    return (np.random.RandomState(seed).randn(*shape) * scale).astype(np.float32)


CONV_CASES = [
    # (input shape, weight shape, pad_type, pad, strides, dilations, groups)
    ((1, 4, 9, 8), (6, 4, 3, 3), "valid", None, (1, 1), (1, 1), 1),
    ((1, 4, 9, 8), (6, 4, 3, 3), "custom", (1, 2, 0, 3), (1, 1), (1, 1), 1),
    ((1, 4, 9, 8), (6, 2, 3, 3), "custom", (1, 1, 1, 1), (2, 1), (1, 1), 2),
    ((1, 4, 9, 8), (4, 1, 3, 3), "same", None, (1, 1), (1, 1), 4),
    ((1, 4, 9, 8), (8, 1, 3, 3), "same", None, (1, 1), (2, 2), 4),
    ((1, 4, 9, 8), (6, 4, 2, 4), "same", None, (1, 1), (1, 1), 1),
    ((1, 4, 9, 8), (6, 4, 2, 4), "same_lower", None, (1, 1), (1, 1), 1),
    ((1, 4, 9, 8), (6, 4, 3, 3), "same", None, (2, 3), (1, 1), 1),
    ((2, 3, 10), (5, 3, 4), "custom", (2, 1), (2,), (2,), 1),
]


def padded_conv(x, weight, bias, pads, strides, dilations, groups):
    spatial = x.ndim - 2
    x = F.pad(x, [p for i in reversed(range(spatial)) for p in (pads[2 * i], pads[2 * i + 1])])
    function = F.conv1d if spatial == 1 else F.conv2d
    return function(x, weight, bias, stride=strides, dilation=dilations, groups=groups)


def same_pads(sizes, kernel, strides, dilations, lower):
    """TensorFlow's SAME rule, written as output size first: out = ceil(size / stride)."""
    pads = []
    for size, k, stride, dilation in zip(sizes, kernel, strides, dilations):
        out = -(-size // stride)
        total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
        pads += [total - total // 2, total // 2] if lower else [total // 2, total - total // 2]
    return pads


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", CONV_CASES, ids=[f"{c[2]}-g{c[6]}-s{c[4]}-d{c[5]}-k{c[1][2:]}" for c in CONV_CASES])
def test_conv_matches_torch(case, precision):
    x_shape, w_shape, pad_type, pad, strides, dilations, groups = case
    x = random_array(*x_shape)
    weight = random_array(*w_shape, seed=1, scale=0.3)
    bias = random_array(w_shape[0], seed=2)

    def build(x):
        kwargs = dict(x=x, weight=weight, bias=bias, pad_type=pad_type, strides=strides, dilations=dilations, groups=groups)
        if pad is not None:
            kwargs["pad"] = pad
        return mb.conv(**kwargs)

    (actual,), ops = run_mil(build, {"x": x}, precision)
    assert "conv" in ops

    q = rounding(precision)
    if pad_type in ("same", "same_lower"):
        pads = same_pads(x_shape[2:], w_shape[2:], strides, dilations, pad_type == "same_lower")
    else:
        pads = pad or [0] * (2 * len(strides))
    expected = padded_conv(q(x), q(weight), q(bias), pads, strides, dilations, groups)
    assert_matches(actual, expected, precision)


def test_conv_same_pads_even_kernels_after():
    x = random_array(1, 1, 5, 6)
    weight = random_array(1, 1, 2, 4, seed=1)

    (actual,), _ = run_mil(lambda x: mb.conv(x=x, weight=weight, pad_type="same"), {"x": x}, "fp32")
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(weight), padding="same")

    assert_matches(actual, expected, "fp32")


CONV_TRANSPOSE_CASES = [
    # (input shape, weight shape, pad_type, pad, strides, dilations, groups)
    ((1, 4, 5, 6), (4, 3, 3, 3), "valid", None, (1, 1), (1, 1), 1),
    ((1, 4, 5, 6), (4, 3, 3, 3), "custom", (1, 1, 1, 1), (2, 2), (1, 1), 1),
    ((1, 4, 5, 6), (4, 2, 2, 2), "valid", None, (2, 2), (1, 1), 2),
    ((1, 4, 5, 6), (4, 1, 3, 3), "custom", (2, 2, 1, 1), (2, 3), (2, 1), 4),
]


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", CONV_TRANSPOSE_CASES, ids=[f"{c[2]}-g{c[6]}-s{c[4]}-d{c[5]}" for c in CONV_TRANSPOSE_CASES])
def test_conv_transpose_matches_torch(case, precision):
    x_shape, w_shape, pad_type, pad, strides, dilations, groups = case
    x = random_array(*x_shape)
    weight = random_array(*w_shape, seed=1, scale=0.3)
    bias = random_array(w_shape[1] * groups, seed=2)

    def build(x):
        kwargs = dict(x=x, weight=weight, bias=bias, pad_type=pad_type, strides=strides, dilations=dilations, groups=groups)
        if pad is not None:
            kwargs["pad"] = pad
        return mb.conv_transpose(**kwargs)

    (actual,), ops = run_mil(build, {"x": x}, precision)
    assert "conv_transpose" in ops

    q = rounding(precision)
    padding = [pad[0], pad[2]] if pad is not None else 0
    expected = F.conv_transpose2d(
        q(x), q(weight), q(bias), stride=strides, padding=padding, dilation=dilations, groups=groups
    )
    assert_matches(actual, expected, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_linear_and_matmul(precision):
    x = random_array(2, 3, 5)
    weight = random_array(4, 5, seed=1)
    bias = random_array(4, seed=2)
    y = random_array(2, 4, 6, seed=3)
    matrix = random_array(6, 2, seed=4)

    def build(x, y):
        linear = mb.linear(x=x, weight=weight, bias=bias)
        no_bias = mb.linear(x=x, weight=weight)
        product = mb.matmul(x=linear, y=y)
        transposed = mb.matmul(x=y, y=linear, transpose_x=True, transpose_y=True)
        return linear, no_bias, product, transposed, mb.matmul(x=y, y=matrix)

    actual, ops = run_mil(build, {"x": x, "y": y}, precision)
    assert {"linear", "matmul"} <= set(ops)

    q = rounding(precision)
    linear = q(F.linear(q(x), q(weight), q(bias)))
    assert_matches(actual[0], F.linear(q(x), q(weight), q(bias)), precision)
    assert_matches(actual[1], F.linear(q(x), q(weight)), precision)
    assert_matches(actual[2], linear @ q(y), precision)
    assert_matches(actual[3], q(y).transpose(-1, -2) @ linear.transpose(-1, -2), precision)
    assert_matches(actual[4], q(y) @ q(matrix), precision)


BINARY_OPS = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "real_div": torch.true_divide,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("op_type", sorted(BINARY_OPS))
def test_binary_op_broadcasts(op_type, precision):
    x = random_array(2, 3, 4)
    y = random_array(3, 1, seed=1) + 3.0

    (actual,), ops = run_mil(lambda x, y: getattr(mb, op_type)(x=x, y=y), {"x": x, "y": y}, precision)
    assert op_type in ops

    q = rounding(precision)
    assert_matches(actual, BINARY_OPS[op_type](q(x), q(y)), precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_pow_with_constant_exponent(precision):
    x = np.abs(random_array(3, 4)) + 0.5

    (actual,), ops = run_mil(lambda x: mb.pow(x=x, y=np.float32(2.5)), {"x": x}, precision)
    assert "pow" in ops

    q = rounding(precision)
    assert_matches(actual, torch.pow(q(x), 2.5), precision)


UNARY_CASES = {
    "sqrt": (lambda x: mb.sqrt(x=mb.abs(x=x)), lambda x, q: torch.sqrt(torch.abs(x))),
    "rsqrt_epsilon": (lambda x: mb.rsqrt(x=mb.abs(x=x), epsilon=0.5), lambda x, q: torch.rsqrt(torch.abs(x) + q(0.5))),
    "relu": (lambda x: mb.relu(x=x), lambda x, q: torch.relu(x)),
    "leaky_relu": (lambda x: mb.leaky_relu(x=x, alpha=0.2), lambda x, q: F.leaky_relu(x, float(q(0.2)))),
    "sigmoid": (lambda x: mb.sigmoid(x=x), lambda x, q: torch.sigmoid(x)),
    "tanh": (lambda x: mb.tanh(x=x), lambda x, q: torch.tanh(x)),
    "exp": (lambda x: mb.exp(x=x), lambda x, q: torch.exp(x)),
    "clip": (lambda x: mb.clip(x=x, alpha=-0.5, beta=0.7), lambda x, q: torch.clamp(x, float(q(-0.5)), float(q(0.7)))),
    "softmax": (lambda x: mb.softmax(x=x, axis=1), lambda x, q: torch.softmax(x, dim=1)),
    "gelu_tanh": (lambda x: mb.gelu(x=x, mode="TANH_APPROXIMATION"), lambda x, q: F.gelu(x, approximate="tanh")),
    "elu": (lambda x: mb.elu(x=x, alpha=0.7), lambda x, q: F.elu(x, float(q(0.7)))),
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", sorted(UNARY_CASES))
def test_unary_op_matches_torch(case, precision):
    build, reference = UNARY_CASES[case]
    x = random_array(2, 5, 7, scale=2.0)
    x[0, 0, :3] = [0.0, 1e-9, -1e-9]

    (actual,), _ = run_mil(build, {"x": x}, precision)

    q = rounding(precision)
    assert_matches(actual, reference(q(x), q), precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_rsqrt_default_epsilon_comes_from_program(precision):
    x = np.zeros((1, 3), dtype=np.float32)

    (actual,), _ = run_mil(lambda x: mb.rsqrt(x=x), {"x": x}, precision)

    # coremltools writes the default epsilon 1e-12 into the program. When coremltools 9.0 casts
    # the program to float16, it raises the epsilon to the smallest float16 subnormal, 2**-24.
    epsilon = 2.0**-24 if precision == "fp16" else 1e-12
    np.testing.assert_allclose(actual, np.full((1, 3), epsilon**-0.5, dtype=np.float32), rtol=1e-3)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_cast_truncates_and_rounds(precision):
    x = np.array([[-2.7, -0.5, 0.49, 1.5, 3.99, 70000.0]], dtype=np.float32)

    def build(x):
        as_int = mb.cast(x=x, dtype="int32")
        return as_int, mb.cast(x=as_int, dtype="fp32"), mb.cast(x=mb.cast(x=x, dtype="fp16"), dtype="fp32")

    (as_int, back, half), _ = run_mil(build, {"x": x}, precision)

    # coremltools leaves the inputs of cast ops in float32, even in a float16 program.
    np.testing.assert_array_equal(as_int, np.trunc(x).astype(np.int32))
    assert as_int.dtype == np.int32
    np.testing.assert_array_equal(back, np.trunc(x))
    np.testing.assert_array_equal(half, x.astype(np.float16).astype(np.float32))


@pytest.mark.parametrize("precision", PRECISIONS)
def test_shape_ops(precision):
    x = random_array(2, 3, 4)

    def build(x):
        return (
            mb.reshape(x=x, shape=[2, -1]),
            mb.reshape(x=x, shape=[0, -1, 2]),
            mb.transpose(x=x, perm=[2, 0, 1]),
            mb.expand_dims(x=x, axes=[0, -1]),
            mb.squeeze(x=mb.expand_dims(x=x, axes=[1]), axes=[1, 2]),
            mb.tile(x=x, reps=[1, 2, 3]),
            mb.identity(x=x),
        )

    actual, ops = run_mil(build, {"x": x}, precision)
    assert {"reshape", "transpose", "expand_dims", "squeeze", "tile", "identity"} <= set(ops)

    t = rounding(precision)(x)
    assert_matches(actual[0], t.reshape(2, 12), precision)
    assert_matches(actual[1], t.reshape(2, 6, 2), precision)
    assert_matches(actual[2], t.permute(2, 0, 1), precision)
    assert_matches(actual[3], t[None, ..., None], precision)
    assert_matches(actual[4], t, precision)
    assert_matches(actual[5], t.repeat(1, 2, 3), precision)
    assert_matches(actual[6], t, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_concat_stack_split(precision):
    x = random_array(2, 3, 4)
    y = random_array(2, 3, 4, seed=1)

    def build(x, y):
        halves = mb.split(x=x, split_sizes=[1, 3], axis=2)
        thirds = mb.split(x=y, num_splits=3, axis=1)
        return (
            mb.concat(values=[x, y], axis=1),
            mb.concat(values=[x, y], axis=-1, interleave=True),
            mb.stack(values=[x, y, x], axis=1),
            *halves,
            *thirds,
        )

    actual, ops = run_mil(build, {"x": x, "y": y}, precision)
    assert {"concat", "stack", "split"} <= set(ops)

    q = rounding(precision)
    tx, ty = q(x), q(y)
    assert_matches(actual[0], torch.cat([tx, ty], dim=1), precision)
    assert_matches(actual[1], torch.stack([tx, ty], dim=-1).reshape(2, 3, 8), precision)
    assert_matches(actual[2], torch.stack([tx, ty, tx], dim=1), precision)
    assert_matches(actual[3], tx[..., :1], precision)
    assert_matches(actual[4], tx[..., 1:], precision)
    for index in range(3):
        assert_matches(actual[5 + index], ty[:, index : index + 1], precision)


SLICE_CASES = [
    # (begin, end, stride, begin_mask, end_mask, squeeze_mask, numpy index)
    ([0, 1, 0, 2], [1, 3, 5, 6], None, None, None, None, np.s_[0:1, 1:3, 0:5, 2:6]),
    ([0, 0, 1, 0], [0, 0, 0, 0], [1, 2, 2, 3], [True, True, False, True], [True, True, True, True], None, np.s_[:, ::2, 1::2, ::3]),
    ([0, 2, -1, 5], [0, 0, 0, 0], [1, -1, 1, -2], [True, False, False, False], [True, True, True, True], None, np.s_[:, 2::-1, -1:, 5::-2]),
    ([1, 1, 0, -2], [2, 2, 0, -1], None, None, [False, False, True, False], [True, False, False, True], np.s_[1, 1:2, :, -2]),
]


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", SLICE_CASES, ids=["plain", "strides-masks", "negative-stride", "squeeze"])
def test_slice_by_index(case, precision):
    begin, end, stride, begin_mask, end_mask, squeeze_mask, index = case
    x = random_array(2, 3, 5, 7)

    def build(x):
        optional = dict(stride=stride, begin_mask=begin_mask, end_mask=end_mask, squeeze_mask=squeeze_mask)
        kwargs = dict(x=x, begin=begin, end=end)
        kwargs.update((name, value) for name, value in optional.items() if value is not None)
        return mb.slice_by_index(**kwargs)

    (actual,), ops = run_mil(build, {"x": x}, precision)
    assert "slice_by_index" in ops

    expected = rounding(precision)(x).numpy()[index]
    assert_matches(actual, torch.from_numpy(np.ascontiguousarray(expected)), precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_slice_by_size_and_gather(precision):
    x = random_array(3, 4, 5)
    indices = np.array([[2, -1], [0, 1]], dtype=np.int32)

    def build(x, indices):
        return (
            mb.slice_by_size(x=x, begin=[1, 0, -3], size=[2, -1, 2]),
            mb.gather(x=x, indices=indices, axis=1),
            mb.gather(x=x, indices=indices, axis=-1),
            mb.gather_along_axis(x=x, indices=np.zeros((3, 4, 2), dtype=np.int32) + 3, axis=2),
        )

    actual, ops = run_mil(build, {"x": x, "indices": indices}, precision)
    assert {"slice_by_size", "gather", "gather_along_axis"} <= set(ops)

    t = rounding(precision)(x)
    index = torch.from_numpy(np.where(indices < 0, indices + 4, indices)).long()
    assert_matches(actual[0], t[1:3, :, 2:4], precision)
    assert_matches(actual[1], t[:, index], precision)
    assert_matches(actual[2], t[:, :, torch.from_numpy(np.where(indices < 0, indices + 5, indices)).long()], precision)
    assert_matches(actual[3], t[:, :, [3, 3]], precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_gather_with_batch_dims(precision):
    x = random_array(2, 3, 4)
    indices = np.array([[2, 0, 2], [1, 1, 0]], dtype=np.int32)

    def build(x, indices):
        return mb.gather(x=x, indices=indices, axis=1, batch_dims=1)

    (actual,), _ = run_mil(build, {"x": x, "indices": indices}, precision)

    t = rounding(precision)(x)
    expected = torch.stack([t[b, torch.from_numpy(indices[b]).long()] for b in range(2)])
    assert_matches(actual, expected, precision)


PAD_CASES = [
    ("constant", [1, 2], 1.5),
    ("constant", [0, 1, 2, 0, 1, 3], 0.0),
    ("reflect", [2, 1, 0, 3], None),
    ("replicate", [1, 3, 2, 2], None),
]


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", PAD_CASES, ids=["constant-last", "constant-3d", "reflect", "replicate"])
def test_pad_modes(case, precision):
    mode, pads, value = case
    x = random_array(1, 2, 4, 5)

    def build(x):
        kwargs = dict(x=x, pad=np.array(pads, dtype=np.int32), mode=mode)
        if value is not None:
            kwargs["constant_val"] = np.float32(value)
        return mb.pad(**kwargs)

    (actual,), ops = run_mil(build, {"x": x}, precision)
    assert "pad" in ops

    t = rounding(precision)(x)
    torch_pads = [p for i in reversed(range(len(pads) // 2)) for p in pads[2 * i : 2 * i + 2]]
    if mode == "constant":
        expected = F.pad(t, torch_pads, value=value)
    else:
        expected = F.pad(t, torch_pads, mode=mode)
    assert_matches(actual, expected, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_pixel_shuffle_and_upsample(precision):
    x = random_array(1, 8, 3, 4)

    def build(x):
        return (
            mb.pixel_shuffle(x=x, upscale_factor=2),
            mb.pixel_unshuffle(x=mb.pixel_shuffle(x=x, upscale_factor=2), downscale_factor=np.uint32(2)),
            mb.upsample_nearest_neighbor(x=x, scale_factor_height=2, scale_factor_width=3),
            mb.crop(x=x, crop_height=[1, 0], crop_width=[1, 2]),
        )

    actual, ops = run_mil(build, {"x": x}, precision)
    assert {"pixel_shuffle", "pixel_unshuffle", "upsample_nearest_neighbor", "crop"} <= set(ops)

    t = rounding(precision)(x)
    assert_matches(actual[0], F.pixel_shuffle(t, 2), precision)
    assert_matches(actual[1], t, precision)
    assert_matches(actual[2], F.interpolate(t, scale_factor=(2, 3), mode="nearest"), precision)
    assert_matches(actual[3], t[:, :, 1:, 1:2], precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_reductions(precision):
    x = random_array(2, 3, 4)

    def build(x):
        return (
            mb.reduce_mean(x=x, axes=[1], keep_dims=True),
            mb.reduce_sum(x=x, axes=[0, -1], keep_dims=False),
            mb.reduce_sum(x=x),
            mb.reduce_max(x=x, axes=[2]),
            mb.reduce_l2_norm(x=x, axes=[1]),
            mb.reduce_argmax(x=x, axis=1, keep_dims=True),
        )

    actual, ops = run_mil(build, {"x": x}, precision)
    assert {"reduce_mean", "reduce_sum", "reduce_max", "reduce_l2_norm", "reduce_argmax"} <= set(ops)

    t = rounding(precision)(x)
    assert_matches(actual[0], t.mean(dim=1, keepdim=True), precision)
    assert_matches(actual[1], t.sum(dim=(0, 2)), precision)
    assert_matches(actual[2], t.sum(), precision)
    assert_matches(actual[3], t.amax(dim=2), precision)
    assert_matches(actual[4], t.norm(dim=1), precision)
    np.testing.assert_array_equal(actual[5], t.argmax(dim=1, keepdim=True).numpy())


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("per_channel", [False, True], ids=["per-tensor", "per-channel"])
def test_quantize_dequantize(per_channel, precision):
    x = random_array(2, 3, 4, scale=2.0)
    if per_channel:
        scale, zero_point, axis = np.array([0.02, 0.05, 0.1], dtype=np.float32), np.array([0, 5, -3], dtype=np.int8), 1
    else:
        scale, zero_point, axis = np.float32(0.03), np.int8(4), None

    def build(x):
        kwargs = dict(scale=scale, zero_point=zero_point)
        if axis is not None:
            kwargs["axis"] = axis
        quantized = mb.quantize(input=x, output_dtype="int8", **kwargs)
        return quantized, mb.dequantize(input=quantized, **kwargs)

    (quantized, restored), ops = run_mil(build, {"x": x}, precision, target=ct.target.iOS17)
    assert {"quantize", "dequantize"} <= set(ops)

    q = rounding(precision)
    if per_channel:
        zero_points = torch.from_numpy(zero_point.astype(np.int64))
        reference = torch.quantize_per_channel(q(x), q(scale).double(), zero_points, axis, torch.qint8)
    else:
        reference = torch.quantize_per_tensor(q(x), float(q(scale)), int(zero_point), torch.qint8)
    # Core ML has no int8 model outputs, so coremltools casts this one to int32.
    np.testing.assert_array_equal(quantized, reference.int_repr().numpy().astype(np.int32))
    assert_matches(restored, reference.dequantize(), precision)


PRELU_ALPHA = np.array([0.1, -0.3, 0.7, 2.0, 0.5], dtype=np.float32)
SOFTPLUS_ALPHA = np.linspace(0.5, 1.5, 5).astype(np.float32)
SOFTPLUS_BETA = np.linspace(2.0, 0.5, 5).astype(np.float32)


def per_channel(values, q):
    """A (5,) parameter, rounded like the program's constants, shaped to broadcast along axis 1 of (2, 5, 6)."""
    return q(values).reshape(1, 5, 1)


def prelu_rank4(x):
    # prelu takes per-channel alphas only for rank-4 inputs.
    return mb.reshape(x=mb.prelu(x=mb.reshape(x=x, shape=[2, 5, 6, 1]), alpha=PRELU_ALPHA), shape=[2, 5, 6])


MORE_UNARY_CASES = {
    "relu6": (lambda x: mb.relu6(x=x), lambda x, q: torch.clamp(x, 0.0, 6.0)),
    "prelu": (prelu_rank4, lambda x, q: torch.where(x > 0, x, x * per_channel(PRELU_ALPHA, q))),
    "sigmoid_hard": (lambda x: mb.sigmoid_hard(x=x, alpha=0.3, beta=0.4), lambda x, q: torch.clamp(q(0.3) * x + q(0.4), 0.0, 1.0)),
    "silu": (lambda x: mb.silu(x=x), lambda x, q: F.silu(x)),
    "softplus": (lambda x: mb.softplus(x=x), lambda x, q: F.softplus(x)),
    "softplus_parametric": (
        lambda x: mb.softplus_parametric(x=x, alpha=SOFTPLUS_ALPHA, beta=SOFTPLUS_BETA),
        lambda x, q: per_channel(SOFTPLUS_ALPHA, q) * F.softplus(x * per_channel(SOFTPLUS_BETA, q)),
    ),
    "softsign": (lambda x: mb.softsign(x=x), lambda x, q: x / (1 + torch.abs(x))),
    "scaled_tanh": (lambda x: mb.scaled_tanh(x=x, alpha=1.5, beta=0.7), lambda x, q: q(1.5) * torch.tanh(q(0.7) * x)),
    "linear_activation": (lambda x: mb.linear_activation(x=x, alpha=-0.5, beta=0.25), lambda x, q: q(-0.5) * x + q(0.25)),
    "clamped_relu": (lambda x: mb.clamped_relu(x=x, alpha=0.1, beta=1.2),
                     lambda x, q: torch.clamp(torch.where(x >= 0, x, q(0.1) * x), max=float(q(1.2)))),
    "thresholded_relu": (lambda x: mb.thresholded_relu(x=x, alpha=0.3), lambda x, q: torch.where(x >= q(0.3), x, torch.zeros_like(x))),
    "gelu_exact": (lambda x: mb.gelu(x=x), lambda x, q: F.gelu(x)),
    "gelu_sigmoid": (lambda x: mb.gelu(x=x, mode="SIGMOID_APPROXIMATION"), lambda x, q: x * torch.sigmoid(q(1.702) * x)),
    "inverse": (lambda x: mb.inverse(x=mb.add(x=mb.abs(x=x), y=1.0), epsilon=0.25),
                lambda x, q: 1.0 / (q(torch.abs(x) + 1.0) + q(0.25))),
    "log": (lambda x: mb.log(x=mb.add(x=mb.abs(x=x), y=0.5)), lambda x, q: torch.log(q(torch.abs(x) + 0.5))),
    "threshold": (lambda x: mb.threshold(x=x, alpha=0.2), lambda x, q: torch.clamp(x, min=float(q(0.2)))),
    "floor_ceil_round": (lambda x: mb.add(x=mb.add(x=mb.floor(x=x), y=mb.ceil(x=x)), y=mb.round(x=x)),
                         lambda x, q: torch.floor(x) + torch.ceil(x) + torch.round(x)),
    "sign_square": (lambda x: mb.mul(x=mb.sign(x=x), y=mb.square(x=x)), lambda x, q: torch.sign(x) * q(torch.square(x))),
    "trigonometry": (lambda x: mb.add(x=mb.sin(x=x), y=mb.cos(x=x)), lambda x, q: q(torch.sin(x)) + q(torch.cos(x))),
    "erf_exp2": (lambda x: mb.mul(x=mb.erf(x=x), y=mb.exp2(x=x)), lambda x, q: q(torch.erf(x)) * q(torch.exp2(x))),
}


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("case", sorted(MORE_UNARY_CASES))
def test_more_elementwise_ops(case, precision):
    build, reference = MORE_UNARY_CASES[case]
    x = random_array(2, 5, 6, scale=1.5)

    (actual,), _ = run_mil(build, {"x": x}, precision)

    q = rounding(precision)
    assert_matches(actual, reference(q(x), q), precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_integer_division_and_comparisons(precision):
    x = random_array(3, 4, scale=4.0)
    y = np.abs(random_array(3, 4, seed=1)) + 0.5

    def build(x, y):
        greater = mb.greater(x=x, y=y)
        both = mb.logical_and(x=greater, y=mb.less_equal(x=x, y=mb.mul(x=y, y=3.0)))
        return (
            mb.floor_div(x=x, y=y),
            mb.mod(x=x, y=y),
            mb.cast(x=greater, dtype="fp32"),
            mb.cast(x=both, dtype="fp32"),
            mb.cast(x=mb.equal(x=mb.floor(x=x), y=mb.floor(x=x)), dtype="fp32"),
        )

    actual, ops = run_mil(build, {"x": x, "y": y}, precision)
    assert {"floor_div", "mod", "greater", "logical_and", "less_equal", "equal"} <= set(ops)

    q = rounding(precision)
    tx, ty = q(x), q(y)
    assert_matches(actual[0], torch.floor_divide(tx, ty), precision)
    assert_matches(actual[1], torch.remainder(tx, ty), precision)
    assert_matches(actual[2], (tx > ty).float(), precision)
    assert_matches(actual[3], ((tx > ty) & (tx <= q(ty * 3.0))).float(), precision)
    assert_matches(actual[4], torch.ones_like(tx), precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_more_reductions(precision):
    x = random_array(2, 3, 4)
    positive = np.abs(x) + 0.5

    def build(x, positive):
        return (
            mb.reduce_min(x=x, axes=[1]),
            mb.reduce_prod(x=positive, axes=[0, 2], keep_dims=True),
            mb.reduce_l1_norm(x=x, axes=[2]),
            mb.reduce_sum_square(x=x, axes=[-1]),
            mb.reduce_log_sum(x=positive, axes=[1]),
            mb.reduce_log_sum_exp(x=x, axes=[0]),
            mb.reduce_argmin(x=x, axis=-1),
        )

    actual, _ = run_mil(build, {"x": x, "positive": positive}, precision)

    q = rounding(precision)
    t, p = q(x), q(positive)
    assert_matches(actual[0], t.amin(dim=1), precision)
    assert_matches(actual[1], p.prod(dim=0, keepdim=True).prod(dim=2, keepdim=True), precision)
    assert_matches(actual[2], t.abs().sum(dim=2), precision)
    assert_matches(actual[3], (t * t).sum(dim=-1), precision)
    assert_matches(actual[4], torch.log(p.sum(dim=1)), precision)
    assert_matches(actual[5], torch.logsumexp(t, dim=0), precision)
    np.testing.assert_array_equal(actual[6], t.argmin(dim=-1).numpy())


@pytest.mark.parametrize("precision", PRECISIONS)
def test_fill_shape_and_fractional_upsample(precision):
    x = random_array(1, 2, 4, 6)

    def build(x):
        return (
            mb.fill(shape=mb.shape(x=x), value=2.5),
            mb.fill_like(ref_tensor=x, value=-1.25),
            mb.upsample_nearest_neighbor(x=x, scale_factor_height=1.5, scale_factor_width=0.5),
        )

    actual, ops = run_mil(build, {"x": x}, precision)

    t = rounding(precision)(x)
    assert_matches(actual[0], torch.full((1, 2, 4, 6), 2.5), precision)
    assert_matches(actual[1], torch.full((1, 2, 4, 6), -1.25), precision)
    # NOTE: fractional scales follow PyTorch's "nearest" rule; Core ML's choice of pixel is unverified.
    expected = F.interpolate(t, scale_factor=(1.5, 0.5), mode="nearest", recompute_scale_factor=False)
    assert_matches(actual[2], expected, precision)

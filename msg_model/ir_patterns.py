"""Pieces of a MobileStyleGAN OpenVINO IR, found by their place in the graph.

Each matcher starts at one layer, walks to the layers it reads from and returns the constants it
finds there (as float32 numpy arrays). When the graph differs from the expected pattern it raises
`IRStructureError` naming the layer that was expected and the one found. `load_checked_state`
then moves the constants into a PyTorch module, checking every shape.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch

from msg_model.errors import InvalidInputError
from msg_model.openvino_ir import Connection, IRGraph, Layer

LEAKY_SLOPE = 0.2
# Layers that keep the values of their first input and only change its shape or type.
VALUE_PRESERVING = ("Reshape", "Squeeze", "Unsqueeze", "Convert")
# Haar synthesis filters (pytorch_wavelets `db1`): a transposed conv with stride 2 writes
# x * filter[0] to the even and x * filter[1] to the odd output position.
HAAR_LOW = np.array([1.0, 1.0]) / math.sqrt(2.0)
HAAR_HIGH = np.array([1.0, -1.0]) / math.sqrt(2.0)
# (height filter, width filter) of each band: the low band, then high bands 0, 1, 2.
HAAR_BAND_FILTERS = {
    "low": (HAAR_LOW, HAAR_LOW),
    0: (HAAR_HIGH, HAAR_LOW),
    1: (HAAR_LOW, HAAR_HIGH),
    2: (HAAR_HIGH, HAAR_HIGH),
}
FILTER_TOLERANCE = 1e-6


class IRStructureError(InvalidInputError):
    """An IR whose graph is not a MobileStyleGAN network of the expected form."""


def fail(graph: IRGraph, expected: str, found: Layer, where: str = "") -> IRStructureError:
    """Build the error for a layer of the wrong type: what was expected, where, and what was found."""
    place = f" {where}" if where else ""
    return IRStructureError(f"{graph.name}: expected {expected}{place}, found {found.describe()}")


def input_of(graph: IRGraph, layer: Layer, index: int, types: tuple[str, ...], role: str) -> Connection:
    """Return the connection feeding input `index` of `layer`, raising unless its layer has one of `types`."""
    connection = graph.source(layer, index)
    if connection.layer.type not in types:
        raise fail(graph, f"{' or '.join(types)} ({role})", connection.layer, f"at input {index} of {layer.describe()}")
    return connection


def constant_value(graph: IRGraph, connection: Connection) -> np.ndarray | None:
    """Return the float32 value of `connection` when it is a constant, else None.

    A `Const` seen through shape-only layers (Reshape, Squeeze, Unsqueeze, Convert) counts as a
    constant. Its value then takes the static output shape of the last of those layers.
    """
    layer = connection.layer
    if layer.type == "Const":
        return graph.constant(layer).astype(np.float32)
    if layer.type in VALUE_PRESERVING:
        value = constant_value(graph, graph.source(layer, 0))
        shape = layer.output_shape(connection.output)
        if value is None or -1 in shape or math.prod(shape) != value.size:
            return None
        return value.reshape(shape)
    return None


def expect_constant(graph: IRGraph, layer: Layer, index: int, role: str) -> np.ndarray:
    connection = graph.source(layer, index)
    value = constant_value(graph, connection)
    if value is None:
        raise fail(graph, f"a constant ({role})", connection.layer, f"at input {index} of {layer.describe()}")
    return value


def split_constant_input(graph: IRGraph, layer: Layer, role: str) -> tuple[Connection, np.ndarray]:
    """Split a two-input layer with exactly one constant input into (the other input, the constant)."""
    values = [constant_value(graph, graph.source(layer, index)) for index in (0, 1)]
    if (values[0] is None) == (values[1] is None):
        count = sum(value is not None for value in values)
        raise IRStructureError(f"{graph.name}: expected {layer.describe()} in {role} to have exactly one constant input, found {count}")
    constant_index = 0 if values[0] is not None else 1
    return graph.source(layer, 1 - constant_index), values[constant_index]


def check_int_attribute(graph: IRGraph, layer: Layer, name: str, expected: tuple[int, ...], role: str) -> None:
    text = layer.attributes.get(name, "")
    found = tuple(int(part) for part in text.split(",") if part.strip())
    if found != expected:
        raise IRStructureError(f"{graph.name}: expected {name}={list(expected)} on {layer.describe()} in {role}, found {text!r}")


def check_leaky_relu(graph: IRGraph, layer: Layer, role: str) -> None:
    """Check that `layer` is a PReLU whose slope is the constant 0.2 of a leaky ReLU."""
    if layer.type != "PReLU":
        raise fail(graph, f"PReLU (leaky ReLU of {role})", layer)
    slope = expect_constant(graph, layer, 1, f"slope of {role}")
    if slope.size == 0 or not np.allclose(slope, LEAKY_SLOPE, rtol=0, atol=1e-7):
        raise IRStructureError(f"{graph.name}: {layer.describe()} in {role} has slope {slope.ravel()[:4]}, expected {LEAKY_SLOPE}")


@dataclasses.dataclass(frozen=True)
class AffineMap:
    """Rows `weight` (C, style_dim) and `bias` (C,) of an affine map of w, any scale folded in."""

    weight: np.ndarray
    bias: np.ndarray


def match_affine(graph: IRGraph, connection: Connection, style: Layer, role: str) -> AffineMap:
    """Match [Multiply by a constant scale] <- Reshape <- Add(bias) <- MatMul(style, weight)."""
    layer = connection.layer
    scale = np.float32(1.0)
    if layer.type == "Multiply":
        connection, scale = split_constant_input(graph, layer, f"scale of {role}")
        layer = connection.layer
    if layer.type != "Reshape":
        raise fail(graph, f"Reshape (the style of {role} as (B, C, 1, 1))", layer)

    add = input_of(graph, layer, 0, ("Add",), f"bias Add of the affine map of {role}").layer
    matmul_connection, bias = split_constant_input(graph, add, f"affine map of {role}")
    if matmul_connection.layer.type != "MatMul":
        raise fail(graph, f"MatMul (affine map of {role})", matmul_connection.layer, f"at an input of {add.describe()}")
    matmul = matmul_connection.layer
    if graph.source(matmul, 0).layer is not style:
        raise fail(graph, f"the input {style.name!r} (affine map of {role})", graph.source(matmul, 0).layer, f"at input 0 of {matmul.describe()}")
    if matmul.attributes.get("transpose_a", "false") != "false":
        raise IRStructureError(f"{graph.name}: expected transpose_a=false on {matmul.describe()} in {role}")

    weight = expect_constant(graph, matmul, 1, f"weight of the affine map of {role}")
    if matmul.attributes.get("transpose_b", "false") != "true":
        weight = weight.T
    channels = weight.shape[0]
    if weight.ndim != 2 or bias.size != channels or scale.size not in (1, channels):
        raise IRStructureError(
            f"{graph.name}: affine map of {role} at {matmul.describe()} has weight {weight.shape}, bias {bias.shape} "
            f"and scale {np.shape(scale)}; expected (C, style_dim), C values and 1 or C values"
        )
    scale = np.reshape(scale, (-1,))
    return AffineMap(weight * scale[:, None], bias.reshape(-1) * scale)


def split_style_multiply(graph: IRGraph, layer: Layer, style: Layer, role: str) -> tuple[AffineMap, Connection]:
    """Split `style(w) * x` into (style map, x). The style side is the input of spatial size 1x1."""
    if layer.type != "Multiply":
        raise fail(graph, f"Multiply (input scaled by the style of {role})", layer)
    inputs = graph.inputs(layer)
    is_style = [len(c.layer.output_shape(c.output)) == 4 and c.layer.output_shape(c.output)[2:] == (1, 1) for c in inputs]
    if sum(is_style) != 1:
        shapes = [c.layer.output_shape(c.output) for c in inputs]
        raise IRStructureError(
            f"{graph.name}: expected one input of shape (B, C, 1, 1) and one of shape (B, C, H, W) at "
            f"{layer.describe()} in {role}, found {shapes}"
        )
    style_index = is_style.index(True)
    return match_affine(graph, inputs[style_index], style, role), inputs[1 - style_index]


def check_spatial_conv(graph: IRGraph, layer: Layer, kernel_size: int, role: str) -> None:
    padding = kernel_size // 2
    check_int_attribute(graph, layer, "strides", (1, 1), role)
    check_int_attribute(graph, layer, "dilations", (1, 1), role)
    check_int_attribute(graph, layer, "pads_begin", (padding, padding), role)
    check_int_attribute(graph, layer, "pads_end", (padding, padding), role)
    if layer.attributes.get("auto_pad", "explicit") not in ("explicit", "notset"):
        raise IRStructureError(f"{graph.name}: expected explicit padding on {layer.describe()} in {role}, found auto_pad={layer.attributes['auto_pad']!r}")


@dataclasses.dataclass(frozen=True)
class ConvMatch:
    """A conv with its style: weights with demodulation folded in, bias (C,), noise (1, 1, H, W) or None."""

    style: AffineMap
    weight: np.ndarray
    weight_dw: np.ndarray | None
    bias: np.ndarray
    noise: np.ndarray | None
    input: Connection


def match_bias_and_noise(graph: IRGraph, layer: Layer, channels: int, with_noise: bool, role: str) -> tuple[np.ndarray, np.ndarray | None, Layer]:
    """Walk up the Adds of a constant after a conv: bias (1, C, 1, 1) and, when `with_noise`, noise (1, 1, H, W).

    Return (bias, noise, the conv layer).
    """
    found: dict[str, np.ndarray] = {}
    for _ in range(2 if with_noise else 1):
        if layer.type != "Add":
            raise fail(graph, f"Add (bias or noise of {role})", layer)
        data, value = split_constant_input(graph, layer, f"bias or noise of {role}")
        is_noise = value.ndim == 4 and value.shape[:2] == (1, 1) and value.shape[2:] != (1, 1)
        kind = "noise" if is_noise else "bias"
        if kind in found or (kind == "bias" and value.size != channels) or (is_noise and not with_noise):
            raise IRStructureError(
                f"{graph.name}: {layer.describe()} in {role} adds a constant of shape {value.shape}; expected a bias of "
                f"{channels} values{' and a noise map (1, 1, H, W)' if with_noise else ''}, once each"
            )
        found[kind] = value
        layer = data.layer
    return found["bias"].reshape(-1), found.get("noise"), layer


def match_conv(graph: IRGraph, layer: Layer, style: Layer, with_noise: bool, role: str) -> ConvMatch:
    """Match style Multiply -> [depthwise GroupConvolution] -> Convolution -> bias and noise Adds, from the last Add."""
    channels = layer.output_shape()[1] if len(layer.output_shape()) == 4 else -1
    bias, noise, conv = match_bias_and_noise(graph, layer, channels, with_noise, role)
    if conv.type != "Convolution":
        raise fail(graph, f"Convolution ({role})", conv)
    weight = expect_constant(graph, conv, 1, f"weight of {role}")
    if weight.ndim != 4 or weight.shape[2] != weight.shape[3] or weight.shape[0] != bias.size:
        raise IRStructureError(f"{graph.name}: {conv.describe()} in {role} has weight {weight.shape}, expected ({bias.size}, Cin, k, k)")
    check_spatial_conv(graph, conv, weight.shape[2], role)

    source = graph.source(conv, 0).layer
    weight_dw = None
    if source.type == "GroupConvolution":
        weight_dw = expect_constant(graph, source, 1, f"depthwise weight of {role}")
        if weight_dw.ndim != 5 or weight_dw.shape[0] != weight.shape[1] or weight_dw.shape[1:3] != (1, 1):
            raise IRStructureError(
                f"{graph.name}: {source.describe()} in {role} has weight {weight_dw.shape}, expected a depthwise ({weight.shape[1]}, 1, 1, k, k)"
            )
        weight_dw = weight_dw[:, 0]
        check_spatial_conv(graph, source, weight_dw.shape[-1], role)
        source = graph.source(source, 0).layer
    affine, data = split_style_multiply(graph, source, style, role)
    return ConvMatch(affine, weight, weight_dw, bias, noise, data)


def match_styled_conv(graph: IRGraph, activation: Layer, style: Layer, role: str) -> ConvMatch:
    """Match a styled conv and its noise, ending in the leaky ReLU `activation`."""
    check_leaky_relu(graph, activation, role)
    return match_conv(graph, graph.source(activation, 0).layer, style, with_noise=True, role=role)


@dataclasses.dataclass(frozen=True)
class InverseDWTMatch:
    """An inverse Haar DWT of `source` (B, 4 * quarter, H, W), whose channels are in the official layout."""

    source: Connection
    quarter: int


def transposed_conv_filter(graph: IRGraph, layer: Layer, axis: int, role: str) -> tuple[np.ndarray, Connection]:
    """Check a 2-tap GroupConvolutionBackpropData with stride 2 along `axis` (0 height, 1 width) and return (filter, input)."""
    if layer.type != "GroupConvolutionBackpropData" or len(layer.inputs) != 2:
        raise fail(graph, f"GroupConvolutionBackpropData with 2 inputs ({role})", layer)
    strides = (2, 1) if axis == 0 else (1, 2)
    check_int_attribute(graph, layer, "strides", strides, role)
    check_int_attribute(graph, layer, "dilations", (1, 1), role)
    check_int_attribute(graph, layer, "pads_begin", (0, 0), role)
    check_int_attribute(graph, layer, "pads_end", (0, 0), role)
    if "output_padding" in layer.attributes:
        check_int_attribute(graph, layer, "output_padding", (0, 0), role)

    weight = expect_constant(graph, layer, 1, f"filter of {role}")
    kernel = (2, 1) if axis == 0 else (1, 2)
    if weight.ndim != 5 or weight.shape[1:] != (1, 1, *kernel):
        raise IRStructureError(f"{graph.name}: {layer.describe()} in {role} has filter {weight.shape}, expected (groups, 1, 1, {kernel[0]}, {kernel[1]})")
    taps = weight.reshape(weight.shape[0], 2)
    if not np.array_equal(taps, np.broadcast_to(taps[0], taps.shape)):
        raise IRStructureError(f"{graph.name}: {layer.describe()} in {role} uses different filters for different channels")
    return taps[0], graph.source(layer, 0)


def check_split(graph: IRGraph, layer: Layer, axis: int, lengths: list[int], role: str) -> None:
    if layer.type != "VariadicSplit":
        raise fail(graph, f"VariadicSplit ({role})", layer)
    rank = len(graph.source(layer, 0).layer.output_shape(graph.source(layer, 0).output))
    found_axis = int(expect_constant(graph, layer, 1, f"axis of {role}").reshape(-1)[0])
    found_lengths = expect_constant(graph, layer, 2, f"lengths of {role}").reshape(-1).astype(np.int64).tolist()
    if found_axis % rank != axis or found_lengths != lengths:
        raise IRStructureError(
            f"{graph.name}: {layer.describe()} in {role} splits axis {found_axis} into {found_lengths}, expected axis {axis} into {lengths}"
        )


def band_of(graph: IRGraph, connection: Connection, role: str) -> tuple[object, Layer]:
    """Identify the band that feeds a height pass: ("low", first split) or (k, second split)."""
    layer = connection.layer
    if layer.type == "VariadicSplit" and connection.output == 0:
        return "low", layer
    if layer.type == "Squeeze":
        split = input_of(graph, layer, 0, ("VariadicSplit",), f"band split of {role}")
        axes = expect_constant(graph, layer, 1, f"axis of a band of {role}").reshape(-1).tolist()
        if axes not in ([2], [-3]):
            raise IRStructureError(f"{graph.name}: {layer.describe()} in {role} squeezes axes {axes}, expected axis 2")
        return split.output, split.layer
    raise fail(graph, f"VariadicSplit or Squeeze (a wavelet band of {role})", layer)


def check_band_splits(graph: IRGraph, low_split: Layer, band_split: Layer, quarter: int, role: str) -> Connection:
    """Check split -> Reshape (B, quarter, 3, H, W) -> split into 3 bands, and return the first split's input."""
    check_split(graph, low_split, 1, [quarter, 3 * quarter], f"low and high bands of {role}")
    reshape = input_of(graph, band_split, 0, ("Reshape",), f"high bands of {role} as (B, C, 3, H, W)")
    shape = reshape.layer.output_shape()
    if len(shape) != 5 or shape[1:3] != (quarter, 3):
        raise IRStructureError(f"{graph.name}: {reshape.layer.describe()} in {role} gives shape {shape}, expected (B, {quarter}, 3, H, W)")
    if graph.source(reshape.layer, 0).layer is not low_split or graph.source(reshape.layer, 0).output != 1:
        raise fail(graph, f"output 1 of {low_split.describe()}", graph.source(reshape.layer, 0).layer, f"at input 0 of {reshape.layer.describe()}")
    check_split(graph, band_split, 2, [1, 1, 1], f"high bands of {role}")
    return graph.source(low_split, 0)


def check_haar_filters(graph: IRGraph, filters: dict, layer: Layer, role: str) -> None:
    for band, (height, width) in filters.items():
        expected_height, expected_width = HAAR_BAND_FILTERS[band]
        if not (np.allclose(height, expected_height, atol=FILTER_TOLERANCE) and np.allclose(width, expected_width, atol=FILTER_TOLERANCE)):
            raise IRStructureError(
                f"{graph.name}: the inverse DWT of {role} at {layer.describe()} applies to band {band} the filters "
                f"{height.tolist()} (height) and {width.tolist()} (width); expected the Haar synthesis filters "
                f"{expected_height.round(6).tolist()} and {expected_width.round(6).tolist()}"
            )


def match_inverse_dwt(graph: IRGraph, layer: Layer, role: str) -> InverseDWTMatch:
    """Match the IDWT that pytorch_wavelets exports: width pass of (height passes of low + band 0) plus (band 1 + band 2)."""
    if layer.type != "Add":
        raise fail(graph, f"Add (output of the inverse DWT of {role})", layer)
    filters: dict[object, tuple[np.ndarray, np.ndarray]] = {}
    splits: dict[str, Layer] = {}
    for width_input in graph.inputs(layer):
        width_filter, pair = transposed_conv_filter(graph, width_input.layer, 1, f"width pass of {role}")
        if pair.layer.type != "Add":
            raise fail(graph, f"Add (two height passes of {role})", pair.layer, f"at input 0 of {width_input.layer.describe()}")
        for height_input in graph.inputs(pair.layer):
            height_filter, band_input = transposed_conv_filter(graph, height_input.layer, 0, f"height pass of {role}")
            band, split = band_of(graph, band_input, role)
            kind = "low" if band == "low" else "high"
            if splits.setdefault(kind, split) is not split:
                raise IRStructureError(f"{graph.name}: the {kind} bands of the inverse DWT of {role} come from two different splits, {splits[kind].describe()} and {split.describe()}")
            filters[band] = (height_filter, width_filter)
    if sorted(filters, key=str) != sorted(HAAR_BAND_FILTERS, key=str):
        raise IRStructureError(f"{graph.name}: the inverse DWT of {role} at {layer.describe()} reads bands {sorted(map(str, filters))}, expected low, 0, 1, 2")
    check_haar_filters(graph, filters, layer, role)

    quarter = splits["low"].output_shape(0)[1]
    source = check_band_splits(graph, splits["low"], splits["high"], quarter, role)
    return InverseDWTMatch(source, quarter)


def single_input_and_output(graph: IRGraph) -> tuple[Layer, Layer]:
    """Return the one Parameter (B, style_dim) and the one Result of a generator IR."""
    parameters, results = graph.parameters(), graph.results()
    if len(parameters) != 1 or len(results) != 1:
        raise IRStructureError(f"{graph.name}: expected one input and one output, found {len(parameters)} and {len(results)}")
    if len(parameters[0].output_shape()) != 2:
        raise IRStructureError(f"{graph.name}: expected input {parameters[0].name!r} of shape (B, style_dim), found {parameters[0].output_shape()}")
    return parameters[0], results[0]


def load_checked_state(module: torch.nn.Module, state: dict[str, torch.Tensor], source: str) -> None:
    """Load `state` into `module` after checking that names and shapes match, with both shapes in the message."""
    expected = module.state_dict()
    problems = [f"{name} missing" for name in expected if name not in state]
    problems += [f"{name} unexpected" for name in state if name not in expected]
    problems += [
        f"{name} has shape {tuple(state[name].shape)}, expected {tuple(expected[name].shape)}"
        for name in expected
        if name in state and state[name].shape != expected[name].shape
    ]
    if problems:
        raise IRStructureError(f"{source}: the imported weights do not fit the network: {'; '.join(problems)}")
    module.load_state_dict({name: value.float().clone() for name, value in state.items()}, strict=True)

"""The numpy IR reader against OpenVINO's own reader, and the importer's structure checks on broken IRs."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from msg_model.ir_import import import_ir
from msg_model.ir_patterns import IRStructureError
from msg_model.openvino_ir import IRFormatError, read_ir

ov = pytest.importorskip("openvino")
ops = pytest.importorskip("openvino.opset13")


@pytest.fixture(scope="module")
def tiny_ir(tmp_path_factory):
    """A small IR with f32, f16, i32 and i64 constants, saved by OpenVINO without fp16 compression."""
    p = ops.parameter([1, 4], np.float32, name="x")
    c_f32 = ops.constant(np.arange(4, dtype=np.float32).reshape(1, 4) - 1.5, name="c_f32")
    c_f16 = ops.constant(np.array([[0.5, -1.25, 3.0, 65504.0]], dtype=np.float16), name="c_f16")
    c_i32 = ops.constant(np.array([[7, -8, 9, 2**31 - 1]], dtype=np.int32), name="c_i32")
    c_i64 = ops.constant(np.array([4, 1], dtype=np.int64), name="c_i64")
    added = ops.add(p, c_f32, name="add_f32")
    scaled = ops.multiply(added, ops.convert(c_f16, ov.Type.f32, name="f16_to_f32"), name="mul_f16")
    shifted = ops.subtract(scaled, ops.convert(c_i32, ov.Type.f32, name="i32_to_f32"), name="sub_i32")
    reshaped = ops.reshape(shifted, c_i64, special_zero=False, name="reshape_i64")
    model = ov.Model([ops.result(reshaped, name="out")], [p], "tiny")
    path = tmp_path_factory.mktemp("tiny_ir") / "tiny.xml"
    ov.save_model(model, str(path), compress_to_fp16=False)
    return path


def test_constants_match_openvino(tiny_ir):
    graph = read_ir(tiny_ir)
    reference = {op.get_friendly_name(): op.get_data() for op in ov.Core().read_model(str(tiny_ir)).get_ordered_ops() if op.get_type_name() == "Constant"}
    constants = {layer.name: graph.constant(layer) for layer in graph.layers_of_type("Const")}

    assert sorted(constants) == sorted(reference)
    for name, value in reference.items():
        assert constants[name].dtype == value.dtype, name
        assert constants[name].shape == value.shape, name
        np.testing.assert_array_equal(constants[name], value)


def test_graph_inputs_and_consumers(tiny_ir):
    graph = read_ir(tiny_ir)
    by_name = {layer.name: layer for layer in graph.layers.values()}
    multiply = by_name["mul_f16"]

    sources = [connection.layer.name for connection in graph.inputs(multiply)]
    assert sources == ["add_f32", "f16_to_f32"]
    assert [(layer.name, index) for layer, index in graph.consumers(by_name["x"])] == [("add_f32", 0)]
    assert [(layer.name, index) for layer, index in graph.consumers(multiply)] == [("sub_i32", 0)]
    assert multiply.output_shape() == (1, 4)
    assert [layer.name for layer in graph.parameters()] == ["x"]
    assert len(graph.results()) == 1


def test_topological_order_puts_sources_first(tiny_ir):
    graph = read_ir(tiny_ir)
    order = graph.topological_order()
    position = {layer.id: index for index, layer in enumerate(order)}

    assert len(order) == len(graph.layers)
    for layer in order:
        for connection in graph.inputs(layer):
            assert position[connection.layer.id] < position[layer.id], layer.name


def test_reader_rejects_short_bin(tiny_ir, tmp_path):
    shutil.copy(tiny_ir, tmp_path / "tiny.xml")
    data = tiny_ir.with_suffix(".bin").read_bytes()
    (tmp_path / "tiny.bin").write_bytes(data[:-4])

    with pytest.raises(IRFormatError, match=r"does not fit .*tiny\.bin"):
        read_ir(tmp_path / "tiny.xml")


def test_reader_rejects_dtd(tiny_ir, tmp_path):
    text = tiny_ir.read_text()
    (tmp_path / "tiny.xml").write_text(text.replace("<net ", '<!DOCTYPE net [<!ENTITY a "b">]>\n<net ', 1))
    shutil.copy(tiny_ir.with_suffix(".bin"), tmp_path / "tiny.bin")

    with pytest.raises(IRFormatError, match="DTD"):
        read_ir(tmp_path / "tiny.xml")


def test_reader_rejects_unknown_element_type(tiny_ir, tmp_path):
    text = tiny_ir.read_text()
    (tmp_path / "tiny.xml").write_text(text.replace('element_type="i32" shape="1, 4"', 'element_type="u1" shape="1, 4"', 1))
    shutil.copy(tiny_ir.with_suffix(".bin"), tmp_path / "tiny.bin")

    with pytest.raises(IRFormatError, match="element type 'u1'"):
        read_ir(tmp_path / "tiny.xml")


def test_reader_rejects_edge_to_missing_port(tiny_ir, tmp_path):
    root = ElementTree.parse(tiny_ir).getroot()
    root.find("edges/edge").set("to-port", "99")
    ElementTree.ElementTree(root).write(tmp_path / "tiny.xml")
    shutil.copy(tiny_ir.with_suffix(".bin"), tmp_path / "tiny.bin")

    with pytest.raises(IRFormatError, match="missing input port 99"):
        read_ir(tmp_path / "tiny.xml")


# Broken copies of the released IR: each edit must be rejected with the layer that was expected.


@pytest.fixture(scope="module")
def released_folder():
    from msg_model.pretrained import fetch_pretrained

    return fetch_pretrained("ffhq")


def released_copy(folder, destination):
    for path in folder.iterdir():
        if path.suffix in (".xml", ".bin"):
            shutil.copy(path, destination / path.name)
    return destination


def layer_id(root, name):
    return next(layer.get("id") for layer in root.iterfind("layers/layer") if layer.get("name") == name)


def output_port(root, layer):
    element = next(element for element in root.iterfind("layers/layer") if element.get("id") == layer)
    return element.find("output/port").get("id")


def edit_xml(path, edit):
    tree = ElementTree.parse(path)
    edit(tree.getroot())
    tree.write(path)


def retype_last_activation(root):
    layer = next(layer for layer in root.iterfind("layers/layer") if layer.get("name") == "LeakyRelu_742")
    layer.set("type", "Relu")


def skip_head_style(root):
    """Feed the head conv the last activation directly, leaving out its style Multiply."""
    head, multiply, activation = (layer_id(root, name) for name in ("Conv_753", "Mul_752", "LeakyRelu_742"))
    edge = next(e for e in root.iterfind("edges/edge") if e.get("to-layer") == head and e.get("from-layer") == multiply)
    edge.set("from-layer", activation)
    edge.set("from-port", output_port(root, activation))


def swap_image_bands(root):
    """Feed high band 1 of the image into the height pass of band 2 and the reverse."""
    first, second = (layer_id(root, name) for name in ("ConvTranspose_778", "ConvTranspose_779"))
    edges = [e for e in root.iterfind("edges/edge") if e.get("to-layer") in (first, second) and e.get("to-port") == "0"]
    assert len(edges) == 2
    edges[0].set("to-layer", second)
    edges[1].set("to-layer", first)


BROKEN_SYNTHESIS = {
    "activation type": (retype_last_activation, r"expected PReLU .*found Relu 'LeakyRelu_742'"),
    "head without style": (skip_head_style, r"expected Multiply \(input scaled by the style of the image head\).*found PReLU 'LeakyRelu_742'"),
    "image bands swapped": (swap_image_bands, r"inverse DWT of the image at Add 'img'.*band \d.*expected the Haar synthesis filters"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BROKEN_SYNTHESIS))
def test_broken_synthesis_rejected(released_folder, tmp_path, case):
    edit, message = BROKEN_SYNTHESIS[case]
    folder = released_copy(released_folder, tmp_path)
    edit_xml(folder / "SynthesisNetwork.xml", edit)

    with pytest.raises(IRStructureError, match=message):
        import_ir(folder)


@pytest.mark.slow
def test_non_haar_filter_rejected(released_folder, tmp_path):
    folder = released_copy(released_folder, tmp_path)
    root = ElementTree.parse(folder / "SynthesisNetwork.xml").getroot()
    data = next(layer.find("data") for layer in root.iterfind("layers/layer") if layer.get("name") == "1834")
    offset, size = int(data.get("offset")), int(data.get("size"))
    weights = bytearray((folder / "SynthesisNetwork.bin").read_bytes())
    taps = np.frombuffer(bytes(weights[offset : offset + size]), dtype=np.float32).copy()
    weights[offset : offset + size] = (taps * 1.01).tobytes()
    (folder / "SynthesisNetwork.bin").write_bytes(bytes(weights))

    with pytest.raises(IRStructureError, match=r"inverse DWT of the image at Add 'img' .* applies to band low .*expected the Haar synthesis filters"):
        import_ir(folder)


@pytest.mark.slow
def test_mapping_without_gain_rejected(released_folder, tmp_path):
    folder = released_copy(released_folder, tmp_path)

    def drop_last_gain(root):
        result, activation = (layer_id(root, name) for name in ("style/sink_port_0", "LeakyRelu_93"))
        edge = next(e for e in root.iterfind("edges/edge") if e.get("to-layer") == result)
        edge.set("from-layer", activation)
        edge.set("from-port", output_port(root, activation))

    edit_xml(folder / "MappingNetwork.xml", drop_last_gain)
    with pytest.raises(IRStructureError, match=re.escape("expected Multiply by sqrt(2) (linears[-1])") + ".*found PReLU 'LeakyRelu_93'"):
        import_ir(folder)

"""Reader of OpenVINO IR files (`.xml` graph plus `.bin` weights) that needs only numpy.

The XML lists layers (each with typed input and output ports and the attributes of its `<data>`
element) and edges from an output port to an input port. `Const` layers name a slice of the
`.bin` file by `offset` and `size` in bytes, with an `element_type` and a `shape`. IR versions 10
and 11 share this layout.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from msg_model.errors import InvalidInputError

SUPPORTED_IR_VERSIONS = ("10", "11")

# Element types stored as plain little-endian numbers. `bf16` is handled separately.
NUMPY_TYPES = {
    "f64": np.dtype("<f8"),
    "f32": np.dtype("<f4"),
    "f16": np.dtype("<f2"),
    "i64": np.dtype("<i8"),
    "i32": np.dtype("<i4"),
    "i16": np.dtype("<i2"),
    "i8": np.dtype("i1"),
    "u64": np.dtype("<u8"),
    "u32": np.dtype("<u4"),
    "u16": np.dtype("<u2"),
    "u8": np.dtype("u1"),
    "boolean": np.dtype("bool"),
}


class IRFormatError(InvalidInputError):
    """An `.xml` or `.bin` file that is not a readable OpenVINO IR."""


@dataclasses.dataclass(frozen=True)
class Port:
    """One input or output port of a layer. `shape` uses -1 for a dynamic dimension."""

    id: int
    shape: tuple[int, ...]
    names: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, eq=False)
class Layer:
    """One layer of the graph, with the attributes of its `<data>` element as strings."""

    id: int
    name: str
    type: str
    version: str
    attributes: Mapping[str, str]
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]

    def output_shape(self, index: int = 0) -> tuple[int, ...]:
        return self.outputs[index].shape

    def describe(self) -> str:
        """Name the layer for messages: type, name and id."""
        return f"{self.type} {self.name!r} (id {self.id})"


@dataclasses.dataclass(frozen=True, eq=False)
class Connection:
    """Output `output` (an index into `layer.outputs`) of `layer`."""

    layer: Layer
    output: int = 0


@dataclasses.dataclass(frozen=True)
class Edge:
    from_layer: int
    from_port: int
    to_layer: int
    to_port: int


def parse_dims(port_element: ElementTree.Element) -> tuple[int, ...]:
    dims = []
    for dim in port_element.findall("dim"):
        text = (dim.text or "").strip()
        dims.append(int(text) if text.lstrip("-").isdigit() else -1)
    return tuple(dims)


def parse_ports(parent: ElementTree.Element | None) -> tuple[Port, ...]:
    if parent is None:
        return ()
    ports = []
    for port in parent.findall("port"):
        names = tuple(name.strip() for name in port.get("names", "").split(",") if name.strip())
        ports.append(Port(int(port.get("id")), parse_dims(port), names))
    return tuple(ports)


def parse_layer(element: ElementTree.Element) -> Layer:
    data = element.find("data")
    return Layer(
        id=int(element.get("id")),
        name=element.get("name", ""),
        type=element.get("type", ""),
        version=element.get("version", ""),
        attributes=MappingProxyType(dict(data.attrib) if data is not None else {}),
        inputs=parse_ports(element.find("input")),
        outputs=parse_ports(element.find("output")),
    )


def parse_shape_attribute(text: str) -> tuple[int, ...]:
    """Parse a `shape` attribute such as "1, 512". An empty string is a scalar."""
    return tuple(int(part) for part in text.split(",") if part.strip())


def decode_constant(layer: Layer, weights: memoryview, source: Path) -> np.ndarray:
    """Read the value of a `Const` layer from the weights buffer, checking its declared size."""
    attributes = layer.attributes
    element_type = attributes.get("element_type", "")
    shape = parse_shape_attribute(attributes.get("shape", ""))
    offset, size = int(attributes.get("offset", -1)), int(attributes.get("size", -1))
    count = math.prod(shape)
    if element_type == "bf16":
        dtype = np.dtype("<u2")
    elif element_type in NUMPY_TYPES:
        dtype = NUMPY_TYPES[element_type]
    else:
        supported = ", ".join([*NUMPY_TYPES, "bf16"])
        raise IRFormatError(f"{layer.describe()} has element type {element_type!r}; supported types are {supported}")

    if offset < 0 or size != count * dtype.itemsize or offset + size > len(weights):
        raise IRFormatError(
            f"{layer.describe()} declares offset {offset} and size {size} bytes for {count} x {element_type}, "
            f"which does not fit {source} ({len(weights)} bytes); the .bin file does not belong to this .xml"
        )
    value = np.frombuffer(weights, dtype=dtype, count=count, offset=offset).reshape(shape)
    if element_type == "bf16":
        value = (value.astype(np.uint32) << 16).view(np.float32)
    else:
        value = value.astype(dtype.newbyteorder("="), copy=True)
    value.setflags(write=False)
    return value


class IRGraph:
    """The layers and edges of one IR, with the constant values read from its weights."""

    def __init__(self, name: str, layers: list[Layer], edges: list[Edge], constants: dict[int, np.ndarray]):
        self.name = name
        self.layers: dict[int, Layer] = {layer.id: layer for layer in layers}
        self._constants = constants
        self._sources: dict[tuple[int, int], tuple[int, int]] = {}
        self._consumers: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for edge in edges:
            self._sources[(edge.to_layer, edge.to_port)] = (edge.from_layer, edge.from_port)
            self._consumers.setdefault((edge.from_layer, edge.from_port), []).append((edge.to_layer, edge.to_port))

    def layer(self, layer_id: int) -> Layer:
        return self.layers[layer_id]

    def layers_of_type(self, layer_type: str) -> list[Layer]:
        return [layer for layer in self.layers.values() if layer.type == layer_type]

    def parameters(self) -> list[Layer]:
        return self.layers_of_type("Parameter")

    def results(self) -> list[Layer]:
        return self.layers_of_type("Result")

    def source(self, layer: Layer, input_index: int) -> Connection:
        """Return the output that feeds input `input_index` of `layer`."""
        if not 0 <= input_index < len(layer.inputs):
            raise IRFormatError(f"{layer.describe()} has {len(layer.inputs)} inputs, not an input {input_index}")
        key = (layer.id, layer.inputs[input_index].id)
        if key not in self._sources:
            raise IRFormatError(f"input {input_index} of {layer.describe()} is not connected")
        from_layer_id, from_port = self._sources[key]
        producer = self.layers[from_layer_id]
        output_ids = [port.id for port in producer.outputs]
        return Connection(producer, output_ids.index(from_port))

    def inputs(self, layer: Layer) -> list[Connection]:
        return [self.source(layer, index) for index in range(len(layer.inputs))]

    def consumers(self, layer: Layer, output_index: int = 0) -> list[tuple[Layer, int]]:
        """List the layers that read output `output_index` of `layer`, each with the index of the input that reads it."""
        port_id = layer.outputs[output_index].id
        found = []
        for to_layer_id, to_port in self._consumers.get((layer.id, port_id), []):
            consumer = self.layers[to_layer_id]
            input_ids = [port.id for port in consumer.inputs]
            found.append((consumer, input_ids.index(to_port)))
        return found

    def constant(self, layer: Layer) -> np.ndarray:
        """Return the value of a `Const` layer as a read-only array, shared between calls."""
        if layer.id not in self._constants:
            raise IRFormatError(f"{layer.describe()} is not a Const layer")
        return self._constants[layer.id]

    def topological_order(self) -> list[Layer]:
        """List all layers so that each comes after every layer it reads from, breaking ties by lower layer id."""
        pending = {layer_id: 0 for layer_id in self.layers}
        for to_layer, _ in self._sources:
            pending[to_layer] += 1
        ready = [layer_id for layer_id, count in pending.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            layer_id = heapq.heappop(ready)
            order.append(self.layers[layer_id])
            for port in self.layers[layer_id].outputs:
                for to_layer, _ in self._consumers.get((layer_id, port.id), []):
                    pending[to_layer] -= 1
                    if pending[to_layer] == 0:
                        heapq.heappush(ready, to_layer)
        if len(order) != len(self.layers):
            raise IRFormatError(f"the graph of {self.name!r} has a cycle; an OpenVINO IR must be acyclic")
        return order


def check_edges(layers: dict[int, Layer], edges: list[Edge], xml_path: Path) -> None:
    """Raise unless every edge joins an existing output port to an existing input port, once."""
    seen_inputs = set()
    for edge in edges:
        source, target = layers.get(edge.from_layer), layers.get(edge.to_layer)
        if source is None or edge.from_port not in {port.id for port in source.outputs}:
            raise IRFormatError(f"{xml_path}: an edge starts at missing output port {edge.from_port} of layer {edge.from_layer}")
        if target is None or edge.to_port not in {port.id for port in target.inputs}:
            raise IRFormatError(f"{xml_path}: an edge ends at missing input port {edge.to_port} of layer {edge.to_layer}")
        if (edge.to_layer, edge.to_port) in seen_inputs:
            raise IRFormatError(f"{xml_path}: input port {edge.to_port} of {target.describe()} has more than one edge")
        seen_inputs.add((edge.to_layer, edge.to_port))


def parse_xml(xml_path: Path) -> ElementTree.Element:
    text = xml_path.read_bytes()
    # IR files never declare a DTD, and refusing one rules out entity-expansion attacks.
    if b"<!DOCTYPE" in text or b"<!ENTITY" in text:
        raise IRFormatError(f"{xml_path} declares a DTD or entities, which OpenVINO IR files never do; it is rejected")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise IRFormatError(f"{xml_path} is not valid XML: {error}") from error
    if root.tag != "net" or root.get("version") not in SUPPORTED_IR_VERSIONS:
        raise IRFormatError(
            f"{xml_path} is not an OpenVINO IR: root <{root.tag} version={root.get('version')!r}>, "
            f"expected <net> with version {' or '.join(SUPPORTED_IR_VERSIONS)}"
        )
    return root


def read_ir(xml_path: Path | str, bin_path: Path | str | None = None) -> IRGraph:
    """Read an IR graph and its constants. `bin_path` defaults to the `.xml` path with suffix `.bin`."""
    xml_path = Path(xml_path)
    bin_path = Path(bin_path) if bin_path is not None else xml_path.with_suffix(".bin")
    for path in (xml_path, bin_path):
        if not path.is_file():
            raise FileNotFoundError(f"OpenVINO IR file {path} not found")
    root = parse_xml(xml_path)

    try:
        layers = [parse_layer(element) for element in root.iterfind("layers/layer")]
        edges = [
            Edge(*(int(element.get(key)) for key in ("from-layer", "from-port", "to-layer", "to-port")))
            for element in root.iterfind("edges/edge")
        ]
    except (TypeError, ValueError) as error:
        raise IRFormatError(f"{xml_path} has a layer, port or edge with a missing or non-integer id: {error}") from error
    by_id = {layer.id: layer for layer in layers}
    if len(by_id) != len(layers):
        raise IRFormatError(f"{xml_path} has two layers with the same id")
    check_edges(by_id, edges, xml_path)

    weights = memoryview(bin_path.read_bytes())
    constants = {layer.id: decode_constant(layer, weights, bin_path) for layer in layers if layer.type == "Const"}
    return IRGraph(root.get("name", xml_path.stem), layers, edges, constants)

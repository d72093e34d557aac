"""Decode MIL constant values (`MIL_pb2.Value`) into numpy arrays of their declared types.

A value is stored either inline (`immediateValue`) or in a blob file (`blobFileValue`, usually
`@model_path/weights/weight.bin`). Inline float16, int8, uint8, uint32 and the sub-byte types are
raw bytes, and sub-byte elements are bit-packed starting at the least significant bit. Blob files
are read with coremltools' own `_BlobStorageReader`, whose sub-byte readers return unpacked values.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from coremltools.proto import MIL_pb2

from converters.coreml_runner.mil_types import MilType, mil_type

MODEL_PATH_PREFIX = "@model_path/"

# `_BlobStorageReader` method per MIL type name (coremltools 9.0; there is no 64-bit reader).
BLOB_READERS = {
    "fp16": "read_fp16_data",
    "fp32": "read_float_data",
    "int4": "read_int4_data",
    "int8": "read_int8_data",
    "int16": "read_int16_data",
    "int32": "read_int32_data",
    "uint1": "read_uint1_data",
    "uint2": "read_uint2_data",
    "uint3": "read_uint3_data",
    "uint4": "read_uint4_data",
    "uint6": "read_uint6_data",
    "uint8": "read_uint8_data",
    "uint16": "read_uint16_data",
    "uint32": "read_uint32_data",
}

Constant = np.ndarray | str


class BlobFiles:
    """Opens each blob file of a model once; `@model_path/` names resolve against `model_dir`."""

    def __init__(self, model_dir: Path | None):
        self.model_dir = model_dir
        self._readers: dict[str, object] = {}

    def read(self, file_name: str, offset: int, value_type: MilType) -> np.ndarray:
        """Read the flat array stored at `offset` of `file_name`."""
        method = BLOB_READERS.get(value_type.name)
        if method is None:
            raise ValueError(f"cannot read a {value_type.name} blob: coremltools has no reader for it")
        data = getattr(self._reader(file_name), method)(offset)
        if value_type.name == "fp16":
            data = np.asarray(data).view(np.float16)
        return np.asarray(data).astype(value_type.numpy_dtype, copy=False)

    def _reader(self, file_name: str):
        from coremltools.libmilstoragepython import _BlobStorageReader

        path = self._resolve(file_name)
        if path not in self._readers:
            if not os.path.isfile(path):
                raise FileNotFoundError(f"weight file {path} not found; the model refers to it as {file_name!r}")
            self._readers[path] = _BlobStorageReader(path)
        return self._readers[path]

    def _resolve(self, file_name: str) -> str:
        if not file_name.startswith(MODEL_PATH_PREFIX):
            return file_name
        if self.model_dir is None:
            raise ValueError(f"the model refers to {file_name!r} but no model folder is known to resolve @model_path")
        return str(self.model_dir / file_name[len(MODEL_PATH_PREFIX) :])


def tensor_shape(tensor_type: MIL_pb2.TensorType) -> tuple[int | None, ...]:
    """Return the declared shape, with None for a dimension that is known only at run time."""
    return tuple(
        dimension.constant.size if dimension.WhichOneof("dimension") == "constant" else None
        for dimension in tensor_type.dimensions
    )


def unpack_bits(packed: bytes, bits: int, count: int, signed: bool) -> np.ndarray:
    """Unpack `count` elements of `bits` bits each, packed from the least significant bit up."""
    bit_array = np.unpackbits(np.frombuffer(packed, np.uint8), bitorder="little")[: count * bits]
    weights = (1 << np.arange(bits, dtype=np.int32)).astype(np.int32)
    values = bit_array.reshape(count, bits).astype(np.int32) @ weights
    if signed:
        values = np.where(values >= 1 << (bits - 1), values - (1 << bits), values)
    return values


def decode_value(value: MIL_pb2.Value, blob_files: BlobFiles) -> Constant:
    """Decode a tensor value into a numpy array of its declared type, or a scalar string into `str`."""
    kind = value.type.WhichOneof("type")
    if kind != "tensorType":
        raise ValueError(f"MIL {kind} constants are not supported by the reference runner")
    tensor_type = value.type.tensorType
    value_type = mil_type(tensor_type.dataType)
    if value_type.numpy_dtype is None and value_type.name != "string":
        raise ValueError(f"MIL {value_type.name} constants are not supported by the reference runner")
    shape = tensor_shape(tensor_type)
    if None in shape:
        raise ValueError(f"a constant has a shape with unknown dimensions: {shape}")

    if value.WhichOneof("value") == "blobFileValue":
        flat = blob_files.read(value.blobFileValue.fileName, value.blobFileValue.offset, value_type)
        return flat.reshape(shape)
    return _decode_immediate(value.immediateValue.tensor, value_type, shape)


def _decode_immediate(tensor: MIL_pb2.TensorValue, value_type: MilType, shape: tuple[int, ...]) -> Constant:
    kind = tensor.WhichOneof("value")
    count = int(np.prod(shape, dtype=np.int64))
    if kind == "strings":
        strings = list(tensor.strings.values)
        return strings[0] if shape == () else np.array(strings, dtype=object).reshape(shape)
    if kind == "bytes":
        if value_type.bits is not None:
            signed = value_type.name.startswith("int")
            values = unpack_bits(tensor.bytes.values, value_type.bits, count, signed)
            return values.astype(value_type.numpy_dtype).reshape(shape)
        return np.frombuffer(tensor.bytes.values, value_type.numpy_dtype)[:count].copy().reshape(shape)
    if kind is None:
        raise ValueError("an immediate tensor value has no data")
    values = getattr(tensor, kind).values
    return np.array(values, dtype=value_type.numpy_dtype).reshape(shape)

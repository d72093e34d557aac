"""MIL data types: the proto enum, the numpy dtype that stores each type, and how the runner keeps it in torch."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch
from coremltools.proto import MIL_pb2


@dataclasses.dataclass(frozen=True)
class MilType:
    """One MIL data type.

    `numpy_dtype` stores a value of this type exactly (sub-byte types use one byte per element).
    `bits` is the packed width of sub-byte types in immediate values, or None.
    """

    name: str
    numpy_dtype: np.dtype | None
    bits: int | None = None

    @property
    def is_float(self) -> bool:
        return self.name in ("fp16", "bf16", "fp32", "fp64")

    @property
    def is_integer(self) -> bool:
        return self.numpy_dtype is not None and np.issubdtype(self.numpy_dtype, np.integer)


_DT = MIL_pb2.DataType

MIL_TYPES: dict[int, MilType] = {
    _DT.BOOL: MilType("bool", np.dtype(np.bool_)),
    _DT.STRING: MilType("string", None),
    _DT.FLOAT16: MilType("fp16", np.dtype(np.float16)),
    _DT.BFLOAT16: MilType("bf16", None),
    _DT.FLOAT32: MilType("fp32", np.dtype(np.float32)),
    _DT.FLOAT64: MilType("fp64", np.dtype(np.float64)),
    _DT.INT4: MilType("int4", np.dtype(np.int8), bits=4),
    _DT.INT8: MilType("int8", np.dtype(np.int8)),
    _DT.INT16: MilType("int16", np.dtype(np.int16)),
    _DT.INT32: MilType("int32", np.dtype(np.int32)),
    _DT.INT64: MilType("int64", np.dtype(np.int64)),
    _DT.UINT1: MilType("uint1", np.dtype(np.uint8), bits=1),
    _DT.UINT2: MilType("uint2", np.dtype(np.uint8), bits=2),
    _DT.UINT3: MilType("uint3", np.dtype(np.uint8), bits=3),
    _DT.UINT4: MilType("uint4", np.dtype(np.uint8), bits=4),
    _DT.UINT6: MilType("uint6", np.dtype(np.uint8), bits=6),
    _DT.UINT8: MilType("uint8", np.dtype(np.uint8)),
    _DT.UINT16: MilType("uint16", np.dtype(np.uint16)),
    _DT.UINT32: MilType("uint32", np.dtype(np.uint32)),
    _DT.UINT64: MilType("uint64", np.dtype(np.uint64)),
}

MIL_TYPES_BY_NAME: dict[str, MilType] = {mil_type.name: mil_type for mil_type in MIL_TYPES.values()}


def mil_type(data_type: int) -> MilType:
    """Look up a `MIL_pb2.DataType` value; raise ValueError for a type the runner cannot store."""
    found = MIL_TYPES.get(data_type)
    if found is None:
        raise ValueError(f"MIL data type {MIL_pb2.DataType.Name(data_type)} is not supported by the reference runner")
    return found


def torch_storage_dtype(mil_type_name: str) -> torch.dtype:
    """Return the torch dtype in which the runner keeps a runtime value of this MIL type.

    Every float type is held as float32 (a float16 value is an exact float32, a float64 value is
    rounded), every integer type as int64, so kernels need no per-type code. The declared types
    stay in the program and decide how results are rounded and returned.
    """
    if mil_type_name in ("fp16", "bf16", "fp32", "fp64"):
        return torch.float32
    if mil_type_name == "bool":
        return torch.bool
    return torch.int64

"""Op groups of a converted synthesis .tflite: the units that mixed precision keeps in float or quantizes.

litert-torch names every tensor after the module scope that produced it, for example
`.../FusedBlock_6/msg_model.fused.FusedConv_conv2;5`. An op belongs to:
- `styles`: the affine map of w and every op on per-layer style vectors (outputs without a
  spatial extent), which must stay accurate because one int8 range cannot fit all layers' styles;
- `noise`: the baked noise maps (converted as constant maps through a 1x1 identity convolution);
- `conv1`: the first 3x3 conv at 4x4 (its input is the learned constant times a style);
- `blocks.I.up`: block I's input scale and inverse DWT (2x upsampling);
- `blocks.I.conv1`, `blocks.I.conv2`: block I's depthwise-separable convs with bias, noise and leaky ReLU;
- `head`: the input scale and 1x1 conv of the wavelet head;
- `output`: the inverse DWT of the head to the image.
Group names follow the fused model's module names, so a recipe reads like the model.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

BLOCK_SCOPE = re.compile(r"FusedBlock_(\d+)(/msg_model\.fused\.FusedConv_(conv1|conv2))?;")
FIRST_CONV_SCOPE = "FusedSynthesis_synthesis/msg_model.fused.FusedConv_conv1;"
SYNTHESIS_SCOPE = "FusedSynthesis_synthesis;"
FIXED_GROUPS = ("styles", "noise", "conv1")


@dataclasses.dataclass(frozen=True)
class TFLiteOp:
    """One operator of the main subgraph: position, builtin name, tensor names and the first output's shape."""

    index: int
    op_name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    shape: tuple[int, ...]

    @property
    def scope(self) -> str:
        """The scope string ai-edge-quantizer matches recipe regexes against: output names, each followed by ';'."""
        return "".join(f"{name};" for name in self.outputs)


def read_ops(path: Path) -> list[TFLiteOp]:
    """Read the operators of the first subgraph of a .tflite file, in execution order."""
    from ai_edge_litert.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    subgraph = model.subgraphs[0]
    names = [tensor.name.decode() for tensor in subgraph.tensors]
    ops = []
    for index, operator in enumerate(subgraph.operators):
        inputs = tuple(names[t] for t in operator.inputs if t >= 0)
        outputs = tuple(names[t] for t in operator.outputs if t >= 0)
        first = subgraph.tensors[operator.outputs[0]]
        shape = tuple(int(d) for d in first.shape) if first.shape is not None else ()
        ops.append(TFLiteOp(index, flatbuffer_utils.opcode_to_name(model, operator.opcodeIndex), inputs, outputs, shape))
    return ops


def graph_input_names(path: Path) -> set[str]:
    """Names of the input tensors of the first subgraph."""
    from ai_edge_litert.tools import flatbuffer_utils

    subgraph = flatbuffer_utils.read_model(str(path)).subgraphs[0]
    return {subgraph.tensors[index].name.decode() for index in subgraph.inputs}


def tensor_sources(ops: list[TFLiteOp], model_inputs: set[str]) -> dict[str, str]:
    """For each op output: "input" when it depends on the model input, else "constant" (computed from constants only)."""
    produced = {name for op in ops for name in op.outputs}
    source: dict[str, str] = {}
    for op in ops:
        depends = any(name in model_inputs or source.get(name) == "input" for name in op.inputs if name in produced or name in model_inputs)
        for name in op.outputs:
            source[name] = "input" if depends else "constant"
    return source


def depends_on_image(op: TFLiteOp, style_tensors: set[str], produced: set[str]) -> bool:
    """True when an op reads an activation map: a produced tensor that is not a style vector or constant."""
    return any(name in produced and name not in style_tensors for name in op.inputs)


def block_group(name: str) -> str | None:
    match = BLOCK_SCOPE.search(name)
    if match is None:
        return None
    return f"blocks.{match.group(1)}.{match.group(3) or 'up'}"


def group_ops(ops: list[TFLiteOp], model_inputs: set[str]) -> dict[str, list[TFLiteOp]]:
    """Assign every op to a group, in model order: `styles`, `noise`, `conv1`, the blocks, `head`, `output`.

    Ops whose results depend on the model input `w` but on no activation map are `styles`; ops on
    constants only are `noise`. Image ops are named by their module scope; after the last block,
    ops up to the head's conv are `head` and the rest `output`.
    """
    produced = {name for op in ops for name in op.outputs}
    source = tensor_sources(ops, model_inputs)
    style_tensors: set[str] = set()
    groups: dict[str, list[TFLiteOp]] = {name: [] for name in FIXED_GROUPS}
    seen_blocks = False
    head_done = False
    for op in ops:
        name = op.outputs[0] if op.outputs else ""
        if all(source[output] == "constant" for output in op.outputs):
            group = "noise"
        elif FIRST_CONV_SCOPE in f"{name};" and not seen_blocks:
            group = "conv1"
        elif not depends_on_image(op, style_tensors, produced):
            style_tensors.update(op.outputs)
            group = "styles"
        elif block_group(name):
            group = block_group(name)
            seen_blocks = True
        elif seen_blocks and not head_done:
            group = "head"
            head_done = op.op_name == "CONV_2D"
        else:
            group = "output"
        groups.setdefault(group, []).append(op)
    return {name: members for name, members in groups.items() if members}


def scope_regex(op: TFLiteOp) -> str:
    """Return a regex that matches exactly this op's scope in ai-edge-quantizer's recipe lookup."""
    return "^" + re.escape(op.scope) + "$"

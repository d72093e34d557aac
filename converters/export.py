"""`torch.export` of a wrapped fused model, and checks that the exported graph is deterministic.

Every converter starts from this graph, so its checks apply to every artifact. The graph must
have no random ops, because noise is baked as constants. No conv or linear weight may be computed
from an input: styles scale activations, and the fused form keeps every weight fixed.
"""

from __future__ import annotations

import collections
import dataclasses
import logging

import torch
from torch.export import ExportedProgram
from torch.export.graph_signature import InputKind

from converters.exportable import ExportableModel, ensure_eval

logger = logging.getLogger(__name__)

# Ops whose weight argument (index 1) must not depend on a model input.
WEIGHTED_OPS = ("conv1d", "conv2d", "conv3d", "convolution", "conv_transpose1d", "conv_transpose2d", "linear")
RANDOM_OP_PREFIXES = ("rand", "normal", "bernoulli", "dropout", "native_dropout", "uniform", "multinomial", "poisson", "exponential")


class ExportCheckError(RuntimeError):
    """The exported graph breaks an invariant that every converted model relies on."""


@dataclasses.dataclass(frozen=True)
class GraphCheck:
    """Summary of an exported graph: op counts, random ops, and weights computed from inputs."""

    op_counts: dict[str, int]
    random_ops: tuple[str, ...]
    input_dependent_weights: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.random_ops and not self.input_dependent_weights


def export_program(exportable: ExportableModel) -> ExportedProgram:
    """Export `exportable.module` with its sample inputs as keyword arguments (batch 1, static shapes)."""
    ensure_eval(exportable.module)
    with torch.no_grad():
        return torch.export.export(exportable.module, (), dict(exportable.sample_inputs))


def op_name(target) -> str:
    """`aten.conv2d.default` -> "conv2d"."""
    name = getattr(target, "_opname", None) or getattr(target, "__name__", str(target))
    return name.split(".")[0]


def is_random(target) -> bool:
    tags = getattr(target, "tags", ())
    return torch.Tag.nondeterministic_seeded in tags or op_name(target).startswith(RANDOM_OP_PREFIXES)


def user_input_nodes(program: ExportedProgram) -> set[str]:
    return {spec.arg.name for spec in program.graph_signature.input_specs if spec.kind == InputKind.USER_INPUT}


def depends_on(node: torch.fx.Node, sources: set[str]) -> bool:
    """Return True when `node` or one of its ancestors is a placeholder named in `sources`."""
    stack, seen = [node], set()
    while stack:
        current = stack.pop()
        if current.name in seen:
            continue
        seen.add(current.name)
        if current.op == "placeholder" and current.name in sources:
            return True
        stack.extend(current.all_input_nodes)
    return False


def check_graph(program: ExportedProgram) -> GraphCheck:
    """List the ops of an exported program and find random ops and input-dependent weights."""
    inputs = user_input_nodes(program)
    counts: collections.Counter[str] = collections.Counter()
    random_ops, dependent = [], []
    for node in program.graph.nodes:
        if node.op != "call_function":
            continue
        name = op_name(node.target)
        counts[name] += 1
        if is_random(node.target):
            random_ops.append(f"{node.name} ({name})")
        if name in WEIGHTED_OPS and len(node.args) > 1 and isinstance(node.args[1], torch.fx.Node):
            if depends_on(node.args[1], inputs):
                dependent.append(f"{node.name} ({name})")
    return GraphCheck(dict(counts), tuple(random_ops), tuple(dependent))


def verify_program(program: ExportedProgram) -> GraphCheck:
    """Run `check_graph` and raise `ExportCheckError` when the graph has random ops or input-dependent weights."""
    check = check_graph(program)
    if check.random_ops:
        raise ExportCheckError(
            f"the exported graph has random ops {list(check.random_ops)}; bake noise as constants "
            f"(noise mode 'const' or 'none') so that converted models are deterministic"
        )
    if check.input_dependent_weights:
        raise ExportCheckError(
            f"the exported graph computes weights from its inputs at {list(check.input_dependent_weights)}; "
            f"convert the fused model, whose weights are constants"
        )
    return check

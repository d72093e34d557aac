"""Graph passes run on the exported graph before litert-torch converts it.

The LiteRT converter (litert-torch 0.10) folds the constants of `conv(x, W, bias) + noise` into
one constant `bias + noise` of the full activation shape (1, H, W, C). With the baked noise maps
of the fused student that grows the FFHQ synthesis file from 32 MB to 286 MB. Passing each
noise map through a 1x1 identity convolution hides it from the folder: CONV_2D has no constant
folder, so the noise stays a (1, H, W, 1) map added by a broadcasting ADD. The extra op costs
H x W multiplies per layer and does not change any value.
"""

from __future__ import annotations

import operator

import torch
from torch.export import ExportedProgram

NOISE_IDENTITY = "tflite_noise_identity"


def is_spatial_map(value) -> bool:
    """Return True for a per-position constant (1, 1, H, W) with more than one position."""
    return isinstance(value, torch.Tensor) and value.ndim == 4 and value.shape[:2] == (1, 1) and value.shape[2] * value.shape[3] > 1


def added_spatial_maps(module: torch.fx.GraphModule) -> list[torch.fx.Node]:
    """Find the `get_attr` nodes of (1, 1, H, W) constants that feed an `aten.add.Tensor`."""
    found = []
    for node in module.graph.nodes:
        if node.op != "get_attr" or not is_spatial_map(operator.attrgetter(node.target)(module)):
            continue
        if any(user.target == torch.ops.aten.add.Tensor for user in node.users):
            found.append(node)
    return found


def keep_noise_maps_unfolded(module: torch.fx.GraphModule) -> int:
    """Route every added (1, 1, H, W) constant through an identity 1x1 conv; return how many were routed."""
    nodes = added_spatial_maps(module)
    if not nodes:
        return 0
    module.register_buffer(NOISE_IDENTITY, torch.ones(1, 1, 1, 1))
    graph = module.graph
    for node in nodes:
        with graph.inserting_after(node):
            identity = graph.get_attr(NOISE_IDENTITY)
        with graph.inserting_after(identity):
            routed = graph.call_function(torch.ops.aten.conv2d.default, (node, identity))
        node.replace_all_uses_with(routed, delete_user_cb=lambda user: user is not routed)
    graph.lint()
    module.recompile()
    return len(nodes)


def prepare_for_litert(program: ExportedProgram) -> torch.fx.GraphModule:
    """Turn the exported graph into a module for litert-torch, with the passes above applied."""
    module = program.module()
    # The exported graph is already in inference form; a GraphModule from `program.module()` keeps
    # `training=True` and rejects `.eval()`, so set the flag that litert-torch checks directly.
    module.training = False
    keep_noise_maps_unfolded(module)
    return module

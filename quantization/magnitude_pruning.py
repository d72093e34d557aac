"""Unstructured magnitude pruning of the fused student's weights.

Zeroing weights keeps every shape, so a pruned TFLite file stays as large as the dense one. A
CoreML package shrinks only when its weights are stored sparse (coremltools' sparse constexpr ops).
"""

from __future__ import annotations

import copy

import torch

from msg_model.fused import FusedSynthesis

# Tensors smaller than this (depthwise kernels of narrow layers, biases, noise) are left dense.
MIN_PRUNED_ELEMENTS = 4096


def prunable_weights(fused: FusedSynthesis) -> list[str]:
    """Names of the weight tensors that magnitude pruning thins out: convs and the affine maps."""
    return [
        name
        for name, parameter in fused.named_parameters()
        if (name.endswith("weight") or name == "affine_weight") and parameter.ndim >= 2 and parameter.numel() >= MIN_PRUNED_ELEMENTS
    ]


@torch.no_grad()
def prune_magnitude(fused: FusedSynthesis, sparsity: float) -> FusedSynthesis:
    """Return a copy of `fused` with the smallest `sparsity` fraction of each prunable tensor set to zero."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    pruned = copy.deepcopy(fused)
    parameters = dict(pruned.named_parameters())
    for name in prunable_weights(pruned):
        weight = parameters[name]
        count = int(weight.numel() * sparsity)
        if count == 0:
            continue
        threshold = weight.abs().flatten().kthvalue(count).values
        weight[weight.abs() <= threshold] = 0.0
    return pruned.eval()


def sparsity_report(fused: FusedSynthesis) -> dict[str, float]:
    """Fraction of zeros in each prunable tensor."""
    parameters = dict(fused.named_parameters())
    return {name: float((parameters[name] == 0).float().mean()) for name in prunable_weights(fused)}

"""Model statistics: parameters and multiply-accumulates, counted by running the modules."""

from __future__ import annotations

import dataclasses

import torch
import torch.nn as nn
from torch.utils.flop_counter import FlopCounterMode

from msg_model.fused import FusedSynthesis
from msg_model.synthesis import SynthesisNetwork


@dataclasses.dataclass(frozen=True)
class StageCost:
    """Parameters and MACs of one stage of the synthesis network at batch 1."""

    name: str
    resolution: int
    parameters: int
    macs: int


@dataclasses.dataclass(frozen=True)
class ModelStats:
    parameters: int
    output_path_parameters: int
    macs: int
    output_path_macs: int
    stages: tuple[StageCost, ...]


def is_auxiliary_head(name: str, num_blocks: int) -> bool:
    """True for the wavelet heads whose images are not used by the 1024x1024 output."""
    return name.startswith("to_img1.") or (name.startswith("layers.") and ".to_img." in name and not name.startswith(f"layers.{num_blocks - 1}."))


def count_macs_by_module(model: nn.Module, *args) -> dict[str, int]:
    """Count MACs (FLOPs / 2 of conv and matmul ops) per module name with torch's FLOP counter."""
    counter = FlopCounterMode(display=False, depth=None)
    with counter:  # the module tracker of the counter needs autograd enabled
        model(*args)
    flops = counter.get_flop_counts()
    return {name: sum(ops.values()) // 2 for name, ops in flops.items()}


def module_macs(counts: dict[str, int], prefix: str, root: str) -> int:
    key = f"{root}.{prefix}" if prefix else root
    return counts.get(key, 0)


def synthesis_stats(synthesis: SynthesisNetwork) -> ModelStats:
    """Parameters and MACs of a trainable synthesis network, total and on the output path."""
    config = synthesis.config
    ws = torch.zeros(1, config.style_dim)
    counts = count_macs_by_module(synthesis, ws, "none")
    root = type(synthesis).__name__
    named = dict(synthesis.named_parameters())

    def parameters(prefix: str) -> int:
        return sum(p.numel() for n, p in named.items() if n.startswith(prefix))

    stages = [StageCost("input + conv1 (4x4)", 4, parameters("input.") + parameters("conv1."), module_macs(counts, "conv1", root))]
    stages.append(StageCost("to_img1 (auxiliary head)", 4, parameters("to_img1."), module_macs(counts, "to_img1", root)))
    for i, block in enumerate(synthesis.layers):
        side = 8 * 2**i
        body = sum(module_macs(counts, f"layers.{i}.{part}", root) for part in ("up", "conv1", "conv2"))
        body_parameters = sum(parameters(f"layers.{i}.{part}.") for part in ("up", "conv1", "conv2"))
        stages.append(StageCost(f"block {i} ({side}x{side})", side, body_parameters, body))
        auxiliary = i < config.num_blocks - 1
        head_name = f"block {i} head" + (" (auxiliary)" if auxiliary else "")
        stages.append(StageCost(head_name, side, parameters(f"layers.{i}.to_img."), module_macs(counts, f"layers.{i}.to_img", root)))

    total_parameters = sum(p.numel() for p in named.values())
    auxiliary_parameters = sum(p.numel() for n, p in named.items() if is_auxiliary_head(n, config.num_blocks))
    total_macs = counts.get("Global", 0)
    auxiliary_macs = sum(s.macs for s in stages if "auxiliary" in s.name)
    return ModelStats(
        parameters=total_parameters,
        output_path_parameters=total_parameters - auxiliary_parameters,
        macs=total_macs,
        output_path_macs=total_macs - auxiliary_macs,
        stages=tuple(stages),
    )


def fused_stats(fused: FusedSynthesis) -> ModelStats:
    """Parameters and MACs of a fused synthesis network; it holds only the output path."""
    config = fused.config
    counts = count_macs_by_module(fused, torch.zeros(1, config.style_dim))
    root = type(fused).__name__
    named = dict(fused.named_parameters())

    def parameters(prefix: str) -> int:
        return sum(p.numel() for n, p in named.items() if n.startswith(prefix))

    total_macs = counts.get("Global", 0)
    conv1_macs = module_macs(counts, "conv1", root)
    block_macs = [module_macs(counts, f"blocks.{i}", root) for i in range(config.num_blocks)]
    stages = [
        StageCost("const + conv1 (4x4)", 4, parameters("const") + parameters("conv1."), conv1_macs),
        # The affine maps and the head run in FusedSynthesis.forward itself, not in a submodule.
        StageCost("affine maps + head", config.resolution // 2, parameters("affine_") + parameters("head_"), total_macs - conv1_macs - sum(block_macs)),
    ]
    for i in range(config.num_blocks):
        side = 8 * 2**i
        stages.append(StageCost(f"block {i} ({side}x{side})", side, parameters(f"blocks.{i}."), block_macs[i]))
    total_parameters = sum(value.numel() for value in named.values())
    return ModelStats(total_parameters, total_parameters, total_macs, total_macs, tuple(stages))

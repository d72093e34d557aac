"""Structured channel pruning of the fused student.

Removes hidden channels consistently from every coupled tensor, so the pruned model is a smaller
dense `FusedSynthesis` that every converter accepts and whose parameters and MACs really drop.

Prunable groups, each a set of "units" ranked by importance:
- the first conv's output and every conv2 output but the last enter an inverse DWT; a unit is one
  channel of the upsampled tensor, which is 4 band channels of the producer (band-major order);
- each block's conv1 output, where a unit is one channel;
- the last conv2 output, which feeds the wavelet head.
The 4x4 constant, the head's 12 outputs and the noise maps are not pruned.
"""

from __future__ import annotations

import dataclasses

import torch

from msg_model.fused import FusedSynthesis, LayerWidths, style_slots


@dataclasses.dataclass(frozen=True)
class PruneGroup:
    """One prunable set of channels: who produces it, who consumes it, and how units map to channels."""

    name: str
    producer: str  # state prefix of the FusedConv producing the channels
    units: int
    wavelet: bool  # True: unit c is the band-major channels c, q + c, 2q + c, 3q + c
    consumer: str | None  # state prefix of the consuming FusedConv (depthwise), None for the head
    consumer_slot: str  # style slot scaling the consumer's input
    up_slot: str | None = None  # style slot of the upsampling scale, for wavelet groups


def prune_groups(fused: FusedSynthesis) -> list[PruneGroup]:
    widths = fused.widths
    last = len(widths.blocks) - 1
    groups = [PruneGroup("first", "conv1", widths.first // 4, True, "blocks.0.conv1", "blocks.0.conv1", "blocks.0.up")]
    for i, (conv1_width, conv2_width) in enumerate(widths.blocks):
        groups.append(PruneGroup(f"blocks.{i}.conv1", f"blocks.{i}.conv1", conv1_width, False, f"blocks.{i}.conv2", f"blocks.{i}.conv2"))
        if i < last:
            groups.append(
                PruneGroup(f"blocks.{i}.conv2", f"blocks.{i}.conv2", conv2_width // 4, True, f"blocks.{i + 1}.conv1", f"blocks.{i + 1}.conv1", f"blocks.{i + 1}.up")
            )
        else:
            groups.append(PruneGroup(f"blocks.{i}.conv2", f"blocks.{i}.conv2", conv2_width, False, None, "head"))
    return groups


def wavelet_channels(units: torch.Tensor, quarter: int) -> torch.Tensor:
    """Band-major channel indices of wavelet units, in the order the pruned tensor lays them out."""
    return torch.cat([units + band * quarter for band in range(4)])


def record_activations(fused: FusedSynthesis, ws: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean |output| per channel (over batch and space) of every FusedConv, keyed by its state prefix.

    FusedConv outputs are channels-last (B, H, W, C).
    """
    means: dict[str, torch.Tensor] = {}
    handles = []
    for name, module in fused.named_modules():
        if name and hasattr(module, "with_noise") and hasattr(module, "weight"):
            handles.append(module.register_forward_hook(lambda _m, _i, out, name=name: means.__setitem__(name, out.abs().mean(dim=(0, 1, 2)))))
    try:
        with torch.no_grad():
            fused(ws)
    finally:
        for handle in handles:
            handle.remove()
    return means


def mean_style(fused: FusedSynthesis, ws: torch.Tensor, slot_name: str) -> torch.Tensor:
    slot = fused.slots[slot_name]
    with torch.no_grad():
        return fused.styles(ws)(slot).abs().mean(dim=0)


def unit_importance(fused: FusedSynthesis, group: PruneGroup, activations: dict, ws: torch.Tensor) -> torch.Tensor:
    """First-order size of each unit's contribution to its consumer's output.

    mean |activation x style scale| of the unit's channels, times the norm of the consumer weights
    that read it (depthwise kernel and pointwise column, or the head column).
    """
    state = fused.state_dict()
    activation = activations[group.producer]
    consumer_scale = mean_style(fused, ws, group.consumer_slot)
    if group.wavelet:
        quarter = group.units
        up_scale = mean_style(fused, ws, group.up_slot)
        per_channel = (activation * up_scale).reshape(4, quarter).sum(dim=0)
    else:
        per_channel = activation
    if group.consumer is None:
        weight_norm = state["head_weight"][:, :, 0, 0].norm(dim=0)
    else:
        depthwise = state[f"{group.consumer}.weight_dw"].flatten(1).norm(dim=1)
        pointwise = state[f"{group.consumer}.weight"][:, :, 0, 0].norm(dim=0)
        weight_norm = depthwise * pointwise
    return per_channel * consumer_scale * weight_norm


def select_units(importance: torch.Tensor, fraction: float) -> torch.Tensor:
    """Sorted indices of the units to keep: the most important (1 - fraction), at least one."""
    keep = max(1, round(importance.numel() * (1.0 - fraction)))
    return torch.sort(torch.topk(importance, keep).indices).values


def apply_group(state: dict, row_mask: torch.Tensor, slots: dict, group: PruneGroup, keep: torch.Tensor) -> None:
    """Drop the pruned units of `group` from its producer, its consumer and their style rows."""
    producer_channels = wavelet_channels(keep, group.units) if group.wavelet else keep
    state[f"{group.producer}.weight"] = state[f"{group.producer}.weight"][producer_channels]
    state[f"{group.producer}.bias"] = state[f"{group.producer}.bias"][producer_channels]

    def drop_rows(slot_name: str, kept: torch.Tensor) -> None:
        slot = slots[slot_name]
        removed = torch.ones(slot.stop - slot.start, dtype=torch.bool)
        removed[kept] = False
        row_mask[slot.start : slot.stop] &= ~removed

    if group.wavelet:
        drop_rows(group.up_slot, producer_channels)
    drop_rows(group.consumer_slot, keep)
    if group.consumer is None:
        state["head_weight"] = state["head_weight"][:, keep]
    else:
        state[f"{group.consumer}.weight_dw"] = state[f"{group.consumer}.weight_dw"][keep]
        state[f"{group.consumer}.weight"] = state[f"{group.consumer}.weight"][:, keep]


def pruned_widths(fused: FusedSynthesis, kept: dict[str, torch.Tensor]) -> LayerWidths:
    first = 4 * kept["first"].numel()
    blocks = []
    last = len(fused.widths.blocks) - 1
    for i in range(len(fused.widths.blocks)):
        conv2_units = kept[f"blocks.{i}.conv2"].numel()
        blocks.append((kept[f"blocks.{i}.conv1"].numel(), conv2_units if i == last else 4 * conv2_units))
    return LayerWidths(first, tuple(blocks))


@torch.no_grad()
def prune_channels(fused: FusedSynthesis, fraction: float, calibration_ws: torch.Tensor) -> FusedSynthesis:
    """Remove `fraction` of the hidden channels of every prunable group, least important first."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"channel fraction must be in [0, 1), got {fraction}")
    activations = record_activations(fused, calibration_ws)
    groups = prune_groups(fused)
    kept = {g.name: select_units(unit_importance(fused, g, activations, calibration_ws), fraction) for g in groups}

    state = {name: value.clone() for name, value in fused.state_dict().items()}
    row_mask = torch.ones(state["affine_weight"].shape[0], dtype=torch.bool)
    for group in groups:
        apply_group(state, row_mask, fused.slots, group, kept[group.name])
    state["affine_weight"] = state["affine_weight"][row_mask]
    state["affine_bias"] = state["affine_bias"][row_mask]

    widths = pruned_widths(fused, kept)
    pruned = FusedSynthesis(fused.config, with_noise=fused.with_noise, widths=widths)
    pruned.load_state_dict(state, strict=True)
    assert max(s.stop for s in style_slots(fused.config, widths).values()) == state["affine_weight"].shape[0]
    return pruned.eval()

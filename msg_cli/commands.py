"""The list of `msg` commands; each entry points at a thin function in its own module."""

from __future__ import annotations

import dataclasses
from typing import Callable

from msg_cli import fetch_command, generate_command, inspect_command, prune_command


@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    function: Callable
    help: str


ALL: list[Command] = [
    Command("fetch-pretrained", fetch_command.fetch_pretrained, "Download and verify the released FFHQ model (non-commercial licence) into the cache."),
    Command("generate", generate_command.generate, "Draw faces for seeds into a picture grid or a .npy of raw images."),
    Command("inspect", inspect_command.inspect, "Print resolution, channels, parameters, MACs and the input/output contract of a model."),
    Command("prune", prune_command.prune_command, "Prune the fused student: zero small weights, or remove hidden channels with --structured."),
]

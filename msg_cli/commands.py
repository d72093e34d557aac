"""The list of `msg` commands; each entry points at a thin function in its own module."""

from __future__ import annotations

import dataclasses
from typing import Callable



@dataclasses.dataclass(frozen=True)
class Command:
    name: str
    function: Callable
    help: str


ALL: list[Command] = []

"""Seed lists written back in the compact syntax that `msg_model.seeds.parse_seeds` reads."""

from __future__ import annotations


def format_seeds(seeds: tuple[int, ...] | list[int]) -> str:
    """Join runs of consecutive seeds into ranges, for example (0, 1, 2, 9) -> "0-2,9"."""
    parts: list[str] = []
    index = 0
    while index < len(seeds):
        stop = index
        while stop + 1 < len(seeds) and seeds[stop + 1] == seeds[stop] + 1:
            stop += 1
        parts.append(str(seeds[index]) if stop == index else f"{seeds[index]}-{seeds[stop]}")
        index = stop + 1
    return ",".join(parts)

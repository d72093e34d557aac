"""Seed lists as users type them: "0-7", "0,3,5", "0-3,9"."""

from __future__ import annotations

import re

from msg_model.errors import InvalidInputError

# A seed or an inclusive range in ASCII digits. A leading minus passes so that the range check names it.
SEED_PATTERN = re.compile(r"-?[0-9]+(-[0-9]+)?")
MAX_SEEDS = 100_000  # far above any FID sample count; protects against typos such as 0-4000000000


def parse_seeds(text: str) -> list[int]:
    """Expand a comma-separated list of seeds and inclusive ranges, keeping order and dropping repeats."""
    seeds: list[int] = []
    seen: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        try:
            if not SEED_PATTERN.fullmatch(part):
                raise ValueError  # int() alone would also take "+3", "1_000" and non-ASCII digits
            if "-" in part[1:]:
                first, last = part.split("-", 1) if not part.startswith("-") else (None, None)
                start, stop = int(first), int(last)
                if stop < start:
                    raise ValueError
                values = range(start, stop + 1)
            else:
                values = [int(part)]
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"invalid seed list {text!r}: {part!r} is not a seed or an ascending range; use forms like 0-7, 0,3,5 or 0-3,9"
            ) from None
        if len(values) + len(seeds) > MAX_SEEDS:
            raise InvalidInputError(f"seed list {text!r} names more than {MAX_SEEDS:,} seeds; use a shorter range")
        for seed in values:
            if not 0 <= seed < 2**32:
                raise InvalidInputError(f"seed {seed} in {text!r} is out of range; seeds are integers from 0 to 2**32 - 1")
            if seed not in seen:
                seen.add(seed)
                seeds.append(seed)
    return seeds

"""Interleaved timing: every round runs each candidate once, so drifts in machine load hit all alike."""

from __future__ import annotations

import dataclasses
import random
import statistics
import time

from benchmarks.candidates import RunFunction


@dataclasses.dataclass(frozen=True)
class Timing:
    name: str
    seconds: tuple[float, ...]
    ratios_to_peer: tuple[float, ...]  # per round: this candidate's time / the peer's time

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> tuple[float, float]:
        """Interquartile range of the per-call times, in seconds."""
        quartiles = statistics.quantiles(self.seconds, n=4) if len(self.seconds) > 1 else [self.seconds[0]] * 3
        return quartiles[0], quartiles[2]

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.ratios_to_peer)


def time_call(run: RunFunction) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def time_interleaved(runs: dict[str, RunFunction], peer: str, rounds: int, warmup: int, seed: int = 0) -> dict[str, Timing]:
    """Time every run function `rounds` times after `warmup` calls, in a shuffled order per round."""
    if peer not in runs:
        raise ValueError(f"peer {peer!r} is not among the candidates {sorted(runs)}")
    for run in runs.values():
        for _ in range(warmup):
            run()

    order = list(runs)
    shuffle = random.Random(seed)
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        shuffle.shuffle(order)
        for name in order:
            seconds[name].append(time_call(runs[name]))

    peer_times = seconds[peer]
    return {
        name: Timing(name, tuple(values), tuple(value / peer_time for value, peer_time in zip(values, peer_times)))
        for name, values in seconds.items()
    }

"""A named reason why an artifact failed validation."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Failure:
    """One failed check: the metric or check name, the value found and the threshold it missed.

    `message` is a full line naming the artifact, the metric, the value and the threshold.
    """

    metric: str
    message: str
    value: float | None = None
    threshold: float | None = None

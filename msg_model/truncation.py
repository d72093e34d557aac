"""The truncation psi every command accepts, checked in one place."""

from __future__ import annotations

import math

from msg_model.errors import InvalidInputError

MIN_TRUNCATION_PSI = 0.0  # the mean face
MAX_TRUNCATION_PSI = 2.0  # psi above 1 moves away from the mean face; faces degrade quickly past 1.5


def check_truncation_psi(psi: float, option: str = "--truncation") -> float:
    """Return `psi` when it is a finite number from 0 to 2; raise `InvalidInputError` otherwise."""
    valid = isinstance(psi, (int, float)) and not isinstance(psi, bool) and math.isfinite(psi)
    if not valid or not MIN_TRUNCATION_PSI <= psi <= MAX_TRUNCATION_PSI:
        raise InvalidInputError(
            f"invalid {option} {psi!r}; expected a number from {MIN_TRUNCATION_PSI:g} to {MAX_TRUNCATION_PSI:g} "
            f"(1 keeps w, 0 draws the mean face, 0.5 is the usual choice)"
        )
    return float(psi)

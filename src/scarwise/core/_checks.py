"""Small shared argument checks that raise :class:`InvalidParameterError`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scarwise.core.errors import InvalidParameterError


def check_positive(**values: float) -> None:
    """Raise unless every named value is a finite number > 0."""
    for name, value in values.items():
        if not isinstance(value, (int, float, np.floating, np.integer)) or not math.isfinite(value) or value <= 0:
            raise InvalidParameterError(f"{name} must be a finite number > 0, got {value!r}")


def check_non_negative(**values: float) -> None:
    """Raise unless every named value is a finite number >= 0."""
    for name, value in values.items():
        if not isinstance(value, (int, float, np.floating, np.integer)) or not math.isfinite(value) or value < 0:
            raise InvalidParameterError(f"{name} must be a finite number >= 0, got {value!r}")


def check_same_shape(*arrays: np.ndarray, names: Sequence[str]) -> None:
    """Raise unless all arrays have the same shape."""
    shapes = [np.shape(a) for a in arrays]
    if any(s != shapes[0] for s in shapes[1:]):
        listed = ", ".join(f"{n} {s}" for n, s in zip(names, shapes, strict=True))
        raise InvalidParameterError(f"shapes differ: {listed}")


def check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise InvalidParameterError(f"{name} {value!r} unknown; choose one of {sorted(choices)}")

"""The height map: the one surface type every part of scarwise passes around."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from scarwise.core._checks import check_positive
from scarwise.core.errors import EmptySurfaceError, InvalidParameterError, TooLargeError

#: Default largest number of points read or allocated (8192 x 8192); raise with SCARWISE_MAX_POINTS.
DEFAULT_MAX_POINTS = 64 * 1024 * 1024


def max_points(override: int | None = None) -> int:
    """The configured point limit: ``override``, else ``SCARWISE_MAX_POINTS``, else 64 Mi."""
    if override is not None:
        check_positive(max_points=override)
        return int(override)
    env = os.environ.get("SCARWISE_MAX_POINTS")
    if env:
        try:
            value = int(env)
        except ValueError as exc:
            raise InvalidParameterError(f"SCARWISE_MAX_POINTS must be a whole number, got {env!r}") from exc
        check_positive(SCARWISE_MAX_POINTS=value)
        return value
    return DEFAULT_MAX_POINTS


def check_point_count(nx: int, ny: int, *, limit: int | None = None, what: str = "surface") -> None:
    """Raise :class:`TooLargeError` before allocating an ``ny`` x ``nx`` grid over the limit."""
    if nx < 1 or ny < 1:
        raise InvalidParameterError(f"{what} size must be at least 1 x 1, got {nx} x {ny}")
    lim = max_points(limit)
    if nx * ny > lim:
        raise TooLargeError(
            f"{what} has {nx} x {ny} = {nx * ny} points, over the limit of {lim}; "
            "raise it with --max-points or SCARWISE_MAX_POINTS if this is intended"
        )


@dataclass(frozen=True, eq=False)
class HeightMap:
    """Heights on a regular grid.

    Parameters
    ----------
    z : (ny, nx) ndarray of float64
        Heights in mm; NaN where a point is missing (never zero-filled). Rows run along y,
        columns along x; sample (0, 0) is the origin.
    dx_mm, dy_mm : float
        Pixel size along x (columns) and y (rows), in mm.
    metadata : dict
        Free-form provenance (source file, format, instrument, warnings).
    """

    z: NDArray[np.float64]
    dx_mm: float
    dy_mm: float
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        z = np.asarray(self.z, dtype=np.float64)
        if z.ndim != 2:
            raise InvalidParameterError(f"height map must be 2-D (ny, nx), got shape {z.shape}")
        if np.isinf(z).any():
            z = np.where(np.isinf(z), np.nan, z)
        object.__setattr__(self, "z", z)
        check_positive(dx_mm=float(self.dx_mm), dy_mm=float(self.dy_mm))
        object.__setattr__(self, "dx_mm", float(self.dx_mm))
        object.__setattr__(self, "dy_mm", float(self.dy_mm))

    @property
    def ny(self) -> int:
        return int(self.z.shape[0])

    @property
    def nx(self) -> int:
        return int(self.z.shape[1])

    @property
    def valid(self) -> NDArray[np.bool_]:
        """True where a height is present."""
        return ~np.isnan(self.z)

    @property
    def x_mm(self) -> NDArray[np.float64]:
        """Column positions in mm from the first sample."""
        return np.arange(self.nx) * self.dx_mm

    @property
    def y_mm(self) -> NDArray[np.float64]:
        """Row positions in mm from the first sample."""
        return np.arange(self.ny) * self.dy_mm

    def with_z(self, z: NDArray[np.float64], **metadata: Any) -> HeightMap:
        """A copy with new heights (same grid), metadata updated with ``metadata``."""
        return HeightMap(z, self.dx_mm, self.dy_mm, {**self.metadata, **metadata})

    def require_valid(self, minimum: int = 4) -> None:
        """Raise :class:`EmptySurfaceError` unless at least ``minimum`` points are valid."""
        n = int(self.valid.sum())
        if n < minimum:
            raise EmptySurfaceError(
                f"surface has {n} valid point(s) of {self.nx * self.ny}; at least {minimum} are needed "
                "(is the file all missing values, or a 1 x 1 map?)"
            )

"""The backend interface: compiled right-hand sides for one model on one grid."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from scarwise.core.errors import InvalidParameterError
from scarwise.therapy._model import Grid, RemodellingModel

#: ``f(u, out)``: writes du/dt (per day) of state ``u`` (6, ny, nx) into ``out``.
RateFn = Callable[[NDArray[np.float64], NDArray[np.float64]], None]


class UnknownBackendError(InvalidParameterError):
    """A solver backend name is unknown or its optional dependency is missing."""


class Backend(Protocol):
    """What a backend module exports as ``BACKEND``."""

    name: str

    def make_rate(
        self, model: RemodellingModel, grid: Grid, inv_cap: NDArray[np.float64], diffusivities: NDArray[np.float64]
    ) -> RateFn:
        """Reactions and chemotaxis plus ``diffusivities[k]`` (mm^2/day) times the 5-point Laplacian of
        field ``k``: pass ``model.rates.diffusivities()`` for the full right-hand side, zeros for
        reactions only."""
        ...

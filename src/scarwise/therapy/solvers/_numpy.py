"""Plain numpy backend: the reference, calling the readable :meth:`RemodellingModel.rate`."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from scarwise.therapy._model import Grid, RemodellingModel, laplacian
from scarwise.therapy.solvers._base import RateFn


class _NumpyBackend:
    name = "numpy"

    def make_rate(
        self, model: RemodellingModel, grid: Grid, inv_cap: NDArray[np.float64], diffusivities: NDArray[np.float64]
    ) -> RateFn:
        def rate(u: NDArray[np.float64], out: NDArray[np.float64]) -> None:
            out[...] = model.reaction_rate(u, inv_cap, grid)
            for k, d in enumerate(diffusivities):
                if d > 0:
                    out[k] += d * laplacian(u[k], grid)

        return rate


BACKEND = _NumpyBackend()

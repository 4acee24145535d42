"""Time stepping: Strang splitting of exact spectral diffusion and RK2 reactions, or plain RK2.

``method="split"`` (default) advances ``R(h/2) D(h) R(h/2)``: ``D`` is the exact solution of the
semi-discrete diffusion (5-point Laplacian, no-flux edges) by a type-II DCT, which diagonalises it,
so the stiff part is unconditionally stable and mass-conserving; ``R`` is Heun's method on the
reactions and chemotaxis (non-stiff at the model's rates). The scheme is second order in time and
space. ``rtol`` turns on step-doubling error control (adaptive step). ``method="explicit"`` is Heun
on the full right-hand side (a check on the splitting; it needs a small step).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from scarwise.core._checks import check_choice, check_non_negative, check_positive
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy._model import N_FIELDS, Grid, RemodellingModel
from scarwise.therapy.solvers._base import RateFn

__all__ = ["METHODS", "Event", "Sample", "SpectralDiffusion", "integrate"]

METHODS = ("split", "explicit")


@dataclass(frozen=True)
class Event:
    """Something that changes the state at a given day (a treatment session)."""

    t_days: float
    apply: Callable[[NDArray[np.float64]], None]  # edits the state (6, ny, nx) in place
    label: str = ""


@dataclass(frozen=True)
class Sample:
    """A state handed to ``on_sample``: ``u`` is a view, copy what you keep."""

    t_days: float
    u: NDArray[np.float64]


class SpectralDiffusion:
    """Exact no-flux diffusion of each field over a step ``h``, by DCT-II (cached per step size)."""

    def __init__(self, diffusivities: NDArray[np.float64], grid: Grid) -> None:
        self.d = np.asarray(diffusivities, dtype=np.float64)
        ky = -(4.0 / grid.dy_mm**2) * np.sin(np.pi * np.arange(grid.ny) / (2 * grid.ny)) ** 2
        kx = -(4.0 / grid.dx_mm**2) * np.sin(np.pi * np.arange(grid.nx) / (2 * grid.nx)) ** 2
        self.eig = ky[:, None] + kx[None, :]  # eigenvalues of the discrete Laplacian, 1/mm^2
        self._cache: dict[float, list[tuple[int, NDArray[np.float64]]]] = {}
        self.workers = -1 if grid.ny * grid.nx >= 256 * 256 else 1  # threads only pay off on big grids

    def __call__(self, u: NDArray[np.float64], h: float) -> None:
        factors = self._cache.get(h)
        if factors is None:
            factors = [(k, np.exp(h * d * self.eig)) for k, d in enumerate(self.d) if d > 0]
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[h] = factors
        for k, f in factors:
            if u[k].max() == u[k].min():  # uniform: diffusion leaves it unchanged
                continue
            spec = scipy.fft.dctn(u[k], type=2, norm="ortho", workers=self.workers)
            spec *= f
            u[k] = scipy.fft.idctn(spec, type=2, norm="ortho", workers=self.workers)


class _Stepper:
    """One time step. In the split scheme a field's diffusion is stiff, and solved spectrally, when
    ``(h/2) D (4/dx^2 + 4/dy^2) > EXPLICIT_LIMIT``; otherwise it joins the explicit reaction step."""

    EXPLICIT_LIMIT = 0.5

    def __init__(self, model: RemodellingModel, grid: Grid, inv_cap: NDArray, backend, method: str) -> None:
        self.method, self.model, self.grid, self.inv_cap, self.backend = method, model, grid, inv_cap, backend
        shape = (N_FIELDS, *grid.shape)
        self.k1, self.k2, self.tmp = np.empty(shape), np.empty(shape), np.empty(shape)
        self.d = model.rates.diffusivities()
        self.lam_max = 4.0 * (1.0 / grid.dx_mm**2 + 1.0 / grid.dy_mm**2)
        self._fns: dict = {}
        d = float(np.max(self.d))
        self.h_max = 1.9 / (d * self.lam_max) if d > 0 else math.inf

    def _split_fns(self, h: float) -> tuple[RateFn, SpectralDiffusion]:
        stiff = tuple(bool(0.5 * h * d * self.lam_max > self.EXPLICIT_LIMIT) for d in self.d)
        if stiff not in self._fns:
            explicit_d = np.where(stiff, 0.0, self.d)
            f = self.backend.make_rate(self.model, self.grid, self.inv_cap, explicit_d)
            self._fns[stiff] = (f, SpectralDiffusion(np.where(stiff, self.d, 0.0), self.grid))
        return self._fns[stiff]

    def _heun(self, f: RateFn, u: NDArray, h: float) -> None:
        f(u, self.k1)
        np.multiply(self.k1, h, out=self.tmp)
        self.tmp += u
        f(self.tmp, self.k2)
        self.k1 += self.k2
        self.k1 *= 0.5 * h
        u += self.k1

    def step(self, u: NDArray, h: float) -> None:
        if self.method == "split":
            f, diffuse = self._split_fns(h)
            self._heun(f, u, 0.5 * h)
            diffuse(u, h)
            self._heun(f, u, 0.5 * h)
        else:
            if h > self.h_max:
                raise InvalidParameterError(
                    f"explicit step {h:.3g} day exceeds the stability limit {self.h_max:.3g} day for this grid; "
                    "use a smaller dt_days or method='split'"
                )
            if "full" not in self._fns:
                self._fns["full"] = (self.backend.make_rate(self.model, self.grid, self.inv_cap, self.d), None)
            self._heun(self._fns["full"][0], u, h)


def integrate(
    model: RemodellingModel,
    u0: NDArray[np.float64],
    *,
    grid: Grid,
    inv_cap: NDArray[np.float64],
    sample_days: Sequence[float],
    events: Sequence[Event] = (),
    dt_days: float = 0.1,
    backend: str = "numba",
    method: str = "split",
    rtol: float | None = None,
    atol: float = 1e-9,
    on_sample: Callable[[Sample], None] | None = None,
) -> NDArray[np.float64]:
    """Advance the state from day 0 through every sample day, applying events on their days.

    Parameters
    ----------
    model : RemodellingModel
        Equations and parameters.
    u0 : (6, ny, nx) ndarray
        Initial state (not modified).
    grid : Grid
        Grid spacing in mm.
    inv_cap : (ny, nx) ndarray
        1 / collagen fill capacity in 1/mm (0 where no filling), see :meth:`RemodellingModel.inverse_capacity`.
    sample_days : sequence of float
        Days at which ``on_sample`` is called (after that day's events); the last is the end.
    events : sequence of Event
        State changes at given days (sessions).
    dt_days : float
        Time step in days (the first trial step when ``rtol`` is given).
    backend : {"numba", "numpy", "jax"}
        Right-hand-side implementation; see :func:`get_backend`.
    method : {"split", "explicit"}
        Time stepping scheme (module docstring).
    rtol, atol : float
        With ``rtol``, adapt the step so the step-doubling error estimate stays below
        ``atol + rtol * |u|`` in every cell.
    on_sample : callable, optional
        Called with a :class:`Sample` at each sample day (progress, storage).

    Returns
    -------
    (6, ny, nx) ndarray
        The state at the last sample day.
    """
    from scarwise.therapy.solvers import get_backend  # local: the package imports this module

    check_positive(dt_days=dt_days)
    check_choice("method", method, METHODS)
    if rtol is not None:
        check_positive(rtol=rtol, atol=atol)
    u = np.array(u0, dtype=np.float64, order="C", copy=True)
    if u.shape != (N_FIELDS, *grid.shape):
        raise InvalidParameterError(f"state must have shape {(N_FIELDS, *grid.shape)}, got {u.shape}")
    days = sorted(float(d) for d in sample_days)
    if not days:
        raise InvalidParameterError("sample_days is empty; give at least the end day")
    check_non_negative(first_sample_day=days[0])
    for e in events:
        check_non_negative(event_day=e.t_days)
    stepper = _Stepper(model, grid, inv_cap, get_backend(backend), method)
    pending = sorted(events, key=lambda e: e.t_days)
    stops = sorted({0.0, *days, *(e.t_days for e in pending if e.t_days <= days[-1])})
    t, h = 0.0, float(dt_days)
    for stop in stops:
        if stop > t:
            if rtol is None:
                n = max(1, math.ceil((stop - t) / dt_days - 1e-9))
                h_fixed = (stop - t) / n
                for _ in range(n):
                    stepper.step(u, h_fixed)
                t = stop
            else:
                t, h = _adaptive(stepper, u, t, stop, h, rtol, atol)
        while pending and pending[0].t_days <= t + 1e-12:
            pending.pop(0).apply(u)
        if on_sample is not None and t in days:
            on_sample(Sample(t, u))
    return u


def _adaptive(stepper: _Stepper, u: NDArray, t: float, stop: float, h: float, rtol: float, atol: float):
    """Step-doubling: accept a step when one h-step and two h/2-steps agree to tolerance."""
    while t < stop - 1e-12:
        h = min(h, stop - t)
        big = u.copy()
        stepper.step(big, h)
        small = u.copy()
        stepper.step(small, 0.5 * h)
        stepper.step(small, 0.5 * h)
        err = float(np.max(np.abs(small - big) / (atol + rtol * np.abs(small)))) / 3.0  # 2nd order: /(2^2-1)
        if err <= 1.0:
            u[...] = small
            t += h
        if h < 1e-9:
            raise InvalidParameterError("adaptive step fell below 1e-9 day; loosen rtol/atol")
        h *= min(2.0, max(0.2, 0.9 * (err + 1e-300) ** (-1.0 / 3.0)))
    return stop, h

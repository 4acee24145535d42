"""Time integration of the remodelling model, with interchangeable backends.

Backends are a dict: adding one is a module with a ``BACKEND`` object, a line here, and the
backend-parametrised tests pick it up.
"""

from __future__ import annotations

import importlib

from scarwise.therapy.solvers._base import Backend, UnknownBackendError
from scarwise.therapy.solvers._integrate import Event, Sample, integrate

_BACKENDS = {"numpy": "._numpy", "numba": "._numba", "jax": "._jax"}


def available_backends() -> tuple[str, ...]:
    """Names of all known backends (some may need an extra install)."""
    return tuple(sorted(_BACKENDS))


def get_backend(name: str) -> Backend:
    """The backend called ``name``; raises :class:`UnknownBackendError` listing the known ones."""
    if name not in _BACKENDS:
        raise UnknownBackendError(f"backend {name!r} unknown; choose one of {sorted(_BACKENDS)}")
    try:
        return importlib.import_module(_BACKENDS[name], __package__).BACKEND
    except ModuleNotFoundError as exc:
        raise UnknownBackendError(f"backend {name!r} needs: pip install 'scarwise[{name}]'") from exc


__all__ = ["Backend", "Event", "Sample", "UnknownBackendError", "available_backends", "get_backend", "integrate"]

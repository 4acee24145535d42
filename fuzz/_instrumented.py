"""Start a reader harness with coverage instrumentation (the five ``fuzz_<format>.py`` scripts).

atheris instruments modules as they are imported, so :mod:`_harness` (and the readers it imports)
must be imported inside :func:`atheris.instrument_imports`; this module itself is not instrumented.
"""

import importlib
import os

import atheris

# numba kernels (io._mesh) cannot compile from instrumented bytecode, so that module is left out
_INCLUDE = ["scarwise.surface.io", "scarwise.core", "tifffile", "trimesh", "zipfile", "xml", "numpy.lib"]
_QUICK_INCLUDE = ["scarwise.surface.io"]  # CI (SCARWISE_FUZZ_QUICK): scarwise only, much faster start-up
_EXCLUDE = ["scarwise.surface.io._mesh"]


def run(suffixes: tuple[str, ...], seed_dir: str) -> None:
    """Fuzz ``read_surface`` on files ending in ``suffixes`` (seed corpus ``fuzz/seeds/<seed_dir>``)."""
    include = _QUICK_INCLUDE if os.environ.get("SCARWISE_FUZZ_QUICK") else _INCLUDE
    with atheris.instrument_imports(include=include, exclude=_EXCLUDE):
        harness = importlib.import_module("_harness")
    harness.main(suffixes, seed_dir)

"""atheris harness: ``read_surface`` on .csv,.xyz files (see ``fuzz/_harness.py`` for the contract).

Run: ``python fuzz/fuzz_points.py -runs=100000`` (seed corpus ``fuzz/seeds/points`` by default).
"""

import os
import sys

import atheris

sys.path.insert(0, __file__.rsplit("/", 1)[0])

# numba kernels (io._mesh) cannot compile from instrumented bytecode, so that module is left out
_INCLUDE = ["scarwise.surface.io", "scarwise.core", "tifffile", "trimesh", "zipfile", "xml", "numpy.lib"]
if os.environ.get("SCARWISE_FUZZ_QUICK"):  # CI: instrument scarwise only (much faster start-up)
    _INCLUDE = ["scarwise.surface.io"]
with atheris.instrument_imports(include=_INCLUDE,
                                exclude=["scarwise.surface.io._mesh"]):
    import _harness

if __name__ == "__main__":
    _harness.main((".csv", ".xyz"), "points")

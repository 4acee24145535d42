"""atheris harness: ``read_surface`` on .ply,.obj files (see ``fuzz/_harness.py`` for the contract).

Run: ``python fuzz/fuzz_mesh.py -runs=100000`` (seed corpus ``fuzz/seeds/mesh`` by default).
"""

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import _instrumented  # noqa: E402

if __name__ == "__main__":
    _instrumented.run((".ply", ".obj"), "mesh")

"""atheris harness: ``read_surface`` on .npy,.npz files (see ``fuzz/_harness.py`` for the contract).

Run: ``python fuzz/fuzz_numpy.py -runs=100000`` (seed corpus ``fuzz/seeds/numpy`` by default).
"""

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import _instrumented  # noqa: E402

if __name__ == "__main__":
    _instrumented.run((".npy", ".npz"), "numpy")

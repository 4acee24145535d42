"""atheris harness: ``read_surface`` on .tif files (see ``fuzz/_harness.py`` for the contract).

Run: ``python fuzz/fuzz_tiff.py -runs=100000`` (seed corpus ``fuzz/seeds/tiff`` by default).
"""

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import _instrumented  # noqa: E402

if __name__ == "__main__":
    _instrumented.run((".tif",), "tiff")

"""atheris harness: ``read_surface`` on .x3p files (see ``fuzz/_harness.py`` for the contract).

Run: ``python fuzz/fuzz_x3p.py -runs=100000`` (seed corpus ``fuzz/seeds/x3p`` by default).
"""

import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import _instrumented  # noqa: E402

if __name__ == "__main__":
    _instrumented.run((".x3p",), "x3p")

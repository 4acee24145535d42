"""Regression tests for inputs the atheris harnesses (``fuzz/``) found to break the reader contract.

Each file under ``crashers/`` once raised something other than a ScarwiseError (or allocated far too
much); now it must be refused with a :class:`ScarwiseError`, within the harness's memory bound.
The seed corpora must still read back as the surfaces they were written from.
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from scarwise.core import ScarwiseError
from scarwise.surface.io import read_surface

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fuzz"))
import _harness  # noqa: E402
import make_seeds  # noqa: E402

CRASHERS = sorted((Path(__file__).parent / "crashers").iterdir())


@pytest.mark.parametrize("path", CRASHERS, ids=[p.name for p in CRASHERS])
def test_crasher_is_refused_cleanly(path: Path) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ScarwiseError):
            read_surface(path, pixel_mm=0.1, max_points=_harness.MAX_POINTS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < _harness.ALLOC_LIMIT_BYTES


@pytest.mark.parametrize("path", CRASHERS, ids=[p.name for p in CRASHERS])
def test_harness_accepts_crasher(path: Path) -> None:
    # the same check the fuzzer applies (timing not asserted here: shared CI machines are slow)
    _harness.read_bytes(path.read_bytes(), path.suffix, measure=True)


@pytest.mark.parametrize("corpus", sorted(make_seeds.CORPORA))
def test_seeds_read_back(corpus: str) -> None:
    seeds = sorted((ROOT / "fuzz" / "seeds" / corpus).iterdir())
    assert seeds
    originals = make_seeds.surfaces()
    for seed in seeds:
        data = seed.read_bytes()
        if len(make_seeds.CORPORA[corpus]) > 1:
            assert make_seeds.CORPORA[corpus][data[0]] == seed.suffix
            data = data[1:]
        tmp = _harness._TMP / f"seed{seed.suffix}"
        tmp.write_bytes(data)
        pixel = 0.1 if seed.suffix == ".npy" else None
        if seed.suffix in (".ply", ".obj"):
            pixel = None
        surface = read_surface(tmp, pixel_mm=pixel)
        want = originals[int(seed.stem[-1])]
        np.testing.assert_allclose(surface.z, want.z, atol=1e-12, equal_nan=True)

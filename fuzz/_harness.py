"""Shared fuzz target: write the bytes to a temp file with a suffix and read it with ``read_surface``.

Contract checked on every input (issue #11):

* the only exception allowed is :class:`scarwise.core.ScarwiseError` (and its subclasses);
* a read takes at most ``TIME_LIMIT_S`` seconds;
* a read allocates at most ``ALLOC_LIMIT_BYTES`` (Python-level peak via :mod:`tracemalloc`,
  which numpy reports its buffers to) -- the point limit passed is small, so a forged header that
  declares a huge grid must be refused before anything large is allocated.

Anything else raises :class:`FuzzFinding`, which atheris records as a crash.
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

from scarwise.core import ScarwiseError
from scarwise.surface.io import read_surface

#: Point limit passed to every read (a 1 Mi-point grid is far above any seed).
MAX_POINTS = 1 << 20
#: Largest peak allocation accepted for one read, in bytes (64 B per allowed point + slack).
ALLOC_LIMIT_BYTES = 64 * MAX_POINTS + 32 * 1024 * 1024
#: Slowest read accepted, in seconds.
TIME_LIMIT_S = 2.0

_TMP = Path(tempfile.mkdtemp(prefix="scarwise-fuzz-"))


class FuzzFinding(AssertionError):
    """A read broke the contract (wrong exception type, too slow, or too much memory)."""


def read_bytes(data: bytes, suffix: str, *, pixel_mm: float | None = 0.1,
               measure: bool = True) -> None:
    """Read ``data`` as a file with ``suffix``; raise :class:`FuzzFinding` on a contract breach."""
    path = _TMP / f"input{suffix}"
    path.write_bytes(data)
    if measure:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            read_surface(path, pixel_mm=pixel_mm, max_points=MAX_POINTS)
    except ScarwiseError:
        pass
    except Exception as exc:  # noqa: BLE001 - every other exception is the finding
        raise FuzzFinding(f"{suffix}: {type(exc).__name__}: {exc}") from exc
    finally:
        elapsed = time.perf_counter() - start
        peak = 0
        if measure:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        try:
            os.unlink(path)
        except OSError:
            pass
    if elapsed > TIME_LIMIT_S:
        raise FuzzFinding(f"{suffix}: read took {elapsed:.2f} s (limit {TIME_LIMIT_S} s)")
    if peak > ALLOC_LIMIT_BYTES:
        raise FuzzFinding(f"{suffix}: read allocated {peak / 2**20:.1f} MiB (limit "
                          f"{ALLOC_LIMIT_BYTES / 2**20:.0f} MiB)")


def read_surface_quiet(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` and read it, warnings silenced (no contract checks)."""
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        read_surface(path, pixel_mm=0.1, max_points=MAX_POINTS)


def main(suffixes: tuple[str, ...], seed_dir: str) -> None:
    """Run atheris over ``suffixes`` (first byte of the input picks the suffix when there are several)."""
    import sys

    import atheris

    def one(data: bytes) -> None:
        if len(suffixes) == 1:
            read_bytes(data, suffixes[0])
        elif data:
            read_bytes(data[1:], suffixes[data[0] % len(suffixes)])

    args = list(sys.argv)
    here = Path(__file__).resolve().parent
    if not any(not a.startswith("-") for a in args[1:]):
        # new inputs go to a scratch corpus (first directory), never into the committed seeds
        work = Path(tempfile.gettempdir()) / "scarwise-fuzz-corpus" / seed_dir
        work.mkdir(parents=True, exist_ok=True)
        args += [str(work), str(here / "seeds" / seed_dir)]
    if not any(a.startswith("-artifact_prefix=") for a in args):
        crashes = Path(tempfile.gettempdir()) / "scarwise-fuzz-crashes"
        crashes.mkdir(exist_ok=True)
        args.append(f"-artifact_prefix={crashes}/{seed_dir}-")
    for seed in sorted((here / "seeds" / seed_dir).iterdir()):  # warm up (numba JIT) untimed
        data = seed.read_bytes()
        suffix = suffixes[0] if len(suffixes) == 1 else suffixes[data[0] % len(suffixes)]
        try:
            read_surface_quiet(_TMP / f"warm{suffix}", data if len(suffixes) == 1 else data[1:])
        except ScarwiseError:
            pass
    atheris.Setup(args, one)
    atheris.Fuzz()

"""Cohort runs, serial or on Dask, written chunk by chunk to Parquet so they can resume.

Layout of a run folder: ``manifest.json`` (what is being run) and ``chunk-NNNNNN.parquet`` (one
per block of ``chunk_size`` patients). A chunk is written by the client to a temporary name and
renamed into place (atomic on one file system), so a file that exists is complete; a re-run with
the same manifest skips finished chunks. Chunks are computed by :func:`simulate_block`, a pure
function of (patient range, seed, protocols, months, population): any worker, any number of
workers, and any retry after a worker dies give the same numbers. Dask reschedules the tasks of
a killed worker; the client writes results, so workers need no shared file system.
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scarwise.cohort._patients import MAX_PATIENTS, Population
from scarwise.cohort._simulate import simulate_block
from scarwise.core.errors import InvalidParameterError
from scarwise.therapy import get_protocol

ENV_SCHEDULER = "SCARWISE_DASK_SCHEDULER"
MANIFEST = "manifest.json"


@dataclass(frozen=True, kw_only=True)
class CohortRun:
    """Where a run was written and what this call did."""

    path: str
    n_patients: int
    chunks_total: int
    chunks_computed: int
    chunks_skipped: int
    backend: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int = 2, timeout_s: float = 20.0) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler`` (or ``$SCARWISE_DASK_SCHEDULER``), else a new LocalCluster.

    The LocalCluster uses ``n_workers`` processes with one thread each and is closed on exit.
    """
    from distributed import Client, LocalCluster

    address = scheduler or os.environ.get(ENV_SCHEDULER) or None
    if address:
        try:
            client = Client(address, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise InvalidParameterError(f"cannot reach the Dask scheduler at {address!r}: {exc}; "
                                        f"check --scheduler / {ENV_SCHEDULER}") from None
        try:
            yield client
        finally:
            client.close()
        return
    if n_workers < 1:
        raise InvalidParameterError(f"n_workers must be >= 1, got {n_workers}")
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            yield client


def _manifest(n_patients: int, seed: int, chunk_size: int, protocols: Sequence[str], months: Sequence[float],
              population: Population) -> dict[str, Any]:
    return {"format": 1, "n_patients": int(n_patients), "seed": int(seed), "chunk_size": int(chunk_size),
            "protocols": list(protocols), "months": [float(m) for m in months],
            "population": {"mu": population.mu, "sigma": population.sigma}}


def chunk_path(out_dir: Path, index: int) -> Path:
    return out_dir / f"chunk-{index:06d}.parquet"


def write_chunk_atomic(columns: dict[str, Any], path: Path) -> None:
    """Write a chunk to a temporary file beside ``path`` and rename it into place."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        table = pa.table({k: (v.tolist() if v.dtype == object else v) for k, v in columns.items()})
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def run_cohort(
    out_dir: str | os.PathLike[str],
    *,
    n_patients: int,
    seed: int,
    protocols: Sequence[str],
    months: Sequence[float] = (3, 6, 12),
    chunk_size: int = 500,
    population: Population | None = None,
    client: Any = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> CohortRun:
    """Simulate ``n_patients`` virtual patients under each protocol; write Parquet chunks; resume.

    Parameters
    ----------
    out_dir : path
        Run folder (created). Re-running with the same arguments completes a partial run.
    n_patients, seed, chunk_size : int
        Cohort size, seed of the patients' ``SeedSequence`` tree and patients per chunk.
    protocols : sequence of str
        Protocol names (``scarwise protocols``).
    months : sequence of float
        Report months (improvement of total scar volume versus month 0, in percent).
    population : Population, optional
        Hyperparameters of the per-patient multipliers (default: priors).
    client : distributed.Client, optional
        Run the chunks on Dask; serial in this process if None.
    on_chunk : callable, optional
        ``on_chunk(done, total)`` after each chunk is written (progress).
    """
    if not (isinstance(n_patients, int) and 1 <= n_patients <= MAX_PATIENTS):
        raise InvalidParameterError(f"n_patients must be a whole number 1..{MAX_PATIENTS}, got {n_patients!r}")
    if not (isinstance(chunk_size, int) and 1 <= chunk_size <= 100_000):
        raise InvalidParameterError(f"chunk_size must be 1..100000, got {chunk_size!r}")
    if not protocols:
        raise InvalidParameterError("give at least one protocol, e.g. ['none', 'fractional_co2']")
    for name in protocols:
        get_protocol(name)
    pop = population or Population()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = _manifest(n_patients, seed, chunk_size, protocols, months, pop)
    mpath = out / MANIFEST
    if mpath.exists():
        try:
            old = json.loads(mpath.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = None
        if old != manifest:
            raise InvalidParameterError(f"{out} holds a different cohort run ({MANIFEST} differs); "
                                        "use a new folder or the same arguments to resume")
    else:
        tmp = mpath.with_name(f".{MANIFEST}.{uuid.uuid4().hex}.tmp")
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, mpath)
    total = math.ceil(n_patients / chunk_size)
    todo = [i for i in range(total) if not chunk_path(out, i).exists()]
    done = total - len(todo)
    kwargs = {"seed": seed, "protocols": list(protocols), "months": [float(m) for m in months], "population": pop}

    def bounds(i: int) -> tuple[int, int]:
        return i * chunk_size, min((i + 1) * chunk_size, n_patients)

    if client is None:
        for i in todo:
            write_chunk_atomic(simulate_block(*bounds(i), **kwargs), chunk_path(out, i))
            done += 1
            if on_chunk is not None:
                on_chunk(done, total)
    else:
        from distributed import as_completed

        futures = {client.submit(simulate_block, *bounds(i), **kwargs, key=f"scarwise-cohort-{uuid.uuid4().hex}-{i}",
                                 retries=2): i for i in todo}
        for fut in as_completed(list(futures)):
            write_chunk_atomic(fut.result(), chunk_path(out, futures[fut]))
            fut.release()
            done += 1
            if on_chunk is not None:
                on_chunk(done, total)
    return CohortRun(path=str(out), n_patients=n_patients, chunks_total=total, chunks_computed=len(todo),
                     chunks_skipped=total - len(todo), backend="serial" if client is None else "dask")


def read_cohort(out_dir: str | os.PathLike[str]) -> Any:
    """All finished chunks of a run as one ``pyarrow.Table`` (patients in order)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    files = sorted(out.glob("chunk-*.parquet"))
    if not files:
        raise InvalidParameterError(f"{out} holds no finished chunks; run `scarwise cohort run` first")
    return pa.concat_tables([pq.read_table(f) for f in files])

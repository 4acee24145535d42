"""Cohort runs: serial vs Dask identical, resume after interruption, a killed worker loses nothing."""

import os
import signal

import numpy as np
import pyarrow.parquet as pq
import pytest

from scarwise.cohort import read_cohort, run_cohort
from scarwise.cohort._runners import chunk_path
from scarwise.core.errors import InvalidParameterError

ARGS = {"n_patients": 48, "seed": 11, "protocols": ["none", "fractional_co2"], "months": [3, 6], "chunk_size": 6}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    run = run_cohort(out, **ARGS)
    assert run.chunks_computed == 8 and run.chunks_skipped == 0
    return read_cohort(out).to_pydict()


def test_serial_vs_two_dask_workers_identical(serial, client, tmp_path):
    run = run_cohort(tmp_path, **ARGS, client=client)
    assert run.backend == "dask" and run.chunks_computed == 8
    got = read_cohort(tmp_path).to_pydict()
    assert got == serial  # bit for bit, whatever ran where
    assert len(got["patient_id"]) == 48 * 2 * 2


def _keyed(cols):
    return {(p, pr, m): v for p, pr, m, v in zip(cols["patient_id"], cols["protocol"], cols["month"],
                                                  cols["improvement_pct"], strict=True)}


def test_chunking_does_not_change_patients(serial, tmp_path):
    run_cohort(tmp_path, **{**ARGS, "chunk_size": 17})
    got = _keyed(read_cohort(tmp_path).to_pydict())
    assert got == _keyed(serial) and len(got) == 48 * 4


def test_resume_skips_finished_chunks_and_ignores_partial_writes(serial, tmp_path):
    run_cohort(tmp_path, **ARGS)
    for i in (2, 5):  # an interrupted run: two chunks missing, one stray temporary file
        chunk_path(tmp_path, i).unlink()
    (tmp_path / ".chunk-000002.parquet.dead.tmp").write_bytes(b"partial")
    mtimes = {i: chunk_path(tmp_path, i).stat().st_mtime_ns for i in (0, 1, 3)}
    run = run_cohort(tmp_path, **ARGS)
    assert (run.chunks_computed, run.chunks_skipped) == (2, 6)
    assert all(chunk_path(tmp_path, i).stat().st_mtime_ns == t for i, t in mtimes.items())
    assert read_cohort(tmp_path).to_pydict() == serial


def test_other_arguments_refuse_to_mix_runs(tmp_path):
    run_cohort(tmp_path, **{**ARGS, "n_patients": 6})
    with pytest.raises(InvalidParameterError, match="different cohort run"):
        run_cohort(tmp_path, **{**ARGS, "n_patients": 6, "seed": 12})


def test_worker_killed_mid_run_loses_nothing(serial, client, tmp_path):
    pids = client.run(os.getpid)
    killed = []

    def kill_once(done, total):
        if not killed:  # first chunk written: the others are queued or running on both workers
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    run = run_cohort(tmp_path, **ARGS, client=client, on_chunk=kill_once)
    assert killed and run.chunks_computed == 8
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it
    assert set(client.run(os.getpid).values()) != set(pids.values())
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == sorted(["manifest.json"] + [chunk_path(tmp_path, i).name for i in range(8)])
    assert read_cohort(tmp_path).to_pydict() == serial
    assert all(pq.read_metadata(chunk_path(tmp_path, i)).num_rows == 6 * 4 for i in range(8))


def test_bad_arguments(tmp_path):
    with pytest.raises(InvalidParameterError, match="n_patients"):
        run_cohort(tmp_path, **{**ARGS, "n_patients": 0})
    with pytest.raises(InvalidParameterError, match="unknown"):
        run_cohort(tmp_path, **{**ARGS, "protocols": ["laser_magic"]})
    assert np.isfinite(ARGS["seed"])


def test_scheduler_from_environment(client, tmp_path, monkeypatch):
    from scarwise.cohort import ENV_SCHEDULER, dask_client

    monkeypatch.setenv(ENV_SCHEDULER, client.scheduler.address)
    with dask_client() as c:
        assert c.scheduler.address == client.scheduler.address
        run = run_cohort(tmp_path, **{**ARGS, "n_patients": 12}, client=c)
    assert run.backend == "dask" and run.chunks_computed == 2


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    from scarwise.cohort import ENV_SCHEDULER, dask_client

    monkeypatch.setenv(ENV_SCHEDULER, "tcp://127.0.0.1:9")
    with pytest.raises(InvalidParameterError, match="cannot reach the Dask scheduler"):
        with dask_client(timeout_s=2):
            pass

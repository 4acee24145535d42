import pytest


@pytest.fixture(scope="session")
def client():
    """One real multi-process LocalCluster (2 workers, 1 thread each) for the cohort tests."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c

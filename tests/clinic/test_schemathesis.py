"""API fuzzing (schemathesis): every operation of the OpenAPI document, signed in as an admin.

Checks: no 5xx, and every response that the document describes matches its schema (status codes
the document does not list, such as 401/403/404/409, are allowed: FastAPI documents only 2xx/422).
The example count per operation is bounded so the whole run stays well under a minute.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

MAX_EXAMPLES = 12


@pytest.fixture
def backend() -> str:
    return "sqlite"  # one backend: the PostgreSQL path is exercised by the rest of the suite


def _runner(operation, headers: dict[str, str], cases: list[tuple[str, int]]):
    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        response = case.call_and_validate(headers=headers, checks=checks)
        cases.append((case.path, response.status_code))

    return run


def test_api_fuzz(world) -> None:
    world.patient("FUZZ-1")  # something to find for ids 1, 2, ...
    api = schemathesis.openapi.from_asgi("/api/openapi.json", world.app)
    operations, cases = 0, []
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1
        world._headers.clear()  # a new token for each operation: logout(-everywhere) ends the last one
        _runner(operation, world.headers("admin"), cases)()
    ok = sorted({path for path, status in cases if status < 300})
    print(f"schemathesis: {len(cases)} cases over {operations} operations, {len(ok)} paths answered 2xx")
    assert operations >= 20 and len(cases) >= operations
    unauthorised = [p for p, status in cases if status == 401 and not p.startswith("/api/auth")]
    print(f"status codes: {sorted(Counter(status for _, status in cases).items())}")
    # signed in: a fuzzer locked out by authentication would see only 401s and never a 2xx
    assert len(ok) >= 5 and len(unauthorised) < len(cases) // 10

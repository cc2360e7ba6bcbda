"""Property-based fuzzing of the whole API from its own OpenAPI schema, against a real server.

Bounded and derandomized (fixed seed) for CI: no 5xx, and every response matches the schema
(status codes, content types, bodies).
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from facilitator_app.server.app import openapi_document
from tests.server.helpers import DATABASES, PASSWORD, make_database_url
from tests.serverproc import start_server

MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_dict(openapi_document())

CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance]


@pytest.fixture(scope="module", params=DATABASES)
def live(request, tmp_path_factory):
    """One server per database for all operations of this module (starting one costs seconds)."""
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    server = start_server(tmp, make_database_url(request.param, tmp))
    try:
        server.add_user("fuzz", PASSWORD)
        token = httpx.post(f"{server.url}/auth/v1/token", json={"username": "fuzz", "password": PASSWORD}).json()
        yield server.url, token["access_token"]
    finally:
        server.stop()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, live) -> None:
    url, token = live
    case.call_and_validate(base_url=url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

"""The OpenAPI contract, checked by a property-based fuzzer (schemathesis) against the API as `make serve` runs it.

Every operation of services/product_catalog/openapi.json gets generated requests; every answer must
be documented for that operation (status, headers, body schema, content type) and none may be a 5XX.
schemathesis' strategies and checks are driven from Hypothesis here directly: its pytest plugin does
not run on pytest 9.
"""

from __future__ import annotations

import json
import threading

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from hypothesis import HealthCheck, given, settings

from tests.conftest import ROOT

OPENAPI = ROOT / "services" / "product_catalog" / "openapi.json"
OPERATIONS = [
    f"{method.upper()} {path}" for path, methods in json.loads(OPENAPI.read_text())["paths"].items() for method in methods
]
EXAMPLES_PER_OPERATION = 50
# A schema-valid request the API may still refuse, by design: an Idempotency-Key reused with another
# body is a 422, as the IETF Idempotency-Key draft says (Hypothesis reuses keys across examples).
CONFIG = SchemathesisConfig.from_dict({"operations": [{
    "include-path": "/product", "include-method": "POST",
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}},
}]})


@pytest.fixture
def contract(system, synthesized):
    """The committed OpenAPI document, pointed at a local server for the dev API on a fresh emulator."""
    from devtools.serve import serve

    server = serve(synthesized.template("dev", "Service"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    loaded = schemathesis.openapi.from_path(OPENAPI, config=CONFIG)
    loaded.config.update(base_url=f"http://127.0.0.1:{server.server_port}/prod")
    yield loaded
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_answer_is_documented_and_none_is_a_server_error(contract, label):
    operation = contract.find_operation_by_label(label)
    calls = []

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def answers_as_documented(case):
        response = case.call_and_validate()
        calls.append(response.status_code)

    answers_as_documented()
    assert calls and all(status < 500 for status in calls)

"""The OpenAPI contract, checked by a property-based fuzzer (schemathesis) against the API as `make serve` runs it.

Every operation of services/product_catalog/openapi.json gets generated requests; every answer must
be documented for that operation (status, headers, body schema, content type) and none may be a 5XX.
schemathesis' strategies and checks are driven from Hypothesis here directly: its pytest plugin does
not run on pytest 9.
"""

from __future__ import annotations

import json
import threading
import urllib.request

import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, example, given, settings
from schemathesis.config import SchemathesisConfig

from tests.conftest import ROOT
from tests.runtime.conftest import VALID_PRODUCT

OPENAPI = ROOT / "services" / "product_catalog" / "openapi.json"
OPERATIONS = [
    f"{method.upper()} {path}" for path, methods in json.loads(OPENAPI.read_text())["paths"].items() for method in methods
]
EXAMPLES_PER_OPERATION = 50
# Schema-valid requests the API may still refuse, by design: an Idempotency-Key reused with another
# body is a 422, as the IETF Idempotency-Key draft says (Hypothesis reuses keys across examples); an
# If-Match no version matches (another version's ETag, or empty: no tags) is a 412, as RFC 9110 says.
CONFIG = SchemathesisConfig.from_dict({"operations": [
    {"include-path": "/product", "include-method": "POST",
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}},
    {"include-path": "/product/{id}", "include-method": "DELETE",
     "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "412"]}}},
]})


@pytest.fixture
def contract(system, synthesized):
    """The committed OpenAPI document, pointed at a local server for the dev API on a fresh emulator."""
    from devtools.local.serve import serve

    server = serve(synthesized.template("dev", "Service"), port=0)
    # A short poll interval: shutdown() waits for it (0.5 s by default, once per operation).
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
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


def created_product(base_url: str) -> str:
    request = urllib.request.Request(f"{base_url}/product", data=json.dumps(VALID_PRODUCT).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["id"]


# Each form of If-Match the contract allows, run whatever else Hypothesis draws: absent, any version,
# no entity tags, the new product's own ETag.
IF_MATCH_FORMS = ({}, {"If-Match": "*"}, {"If-Match": ""}, {"If-Match": '"1"'})


def if_match_kind(value: str | None) -> str:
    if value is None:
        return "absent"
    return {"": "empty", "*": "any"}.get(value.strip(), "etag")


def test_delete_of_a_product_answers_every_if_match_the_contract_allows_as_documented(contract):
    operation = contract.find_operation_by_label("DELETE /product/{id}")
    (if_match,) = [p for p in operation.definition.raw["parameters"] if (p["in"], p["name"]) == ("header", "If-Match")]
    assert not if_match["required"] and all(jsonschema.Draft202012Validator(if_match["schema"]).is_valid(headers["If-Match"])
                                            for headers in IF_MATCH_FORMS if headers)
    calls = []

    def deletes_as_documented(case):
        case.path_parameters = {"id": created_product(contract.config.base_url)}  # the precondition decides, not a 404
        response = case.call_and_validate()
        calls.append((if_match_kind((case.headers or {}).get("If-Match")), response.status_code))

    run = given(case=operation.as_strategy())(deletes_as_documented)
    for headers in IF_MATCH_FORMS:
        run = example(case=operation.Case(headers=headers))(run)
    settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
             suppress_health_check=list(HealthCheck))(run)()
    assert {kind for kind, _ in calls} == {"absent", "empty", "any", "etag"}
    assert {status for _, status in calls} == {204, 412}
    assert {status for kind, status in calls if kind == "empty"} == {412}

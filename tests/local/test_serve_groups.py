"""make serve over a stage with a function group: the group's route is a method of a nested stack of
dev/Service and its function lives in dev/ExtraFunctions, and it is served like any other route."""

from __future__ import annotations

import json
import threading

import pytest

from devtools.local.api_template import load_api_template, service_template
from devtools.local.serve import api_routes, serve
from tests.local.grouped_service import EXTRA_LISTING, GROUPED, GROUPED_ROUTE
from tests.local.test_serve import call, raw_request

MANIFEST_ENTRY = {"name": "export-grouped.jsonl.gz", "created": "2026-01-01T00:00:00Z", "items": 3, "bytes": 42, "sha256": "ab" * 32}


@pytest.fixture(scope="module")
def api_template(grouped_assembly):
    return load_api_template(service_template(grouped_assembly))


def test_the_grouped_route_and_its_function_live_outside_the_service_template(grouped_assembly):
    _, alone = api_routes(json.loads(service_template(grouped_assembly).read_text()))
    assert GROUPED_ROUTE.path not in alone and "/product" in alone
    (nested,) = grouped_assembly.glob("devServiceExtraRoutes*.nested.template.json")
    methods = [r["Properties"]["HttpMethod"] for r in json.loads(nested.read_text())["Resources"].values()
               if r["Type"] == "AWS::ApiGateway::Method"]
    assert sorted(methods) == ["GET", "OPTIONS"]
    (group,) = grouped_assembly.glob("devExtraFunctions*.template.json")
    handlers = [r["Properties"]["Handler"] for r in json.loads(group.read_text())["Resources"].values()
                if r["Type"] == "AWS::Lambda::Function"]
    assert handlers == [EXTRA_LISTING.handler]


def test_a_service_template_copied_out_of_its_assembly_names_the_missing_nested_template(grouped_assembly, tmp_path):
    copied = tmp_path / service_template(grouped_assembly).name
    copied.write_text(service_template(grouped_assembly).read_text())
    with pytest.raises(FileNotFoundError, match=r"nested stack .*ExtraRoutes.* is not in"):
        load_api_template(copied)


def test_every_declared_route_is_read_with_its_handler(api_template):
    stage, routes = api_routes(api_template)
    served = {(method, path): handler for path, methods in routes.items() for method, handler in methods.items()}
    assert stage == "prod"
    assert served == {(r.method, r.path): d.handler for d in GROUPED.functions for r in d.api_routes}


@pytest.fixture
def grouped_api(api_template, dynamodb, tmp_path, monkeypatch):
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "manifest.json").write_text(json.dumps([MANIFEST_ENTRY]))
    monkeypatch.setenv("FILE_SYSTEM_PATH", str(tmp_path))
    server = serve(api_template, port=0)
    # Polling every 50 ms, shutdown() returns at once instead of after up to 0.5 s per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/prod"
    server.shutdown()
    server.server_close()


def test_a_request_to_the_grouped_route_reaches_the_grouped_functions_handler(grouped_api):
    status, body = call(f"{grouped_api}{GROUPED_ROUTE.path}")
    assert (status, body) == (200, {"items": [MANIFEST_ENTRY]})  # what export_listing reads from the mount


def test_the_grouped_route_has_the_preflight_of_its_nested_stack(grouped_api):
    status, headers, _ = raw_request(f"{grouped_api}{GROUPED_ROUTE.path}", "OPTIONS", {"Origin": "http://localhost:3000"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "http://localhost:3000"


def test_an_ungrouped_route_still_reaches_its_handler(grouped_api):
    status, created = call(f"{grouped_api}/product", "POST", {"name": "Cup", "price": "3.5", "currency": "EUR"})
    assert status == 201
    assert call(f"{grouped_api}/product/{created['id']}")[1]["id"] == created["id"]


def test_a_method_the_grouped_route_does_not_have_is_403(grouped_api):
    assert call(f"{grouped_api}{GROUPED_ROUTE.path}", "POST", {})[0] == 403

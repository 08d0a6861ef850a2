"""make serve: real HTTP on 127.0.0.1 to the handler, routed like the synthesized API."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from devtools.local.serve import api_routes, serve
from tests.conftest import ROOT


@pytest.fixture
def local_api(templates, dynamodb):
    server = serve(templates["dev/Service"], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/prod"
    server.shutdown()
    server.server_close()


def call(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict | None]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode())


def test_routes_come_from_the_synthesized_api(templates):
    stage, routes = api_routes(templates["dev/Service"])
    assert stage == "prod"
    from services.product_catalog.definition import DEFINITION

    FUNCTIONS = DEFINITION.functions

    declared = {(r.method, r.path): d.handler for d in FUNCTIONS for r in d.api_routes}
    assert {(method, path): handler for path, methods in routes.items() for method, handler in methods.items()} == declared


def test_crud_over_http(local_api):
    status, created = call(f"{local_api}/product", "POST", {"name": "Cup", "price": "3.5", "currency": "EUR"})
    assert status == 201
    assert call(f"{local_api}/product/{created['id']}")[0] == 200
    assert call(f"{local_api}/product")[1]["items"][0]["id"] == created["id"]
    assert call(f"{local_api}/product/{created['id']}", "DELETE")[0] == 204


def test_undefined_route_is_403_like_api_gateway(local_api):
    status, body = call(f"{local_api}/orders")
    assert status == 403
    assert body["error"]["code"] == "MISSING_AUTHENTICATION_TOKEN"


def test_serve_command_stops_cleanly_on_ctrl_c(synthesized, tmp_path):
    template = tmp_path / "service.template.json"
    template.write_text(json.dumps(synthesized.template("dev", "Service")))
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local.serve", "--port", "0", "--template", str(template)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = []
        for line in process.stdout:  # warnings may come before the banner
            output.append(line)
            if "Product API on" in line:
                break
        assert "Product API on http://127.0.0.1:" in output[-1], output
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        process.kill()


def raw_request(url: str, method: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def test_a_preflight_is_answered_as_the_deployed_api_does(local_api):
    status, headers, body = raw_request(f"{local_api}/product", "OPTIONS", {"Origin": "http://localhost:3000",
                                                                          "Access-Control-Request-Method": "POST"})
    assert (status, body) == (204, "")
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "POST" in headers["Access-Control-Allow-Methods"] and "If-Match" in headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("method", ["PATCH", "HEAD", "BREW"])
def test_a_method_the_api_does_not_have_is_403_json_never_html(local_api, method):
    status, headers, body = raw_request(f"{local_api}/product", method, {"Origin": "http://localhost:3000"})
    assert status == 403 and headers["Content-Type"] == "application/json"
    if method != "HEAD":
        assert json.loads(body)["error"]["code"] == "MISSING_AUTHENTICATION_TOKEN"
    assert headers["Access-Control-Allow-Origin"] == "http://localhost:3000"  # DEFAULT_4XX's CORS headers


def test_a_body_the_gateway_model_rejects_never_reaches_the_function(local_api):
    status, body = call(f"{local_api}/product", "POST", {"name": "Cup", "price": "3.50", "currency": "EUR", "colour": "red"})
    assert status == 422
    assert body["error"]["code"] == "validation_failed" and body["error"]["details"][0]["location"] == "body"
    assert "field" not in body["error"]["details"][0]  # the gateway's answer, not the function's


def test_unparsable_json_is_a_400_at_the_gateway_too(local_api):
    request = urllib.request.Request(f"{local_api}/product", data=b"{not json", method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 400 and json.loads(error.value.read())["error"]["code"] == "malformed_request"

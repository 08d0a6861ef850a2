"""make serve enforces the API's Cognito authorizer, and a page on the dev CORS origin can use the API."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from devtools.local.auth import LocalAuth
from tests.moto_server import ENDPOINT, client

ORIGIN = "http://localhost:3000"
PRODUCT = {"name": "Cup", "price": "3.50", "currency": "EUR"}


@pytest.fixture
def browser(system, synthesized, monkeypatch):
    """A user, its ID token, and the dev API served with the authorizer on (as `make serve` starts it)."""
    from devtools.local.serve import cors_environment, serve

    template = synthesized.template("dev", "Service")
    for name, value in cors_environment(template).items():
        monkeypatch.setenv(name, value)
    auth = LocalAuth.create(client, ENDPOINT["url"], "eu-west-1")
    token = auth.token("ana@example.com", auth.create_user("ana@example.com"))
    server = serve(template, port=0, auth=auth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/prod", token, auth
    server.shutdown()
    server.server_close()


def fetch(url, method="GET", body=None, headers=None):
    """As a browser page on ORIGIN would (fetch sends Origin); returns status, headers, JSON body."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Origin": ORIGIN, "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return response.status, dict(response.headers), json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read().decode() or "null")


def test_a_page_on_the_allowed_origin_does_crud_with_a_token_and_reads_every_answer(browser):
    api, token, _ = browser
    bearer = {"Authorization": f"Bearer {token}"}
    status, headers, created = fetch(f"{api}/product", "POST", PRODUCT, bearer)
    assert status == 201 and headers["Access-Control-Allow-Origin"] == ORIGIN and "ETag" in headers["Access-Control-Expose-Headers"]
    item = f"{api}/product/{created['id']}"
    status, headers, _ = fetch(item)
    assert (status, headers["Access-Control-Allow-Origin"]) == (200, ORIGIN)
    status, headers, _ = fetch(item, "PUT", {**PRODUCT, "price": "4.00"}, {**bearer, "If-Match": headers["ETag"]})
    assert (status, headers["Access-Control-Allow-Origin"]) == (200, ORIGIN)
    status, headers, _ = fetch(item, "DELETE", headers=bearer)
    assert (status, headers["Access-Control-Allow-Origin"]) == (204, ORIGIN)


def test_a_write_without_a_token_is_a_401_the_page_can_read(browser):
    api, _, _ = browser
    status, headers, body = fetch(f"{api}/product", "POST", PRODUCT)
    assert (status, body["error"]["code"]) == (401, "UNAUTHORIZED")
    assert headers["Access-Control-Allow-Origin"] == ORIGIN


def test_reads_need_no_token(browser):
    api, _, _ = browser
    assert fetch(f"{api}/product")[0] == 200


@pytest.mark.parametrize("mangle", [
    lambda token, auth: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),  # signature no longer verifies
    lambda token, auth: "not-a-jwt",
])
def test_a_tampered_or_malformed_token_is_refused(browser, mangle):
    api, token, auth = browser
    assert fetch(f"{api}/product", "POST", PRODUCT, {"Authorization": f"Bearer {mangle(token, auth)}"})[0] == 401


def test_a_token_for_another_app_client_is_refused(browser):
    api, _, auth = browser
    other = client("cognito-idp").create_user_pool_client(UserPoolId=auth.pool_id, ClientName="other",
                                                           ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])["UserPoolClient"]
    password = auth.create_user("bo@example.com")
    token = client("cognito-idp").initiate_auth(ClientId=other["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                                                AuthParameters={"USERNAME": "bo@example.com", "PASSWORD": password})["AuthenticationResult"]["IdToken"]
    assert fetch(f"{api}/product", "POST", PRODUCT, {"Authorization": f"Bearer {token}"})[0] == 401


def test_an_expired_token_is_refused(browser, monkeypatch):
    api, token, _ = browser
    import time

    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 7200)  # two hours on: the one-hour token has expired
    assert fetch(f"{api}/product", "POST", PRODUCT, {"Authorization": f"Bearer {token}"})[0] == 401

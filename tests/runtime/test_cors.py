"""CORS on every response: a configured origin is echoed with Vary and the exposed headers; others get none."""

from __future__ import annotations

import pytest

ALLOWED = "http://localhost:3000"


@pytest.fixture
def cors(monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", f"{ALLOWED},https://shop.example.com")


def test_a_success_from_an_allowed_origin_carries_its_origin_vary_and_exposed_headers(api, cors):
    response = api.create(headers={"Origin": ALLOWED})
    assert response.status == 201
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert response.headers["Vary"] == "Origin"
    assert response.headers["Access-Control-Expose-Headers"] == "ETag,Location"


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "/product/2b0c4c7e-1111-4222-8333-444455556666", {}, 404),
    ("POST", "/product", {"body": {"name": ""}}, 422),
    ("POST", "/product", {"body": "x" * 17_000, "headers": {"Content-Type": "application/json"}}, 413),
])
def test_an_error_from_an_allowed_origin_carries_the_cors_headers_too(api, cors, method, path, kwargs, status):
    headers = {**kwargs.pop("headers", {}), "Origin": ALLOWED}
    response = api.request(method, path, headers=headers, **kwargs)
    assert response.status == status
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED


def test_the_second_configured_origin_is_echoed(api, cors):
    assert api.create(headers={"Origin": "https://shop.example.com"}).headers["Access-Control-Allow-Origin"] == "https://shop.example.com"


def test_an_origin_that_is_not_configured_gets_no_allow_origin(api, cors):
    response = api.create(headers={"Origin": "https://evil.example"})
    assert response.status == 201
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


def test_nothing_at_all_when_cors_is_off(api, monkeypatch):
    monkeypatch.delenv("CORS_ALLOW_ORIGINS", raising=False)
    response = api.create(headers={"Origin": ALLOWED})
    assert not {"Access-Control-Allow-Origin", "Vary", "Access-Control-Expose-Headers"} & set(response.headers)


def test_the_export_listing_sends_the_same_headers(cors, tmp_path, monkeypatch):
    from export_listing.handler import lambda_handler

    from devtools.local.events import rest_event
    from devtools.local.runtime import LocalLambdaContext

    monkeypatch.setenv("FILE_SYSTEM_PATH", str(tmp_path))
    result = lambda_handler(rest_event("GET", "/product/exports", headers={"Origin": ALLOWED}), LocalLambdaContext())
    assert result["headers"]["Access-Control-Allow-Origin"] == ALLOWED

"""Routing errors and the error body shape."""

from __future__ import annotations

from typing import Any

from catalog import repository as repository_module


def test_unknown_route_is_404_json(api):
    response = api.request("GET", "/orders")
    assert response.status == 404
    assert response.error_code == "not_found"


def test_wrong_method_on_a_known_route_is_405_with_allow(api):
    response = api.request("PATCH", "/product")
    assert response.status == 405
    assert response.headers["Allow"] == "GET, POST"
    assert api.request("POST", "/product/00000000-0000-4000-8000-000000000000").headers["Allow"] == "DELETE, GET, PUT"


def test_every_error_has_code_message_and_request_id(api):
    body = api.request("GET", "/orders").body
    assert set(body) == {"error"}
    assert {"code", "message", "request_id"} <= set(body["error"])


def test_unexpected_failure_is_500_with_request_id_and_no_internals(api, monkeypatch):
    class Broken:
        def get(self, product_id: str) -> Any:
            raise RuntimeError("secret connection string in here")

    monkeypatch.setattr("product_api.handler.repository", lambda: Broken())
    response = api.request("GET", "/product/00000000-0000-4000-8000-000000000000")
    assert response.status == 500
    assert response.body["error"]["code"] == "internal_error"
    assert "secret" not in str(response.body)
    assert response.body["error"]["request_id"]


def test_missing_table_configuration_is_a_500_not_a_crash(api, monkeypatch):
    monkeypatch.delenv("PRODUCT_TABLE_NAME")
    repository_module.repository.cache_clear()
    from catalog.settings import settings

    settings.cache_clear()
    assert api.request("GET", "/product").status == 500


def test_an_event_that_is_not_an_api_event_is_a_json_500(dynamodb):
    from product_api.handler import lambda_handler

    from devtools.local.runtime import LocalLambdaContext

    result = lambda_handler({"unexpected": True}, LocalLambdaContext())
    assert result["statusCode"] == 500

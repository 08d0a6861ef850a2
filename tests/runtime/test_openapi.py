"""The committed OpenAPI document is the one the handler generates."""

from __future__ import annotations

import json
from pathlib import Path

from services.product_catalog.openapi import openapi_document
from product_api.routes import ROUTES

COMMITTED = Path(__file__).resolve().parents[2] / "services" / "product_catalog" / "openapi.json"


def test_committed_openapi_document_matches_the_handler():
    assert COMMITTED.read_text() == openapi_document(), (
        "run: python -m services.product_catalog.openapi > services/product_catalog/openapi.json"
    )


def test_openapi_documents_every_route_and_the_product_schema():
    document = json.loads(COMMITTED.read_text())
    operations = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert operations == {(route.method, route.path) for route in ROUTES}
    assert {"Product", "ProductIn"} <= set(document["components"]["schemas"])


def test_every_documented_error_uses_the_one_error_body():
    document = json.loads(COMMITTED.read_text())
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}

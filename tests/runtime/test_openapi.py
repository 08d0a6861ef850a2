"""The committed OpenAPI document is the service's whole API: every declared route, exactly, resolvable."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.product_catalog.openapi import (
    ContractError,
    as_json,
    openapi_document,
    refs_in,
    resolve,
    service_functions,
)
from stacks.function_declaration import ApiRoute, ApiTrigger, FunctionDeclaration

COMMITTED = Path(__file__).resolve().parents[2] / "services" / "product_catalog" / "openapi.json"
REGENERATE = "run: python -m services.product_catalog.openapi > services/product_catalog/openapi.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text())


def operations_of(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}


def declared_routes() -> set[tuple[str, str]]:
    return {(route.method, route.path) for function in service_functions() for route in function.api_routes}


def export_listing() -> FunctionDeclaration:
    return next(function for function in service_functions() if function.name == "export-listing")


def validates(document: dict[str, Any], method: str, path: str, status: int, body: Any) -> None:
    """Raises unless ``body`` is what the document says ``method path`` answers with ``status``."""
    response = document["paths"][path][method.lower()]["responses"][str(status)]
    schema = {**response["content"]["application/json"]["schema"], "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_committed_openapi_document_is_the_generated_one():
    assert COMMITTED.read_text() == as_json(openapi_document()), REGENERATE


def test_every_api_route_a_function_declares_is_in_the_document(document):
    missing = declared_routes() - operations_of(document)
    assert not missing, f"declared but undocumented: {sorted(missing)}; {REGENERATE}"


def test_every_operation_in_the_document_is_served_by_a_declared_function(document):
    unserved = operations_of(document) - declared_routes()
    assert not unserved, f"documented but served by no function: {sorted(unserved)}"


def test_every_ref_in_the_document_resolves(document):
    refs = refs_in(document)
    assert refs and [ref for ref in refs if resolve(document, ref) is None] == []


def test_every_schema_in_the_document_is_used_by_an_operation(document):
    referenced = {ref.rsplit("/", 1)[1] for ref in refs_in(document) if ref.startswith("#/components/schemas/")}
    assert set(document["components"]["schemas"]) == referenced


def test_the_document_is_built_from_the_declarations_it_is_given():
    assert operations_of(openapi_document((export_listing(),))) == {("GET", "/product/exports")}


def test_a_declared_route_its_function_does_not_document_is_refused():
    declaration = export_listing().model_copy(update={"triggers": (ApiTrigger(routes=(
        ApiRoute(method="GET", path="/product/exports"), ApiRoute(method="DELETE", path="/product/exports"),
    )),)})
    with pytest.raises(ContractError, match=r"missing: DELETE /product/exports"):
        openapi_document((declaration,))


def test_a_function_with_api_routes_and_no_contract_module_is_refused():
    declaration = FunctionDeclaration(
        name="hook-api", description="An API function that documents nothing", package="traffic_hook",
        handler="traffic_hook.handler.lambda_handler",
        triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/hook"),)),),
    )
    with pytest.raises(ContractError, match=r"hook-api serves GET /hook but documents nothing"):
        openapi_document((declaration,))


def test_the_product_schemas_are_in_the_document(document):
    assert {"Product", "ProductIn", "ProductPage", "ErrorBody"} <= set(document["components"]["schemas"])


def test_every_documented_error_uses_the_one_error_body(document):
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def listing(path: Path) -> tuple[int, Any]:
    from export_listing.handler import lambda_handler

    from devtools.local.events import rest_event
    from devtools.local.runtime import LocalLambdaContext

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FILE_SYSTEM_PATH", str(path))
        result = lambda_handler(rest_event("GET", "/product/exports"), LocalLambdaContext())
    return result["statusCode"], json.loads(result["body"])


def test_the_export_listing_answers_an_export_as_documented(document, dynamodb, tmp_path):
    from catalog_export.handler import export_catalog

    export_catalog(tmp_path / "exports", keep=3, now=datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    status, body = listing(tmp_path)
    assert status == 200 and len(body["items"]) == 1
    validates(document, "GET", "/product/exports", 200, body)


def test_the_export_listing_answers_an_unreadable_manifest_as_documented(document, tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "manifest.json").write_text("{not json")
    status, body = listing(tmp_path)
    assert status == 500
    validates(document, "GET", "/product/exports", 500, body)

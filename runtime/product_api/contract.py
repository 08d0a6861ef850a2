"""The OpenAPI operations of the product API function, as its handler serves them.

Powertools documents the handler's routes and models (``app``); this adds what the handler answers
beyond them, from the route declarations (``routes.ROUTES``): every error status of each route with
the service's one error body, the headers each route reads and sends, no body for 204, the id and
page-token formats. services/product_catalog/openapi.py puts it into the service's document. The
Lambda never imports this module.
"""

from __future__ import annotations

import json
import os
from typing import Any

from catalog.models import ID_PATTERN
from catalog.pagination import TOKEN_PATTERN

from product_api.routes import HEADERS, ROUTES

# Every error answer has this body; the service's document defines it (catalog.models.ErrorBody).
ERROR_BODY_REF = "#/components/schemas/ErrorBody"
ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, header or page token", 401: "Missing or invalid Cognito token (API Gateway)",
    404: "Unknown product", 409: "Same Idempotency-Key still in progress", 412: "If-Match is stale",
    413: "Body over 16 KiB", 415: "Body is not application/json", 422: "Invalid fields, all listed",
    428: "If-Match missing", 500: "Unexpected error (request_id only)",
}
# What Powertools documents on its own and this handler never answers: its 422 body (the handler
# answers every error as ErrorBody) and its response-validation error (response validation is off).
POWERTOOLS_ONLY_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def openapi() -> dict[str, Any]:
    """``{"paths": ..., "schemas": ...}``: this function's operations and the schemas they refer to."""
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ProductCatalog")
    from product_api.handler import app

    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    schemas = {
        name: schema for name, schema in document["components"]["schemas"].items() if name not in POWERTOOLS_ONLY_SCHEMAS
    }
    routes = {(route.method.lower(), route.path): route for route in ROUTES}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = routes[(method, path)]
            operation["operationId"] = route.operation  # the handler function's name, e.g. create_product
            operation["responses"].pop("422", None)
            for status in route.errors:
                operation["responses"][str(status)] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
                }
            success = operation["responses"][str(route.success)]
            if route.success == 204:
                success.pop("content", None)  # 204 No Content: there is no body to describe
            if route.response_headers:
                success["headers"] = {name: HEADERS[name] for name in route.response_headers}
            if 412 in route.errors:  # a stale If-Match is answered with the current version's ETag
                operation["responses"]["412"]["headers"] = {"ETag": HEADERS["ETag"]}
            parameters = operation.setdefault("parameters", [])
            for parameter in parameters:
                if parameter["in"] == "path" and parameter["name"] == "id":
                    parameter["schema"]["pattern"] = ID_PATTERN.pattern
                if parameter["in"] == "query" and parameter["name"] == "next_token":
                    # Checked by the handler (a 400, not a validation 422): the contract states the form.
                    parameter["schema"] = {"type": "string", "pattern": TOKEN_PATTERN, "description": "From the previous page"}
            parameters += [
                {"name": name, "in": "header", "required": required, **HEADERS[name]} for name, required in route.request_headers
            ]
    return {"paths": document["paths"], "schemas": schemas}

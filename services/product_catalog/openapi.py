"""Write the OpenAPI document generated from the handler's routes and models.

    python -m services.product_catalog.openapi > services/product_catalog/openapi.json

tests/runtime/test_openapi.py fails when the committed document is out of date.
"""

from __future__ import annotations

import json
import os
from typing import Any

from catalog.models import ID_PATTERN
from catalog.pagination import TOKEN_PATTERN
from product_api.routes import HEADERS, ROUTES

# The error statuses each operation can answer with, from the route declarations.
ERRORS_BY_OPERATION: dict[tuple[str, str], tuple[int, ...]] = {(r.method.lower(), r.path): r.errors for r in ROUTES}
ERROR_DESCRIPTIONS = {
    400: "Malformed JSON, header or page token", 401: "Missing or invalid Cognito token (API Gateway)",
    404: "Unknown product", 409: "Same Idempotency-Key still in progress", 412: "If-Match is stale",
    413: "Body over 16 KiB", 415: "Body is not application/json", 422: "Invalid fields, all listed",
    428: "If-Match missing", 500: "Unexpected error (request_id only)",
}


def openapi_document() -> str:
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "ProductCatalog")
    from product_api.handler import app
    from catalog.models import ErrorBody

    document: dict[str, Any] = json.loads(
        app.get_openapi_json_schema(
            title="Product catalog API",
            version="1.0.0",
            description="CRUD on /product. Writes need a Cognito token (Authorization header).",
        )
    )
    # Powertools always documents its own 422 body; this API answers every error as ErrorBody.
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorBody"] = error_schema
    routes = {(route.method.lower(), route.path): route for route in ROUTES}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = routes[(method, path)]
            operation["responses"].pop("422", None)
            for status in ERRORS_BY_OPERATION[(method, path)]:
                operation["responses"][str(status)] = {
                    "description": ERROR_DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
                }
            success = operation["responses"][str(route.success)]
            if route.success == 204:
                success.pop("content", None)  # 204 No Content: there is no body to describe
            if route.response_headers:
                success["headers"] = {name: HEADERS[name] for name in route.response_headers}
            if route.method == "PUT":
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
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(openapi_document(), end="")

"""The API contract of product_api, declared once.

API Gateway's resources and methods (services/product_catalog/definition.py -> ServiceApi), the handler's routing, the
local server, the OpenAPI document and the deploy smoke test all derive from ``ROUTES``. Pure data:
the infrastructure imports it without loading the handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from catalog.import_models import ImportRequest
from catalog.models import ProductIn


@dataclass(frozen=True)
class Route:
    """One method on one API Gateway resource, and the handler function that serves it."""

    method: str
    path: str  # the API Gateway resource path, e.g. /product/{id}
    operation: str  # the handler function's name
    summary: str
    errors: tuple[int, ...]  # the error statuses it can answer (documented in the OpenAPI document)
    body_model: Any = None  # the pydantic model of its JSON body (size and media type are checked before routing)
    max_body_bytes: int = 16 * 1024
    success: int = 200  # the status of a successful answer (204: no body)
    request_headers: tuple[tuple[str, bool], ...] = ()  # (name, required)
    response_headers: tuple[str, ...] = ()  # sent with the successful answer

    @property
    def body(self) -> bool:
        return self.body_model is not None

    @property
    def body_schema(self) -> dict[str, Any] | None:
        """The JSON schema of the body, as the handler validates it (None without a body)."""
        return self.body_model.model_json_schema(mode="validation") if self.body_model else None

    @property
    def resolver_path(self) -> str:
        """The path in Powertools' notation (``/product/<id>``)."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def pattern(self) -> re.Pattern[str]:
        """Matches a request path (no stage prefix) for this resource, with or without a trailing slash."""
        return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.path)) + "/?$")


# The headers the API reads and sends, as the contract states them.
HEADERS: dict[str, dict[str, object]] = {
    "If-Match": {"description": 'The ETag of the version being replaced or deleted ("3"), or *; empty matches no version',
                 "schema": {"type": "string", "pattern": r'^\s*(\*|(W/)?"[0-9]{1,18}")?\s*$'}},
    "Idempotency-Key": {"description": "Makes a retried create safe for 24 hours (per caller)",
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x20-\x7e]+$"}},
    "ETag": {"description": "The product's version, quoted", "schema": {"type": "string", "pattern": r'^"[0-9]+"$'}},
    "Location": {"description": "Where the new resource is", "schema": {"type": "string"}},
}

ROUTES: tuple[Route, ...] = (
    Route("GET", "/product", "list_products", "List products", (400, 422, 500)),
    Route(
        "POST", "/product", "create_product", "Create a product", (400, 401, 409, 413, 415, 422, 500), body_model=ProductIn,
        success=201, request_headers=(("Idempotency-Key", False),), response_headers=("Location", "ETag"),
    ),
    Route("GET", "/product/{id}", "get_product", "Get a product", (404, 500), response_headers=("ETag",)),
    Route(
        "PUT", "/product/{id}", "replace_product", "Replace a product (If-Match required)",
        (400, 401, 404, 412, 413, 415, 422, 428, 500), body_model=ProductIn,
        request_headers=(("If-Match", True),), response_headers=("ETag",),
    ),
    Route(
        "DELETE", "/product/{id}", "delete_product", "Delete a product (If-Match honoured)", (400, 401, 404, 412, 500),
        success=204, request_headers=(("If-Match", False),),
    ),
    Route(
        "POST", "/product/imports", "start_import", "Import up to 1,000 products through the import queue",
        (400, 401, 413, 415, 422, 500), body_model=ImportRequest, max_body_bytes=1024 * 1024, success=202, response_headers=("Location",),
    ),
    Route("GET", "/product/imports/{id}", "get_import", "Progress and errors of an import", (404, 500)),
)
ROUTES_BY_OPERATION = {route.operation: route for route in ROUTES}
RESOURCES = tuple(dict.fromkeys(route.path for route in ROUTES))

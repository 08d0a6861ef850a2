"""The API contract of product_api, declared once.

API Gateway's resources and methods (stacks/functions.py -> ProductApi), the handler's routing, the
local server, the OpenAPI document and the deploy smoke test all derive from ``ROUTES``. Pure data:
the infrastructure imports it without loading the handler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    """One method on one API Gateway resource, and the handler function that serves it."""

    method: str
    path: str  # the API Gateway resource path, e.g. /product/{id}
    operation: str  # the handler function's name
    summary: str
    errors: tuple[int, ...]  # the error statuses it can answer (documented in the OpenAPI document)
    body: bool = False  # takes a JSON body (size and media type are checked before routing)
    max_body_bytes: int = 16 * 1024

    @property
    def resolver_path(self) -> str:
        """The path in Powertools' notation (``/product/<id>``)."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def pattern(self) -> re.Pattern[str]:
        """Matches a request path (no stage prefix) for this resource, with or without a trailing slash."""
        return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.path)) + "/?$")


ROUTES: tuple[Route, ...] = (
    Route("GET", "/product", "list_products", "List products", (400, 422, 500)),
    Route("POST", "/product", "create_product", "Create a product", (400, 401, 409, 413, 415, 422, 500), body=True),
    Route("GET", "/product/{id}", "get_product", "Get a product", (404, 500)),
    Route(
        "PUT", "/product/{id}", "replace_product", "Replace a product (If-Match required)",
        (400, 401, 404, 412, 413, 415, 422, 428, 500), body=True,
    ),
    Route("DELETE", "/product/{id}", "delete_product", "Delete a product (If-Match honoured)", (400, 401, 404, 412, 500)),
    Route(
        "POST", "/product/imports", "start_import", "Import up to 1,000 products through the import queue",
        (400, 401, 413, 415, 422, 500), body=True, max_body_bytes=1024 * 1024,
    ),
    Route("GET", "/product/imports/{id}", "get_import", "Progress and errors of an import", (404, 500)),
)
ROUTES_BY_OPERATION = {route.operation: route for route in ROUTES}
RESOURCES = tuple(dict.fromkeys(route.path for route in ROUTES))

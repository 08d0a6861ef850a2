"""The service's functions. Add yours here: one declaration each (see README "Adding a function").

Per-stage settings go in cdk.json under ``stages.<stage>.functions.<name>``; the names below are the
only ones allowed there.
"""

from __future__ import annotations

from product_api.routes import RESOURCES as PRODUCT_API_RESOURCES, ROUTES as PRODUCT_API_ROUTES
from stacks.function_declaration import ApiTrigger, FunctionDeclaration, TrafficCheck

PRODUCT_API = FunctionDeclaration(
    name="product",
    description="Product catalog CRUD behind /product",
    package="product_api",
    handler="product_api.handler.lambda_handler",
    requirements="product_api.txt",
    triggers=(ApiTrigger.from_routes(PRODUCT_API_ROUTES),),
    tables={"product": "read_write", "idempotency": "read_write"},
    # Before any traffic shifts, the new version must list a page of products.
    pre_traffic_check=TrafficCheck.api_request(
        "GET", "/product", resources=PRODUCT_API_RESOURCES, query={"limit": "1"}, expect_status=200
    ),
)

FUNCTIONS: tuple[FunctionDeclaration, ...] = (PRODUCT_API,)

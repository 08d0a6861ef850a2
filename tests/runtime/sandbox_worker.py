"""One Lambda sandbox for the concurrency test: a fresh interpreter running the real handler.

Lambda never runs two requests in one sandbox at once, so concurrent writers are separate processes
sharing only the table, as in production.
"""

from __future__ import annotations

import json
import os
from typing import Any


def write_increments(endpoint: str, product_id: str, start: Any, rounds: int) -> list[tuple[int, int]]:
    """Read-modify-write the product's stock ``rounds`` times with If-Match; (status, version read) each."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "PRODUCT_TABLE_NAME": "product-test",
            "IDEMPOTENCY_TABLE_NAME": "idempotency-test",
            "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogTest",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
        }
    )
    from product_api.handler import lambda_handler

    from devtools.local.events import rest_event
    from devtools.local.runtime import LocalLambdaContext

    def call(method: str, **kwargs: Any) -> dict[str, Any]:
        return lambda_handler(rest_event(method, f"/product/{product_id}", **kwargs), LocalLambdaContext())

    call("GET")  # warm: clients and imports ready before the race starts
    start.wait(timeout=120)  # every sandbox begins writing at the same moment
    outcomes = []
    for _ in range(rounds):
        current = json.loads(call("GET")["body"])
        body = {"name": "counter", "price": "1", "currency": "EUR", "stock": current["stock"] + 1}
        response = call("PUT", body=body, headers={"If-Match": f'"{current["version"]}"'})
        outcomes.append((response["statusCode"], current["version"]))
    return outcomes

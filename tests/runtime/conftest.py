"""In-process runtime tests: the real handler against moto's in-memory DynamoDB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.local.events import rest_event
from tests.runtime.workflows import emulator, system  # noqa: F401 - fixtures for the workflow tests
from devtools.local.runtime import LocalLambdaContext, create_product_tables, reset_runtime_caches

PRODUCT_TABLE = "product-test"
IDEMPOTENCY_TABLE = "idempotency-test"
def create_tables(client: Any) -> None:
    create_product_tables(client, PRODUCT_TABLE, IDEMPOTENCY_TABLE)


VALID_PRODUCT = {"name": "Espresso cup", "description": "90 ml", "price": "12.50", "currency": "EUR", "stock": 3}



TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "PRODUCT_TABLE_NAME": PRODUCT_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "PRODUCT_TABLE_KEY": "id",
    "POWERTOOLS_SERVICE_NAME": "product-catalog-test",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogTest",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def moto_dynamodb() -> Iterator[Any]:
    """moto's in-memory AWS, started once per module (starting it costs ~0.3 s)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        with mock_aws():
            reset_runtime_caches()
            yield boto3.client("dynamodb", region_name="eu-west-1")
        reset_runtime_caches()


@pytest.fixture
def dynamodb(moto_dynamodb: Any, aws_env: None) -> Any:
    """Empty product and idempotency tables for each test."""
    for name in moto_dynamodb.list_tables()["TableNames"]:
        moto_dynamodb.delete_table(TableName=name)
    create_tables(moto_dynamodb)
    return moto_dynamodb



@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error_code(self) -> str | None:
        return self.body.get("error", {}).get("code") if isinstance(self.body, dict) else None


class ApiClient:
    """Calls the Lambda handler with REST proxy events and decodes its responses."""

    def request(self, method: str, path: str, **kwargs: Any) -> ApiResponse:
        from product_api.handler import lambda_handler

        result = lambda_handler(rest_event(method, path, **kwargs), LocalLambdaContext())
        headers = {**(result.get("headers") or {})}
        for key, values in (result.get("multiValueHeaders") or {}).items():
            headers.setdefault(key, values[0])
        text = result.get("body") or ""
        return ApiResponse(result["statusCode"], headers, json.loads(text) if text else None)

    def create(self, body: dict[str, Any] | None = None, **kwargs: Any) -> ApiResponse:
        return self.request("POST", "/product", body=body or VALID_PRODUCT, **kwargs)


@pytest.fixture
def api(dynamodb: Any) -> ApiClient:
    return ApiClient()

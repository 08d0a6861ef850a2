"""In-process runtime tests: the real handler against moto's in-memory DynamoDB (fixtures in tests/conftest.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from devtools.local.events import rest_event
from devtools.local.runtime import LocalLambdaContext

VALID_PRODUCT = {"name": "Espresso cup", "description": "90 ml", "price": "12.50", "currency": "EUR", "stock": 3}


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


class LogRecords:
    """The JSON lines the functions' Powertools logger wrote, parsed."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines() if line.strip()]

    def with_message(self, message: str) -> list[dict[str, Any]]:
        return [record for record in self.all() if record.get("message") == message]


@pytest.fixture
def log_records() -> Any:
    """What the shared logger writes during the test, at INFO (the suite's environment says WARNING)."""
    import io

    from structured_logs.logger import logger

    stream, level = io.StringIO(), logger.log_level
    previous = logger.registered_handler.setStream(stream)
    logger.setLevel("INFO")
    yield LogRecords(stream)
    logger.setLevel(level)
    logger.registered_handler.setStream(previous)

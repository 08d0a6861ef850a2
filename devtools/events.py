"""API Gateway REST (v1 proxy) events, as API Gateway would send them to the function."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

# Resource paths of the REST API, most specific first (/{id} captures one segment).
RESOURCES = ("/product/{id}", "/product")


def match_resource(path: str, resources: tuple[str, ...] = RESOURCES) -> tuple[str, dict[str, str]] | None:
    """The API resource a request path maps to, and its path parameters."""
    for resource in sorted(resources, key=len, reverse=True):
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource)) + "/?$"
        match = re.match(pattern, path)
        if match:
            return resource, match.groupdict()
    return None


def rest_event(
    method: str,
    path: str,
    *,
    body: str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    stage: str = "prod",
) -> dict[str, Any]:
    """A REST proxy event for ``method path`` (path without the stage, e.g. ``/product/123``)."""
    if isinstance(body, dict):
        body = json.dumps(body)
        headers = {"Content-Type": "application/json", **(headers or {})}
    matched = match_resource(path)
    resource, path_parameters = matched if matched else ("/{proxy+}", {"proxy": path.lstrip("/")})
    request_context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/{stage}{path}",
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "product-api-tests"},
        "accountId": "123456789012",
        "apiId": "local",
    }
    if claims:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or {},
        "multiValueHeaders": {key: [value] for key, value in (headers or {}).items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {key: [value] for key, value in query.items()} if query else None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": False,
    }

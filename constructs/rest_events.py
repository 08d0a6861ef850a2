"""API Gateway REST (v1) proxy events, shaped as API Gateway sends them to a Lambda function.

Pure data, no AWS calls: used for the pre-traffic check a deployment runs against a new version, and
by the local server and tests (devtools/local/events.py) to drive handlers as API Gateway would.
"""

from __future__ import annotations

import json
import re
from typing import Any


def path_parameters_of(resource: str) -> tuple[str, ...]:
    """``/orders/{id}`` -> ``("id",)``."""
    return tuple(re.findall(r"\{(\w+)\}", resource))


def match_resource(path: str, resources: tuple[str, ...]) -> tuple[str, dict[str, str]] | None:
    """The API resource a request path maps to (most specific first), and its path parameters."""
    for resource in sorted(resources, key=lambda r: (r.count("{"), -len(r))):
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(resource)) + "/?$"
        match = re.match(pattern, path)
        if match:
            return resource, match.groupdict()
    return None


def rest_event(
    method: str,
    path: str,
    *,
    resources: tuple[str, ...],
    body: str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    stage: str = "prod",
    request_id: str = "local-request",
    user_agent: str = "local-client",
) -> dict[str, Any]:
    """A REST proxy event for ``method path`` (path without the stage, e.g. ``/orders/123``)."""
    if isinstance(body, dict):
        body = json.dumps(body)
        headers = {"Content-Type": "application/json", **(headers or {})}
    matched = match_resource(path, resources)
    resource, path_parameters = matched if matched else ("/{proxy+}", {"proxy": path.lstrip("/")})
    request_context: dict[str, Any] = {
        "resourcePath": resource,
        "httpMethod": method,
        "path": f"/{stage}{path}",
        "stage": stage,
        "requestId": request_id,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": user_agent},
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

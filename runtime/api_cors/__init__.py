"""CORS headers on every API response, success or error, for the origins the stage allows.

Written by hand rather than with Powertools' CORSConfig: that one adds no ``Vary: Origin`` and does
not reach the answers a handler gives before routing (413, 415, a 500 for an unparsable event). No
dependencies, so a function without Powertools (the export listing) uses it too.

The allowed origins come from ``CORS_ALLOW_ORIGINS`` (comma-separated), which the service sets for
API-facing functions from ``api.cors_allow_origins``; unset or empty means CORS is off.
"""

from __future__ import annotations

import os
from typing import Any

EXPOSED_HEADERS = "ETag,Location"


def allowed_origins() -> tuple[str, ...]:
    return tuple(origin for origin in os.environ.get("CORS_ALLOW_ORIGINS", "").split(",") if origin)


def request_origin(event: Any) -> str | None:
    headers = event.get("headers") if isinstance(event, dict) else None
    if not isinstance(headers, dict):
        return None
    return next((str(value) for key, value in headers.items() if str(key).lower() == "origin"), None)


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """What a response to a request from ``origin`` must carry: nothing when CORS is off."""
    if not allowed:
        return {}
    headers = {"Vary": "Origin"}  # the answer depends on Origin whenever CORS is on: caches must know
    if origin in allowed:
        headers.update({"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED_HEADERS})
    return headers


def with_cors(event: Any, result: dict[str, Any]) -> dict[str, Any]:
    """``result`` (a REST proxy response) with the CORS headers for ``event``'s origin."""
    headers = cors_headers(request_origin(event), allowed_origins())
    if not headers:
        return result
    if isinstance(result.get("multiValueHeaders"), dict):
        result["multiValueHeaders"].update({key: [value] for key, value in headers.items()})
        for key in headers:
            (result.get("headers") or {}).pop(key, None)
    else:
        result["headers"] = {**(result.get("headers") or {}), **headers}
    return result

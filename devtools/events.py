"""API Gateway REST (v1 proxy) events for the product API, as API Gateway would send them to the function.

The event shape lives in catalog_constructs.rest_events; the resources come from the product API's
route declarations (product_api.routes), so tests, the local server and the smoke test use the contract.
"""

from __future__ import annotations

import uuid
from typing import Any

from catalog_constructs.rest_events import match_resource as _match_resource, rest_event as _rest_event
from product_api.routes import RESOURCES


def match_resource(path: str, resources: tuple[str, ...] = RESOURCES) -> tuple[str, dict[str, str]] | None:
    """The API resource a request path maps to, and its path parameters."""
    return _match_resource(path, resources)


def rest_event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """A REST proxy event for ``method path`` (path without the stage), with a fresh request id."""
    kwargs.setdefault("resources", RESOURCES)
    return _rest_event(method, path, request_id=str(uuid.uuid4()), **kwargs)

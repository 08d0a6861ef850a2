"""Errors the API answers with a 4xx, and the one JSON shape every error body has."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types


class ApiError(Exception):
    """An error with its HTTP status and a stable machine-readable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class MalformedRequest(ApiError):
    status, code = 400, "malformed_request"


class NotFound(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PreconditionFailed(ApiError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(ApiError):
    status, code = 422, "validation_failed"


class PreconditionRequired(ApiError):
    status, code = 428, "precondition_required"


def error_body(
    code: str, message: str, *, request_id: str | None = None, details: list[dict[str, Any]] | None = None
) -> str:
    """``{"error": {"code", "message", "request_id"?, "details"?}}`` as JSON text."""
    error: dict[str, Any] = {"code": code, "message": message}
    if request_id:
        error["request_id"] = request_id
    if details:
        error["details"] = details
    return json.dumps({"error": error})


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    request_id: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An ``error_body`` response with the given status."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, request_id=request_id, details=details),
        headers=headers or {},
    )

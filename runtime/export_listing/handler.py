"""Serve GET /product/exports from the exports manifest (read-only mount; Powertools for its logs only)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from api_cors import with_cors
from structured_logs.logger import api_handler, logger

FIELDS = ("name", "created", "items", "bytes", "sha256")


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body), "isBase64Encoded": False}


@api_handler
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return with_cors(event, _list_exports(event))


def _list_exports(event: dict[str, Any]) -> dict[str, Any]:
    request_id = (event.get("requestContext") or {}).get("requestId")
    try:
        manifest = Path(os.environ["FILE_SYSTEM_PATH"]) / "exports" / "manifest.json"
        entries = json.loads(manifest.read_text()) if manifest.is_file() else []
        return _response(200, {"items": [{field: entry[field] for field in FIELDS} for entry in entries]})
    except Exception:  # an unreadable manifest is a server fault: JSON 500 with the request id only
        logger.exception("could not read the exports manifest")
        error = {"code": "internal_error", "message": "internal error", **({"request_id": request_id} if request_id else {})}
        return _response(500, {"error": error})

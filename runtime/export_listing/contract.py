"""The OpenAPI operation of the export listing function: GET /product/exports, as its handler answers it.

200 with the manifest's entries (each exactly ``handler.FIELDS``, as catalog_export writes them),
newest first; 500 with the service's one error body (request id only) when the manifest cannot be
read. services/product_catalog/openapi.py puts it into the service's document. Plain data: the
function has no dependencies, and the Lambda never imports this module.
"""

from __future__ import annotations

from typing import Any

from export_listing.handler import FIELDS

# The service's document defines the one error body (catalog.models.ErrorBody).
ERROR_BODY_REF = "#/components/schemas/ErrorBody"

EXPORT_ENTRY = {
    "title": "ExportEntry",
    "description": "One export file under exports/ on the shared file system",
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "File name", "pattern": r"^catalog-[0-9]{8}T[0-9]{12}Z\.jsonl\.gz$"},
        "created": {"type": "string", "description": "ISO 8601 UTC, to the second",
                    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"},
        "items": {"type": "integer", "minimum": 0, "description": "Products in the export"},
        "bytes": {"type": "integer", "minimum": 0, "description": "Size of the gzipped file"},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$", "description": "SHA-256 of the gzipped file, hex"},
    },
    "required": list(FIELDS),
}
EXPORT_LIST = {
    "title": "ExportList",
    "description": "The body of GET /product/exports",
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/ExportEntry"}, "description": "Newest first"},
    },
    "required": ["items"],
}


def openapi() -> dict[str, Any]:
    """``{"paths": ..., "schemas": ...}``: this function's operation and the schemas it refers to."""
    operation = {
        "operationId": "list_exports",
        "summary": "List the catalog exports, newest first",
        "responses": {
            "200": {
                "description": "The exports the manifest names (none before the first export)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExportList"}}},
            },
            "500": {
                "description": "Unreadable manifest (request_id only)",
                "content": {"application/json": {"schema": {"$ref": ERROR_BODY_REF}}},
            },
        },
    }
    schemas = {"ExportEntry": EXPORT_ENTRY, "ExportList": EXPORT_LIST}
    return {"paths": {"/product/exports": {"get": operation}}, "schemas": schemas}

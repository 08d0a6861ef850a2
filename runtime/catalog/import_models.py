"""What a bulk import looks like on the wire: the request, its acceptance and its progress (pydantic only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

MAX_ITEMS = 1_000
MAX_BODY_BYTES = 1024 * 1024


class ImportRequest(BaseModel):
    """The body of POST /product/imports: the envelope is checked here, each item by the worker."""

    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_ITEMS, description="Products, as POST /product takes them")


class ItemError(BaseModel):
    index: int = Field(ge=0, description="Position of the item in the request")
    code: str
    message: str


class ImportStatus(BaseModel):
    """An import as GET /product/imports/{id} returns it."""

    id: str
    status: Literal["pending", "running", "done"]
    total: int
    succeeded: int
    failed: int
    errors: list[ItemError]


class ImportAccepted(BaseModel):
    id: str
    status: Literal["pending"] = "pending"

"""What a product is, and the limits a request must respect."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

MAX_NAME = 200
MAX_DESCRIPTION = 2_000
MAX_CATEGORY = 100
MAX_PRICE = Decimal("999999999.99")
MAX_STOCK = 1_000_000_000
ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CENT = Decimal("0.01")
# "Not blank": at least one character that is not whitespace, with exactly the characters str.strip()
# removes (str_strip_whitespace runs first), so the contract and the validation agree on every input.
NOT_BLANK = "[^\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


def _no_bool(value: Any) -> Any:
    # JSON true/false must not pass as 1/0 for a price or a count.
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    return value


# The price as the contract states it: a JSON number (multiple of 0.01) or a decimal string, 0 to
# 999,999,999.99; answered as a string with two decimals.
PRICE_PATTERN = r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$"
Price = Annotated[
    Decimal,
    Field(ge=0, le=MAX_PRICE, max_digits=11, decimal_places=2, allow_inf_nan=False),
    BeforeValidator(_no_bool),
    # Exact decimal text, always two places: never a float round trip.
    PlainSerializer(lambda price: str(price.quantize(CENT)), return_type=str, when_used="json"),
    WithJsonSchema(
        {"anyOf": [
            {"type": "number", "minimum": 0, "maximum": float(MAX_PRICE), "multipleOf": 0.01},
            {"type": "string", "pattern": PRICE_PATTERN},
        ]},
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "pattern": r"^(0|[1-9][0-9]{0,8})\.[0-9]{2}$"}, mode="serialization"),
]
# Constraints before the validator, so the JSON schema states them (minimum/maximum).
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK), BeforeValidator(_no_bool)]


class ProductIn(BaseModel):
    """The body of POST /product and PUT /product/{id}."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=NOT_BLANK, description="Display name")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    price: Price = Field(description="Exact decimal, up to 2 places; a JSON number or a string")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")
    category: str | None = Field(default=None, min_length=1, max_length=MAX_CATEGORY, pattern=NOT_BLANK)
    stock: Stock | None = Field(default=None, description="Units in stock")


class Product(ProductIn):
    """A stored product, as every response returns it."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(description="Server-generated UUID")
    created_at: str = Field(description="ISO 8601 UTC")
    updated_at: str = Field(description="ISO 8601 UTC")
    version: int = Field(ge=1, description="Incremented on every update; the ETag is its quoted value")

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class ProductPage(BaseModel):
    """The body of GET /product."""

    items: list[Product]
    next_token: str | None = Field(default=None, description="Pass back as ?next_token= for the next page")


def new_id() -> str:
    return str(uuid.uuid4())


def is_valid_id(value: str) -> bool:
    return bool(ID_PATTERN.fullmatch(value))


class ErrorDetail(BaseModel):
    """One problem of a rejected request: the field (or header) when it is known, where, and what."""

    # The function names the field of each problem; API Gateway's request validator reports one
    # message for the whole body (location "body") and names no field.
    field: str | None = Field(default=None, description="The invalid field (dotted path) or header, when known")
    location: str | None = None
    message: str | None = None
    type: str | None = None


class Error(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. validation_failed")
    message: str
    request_id: str | None = Field(default=None, description="Quote it when reporting a problem")
    details: list[ErrorDetail] | None = None


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx response."""

    error: Error

"""The base of every declaration (service, table, topic, function, trigger) and the names they share."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stacks.config import _to_prop_error

# A declared name: lower-case words joined by '-', as it appears in resource names and cdk.json keys.
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]


class Declared(BaseModel):
    """Base of the declaration types: unknown fields rejected, immutable, errors as one line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            label = type(self).__name__ + (f"({data['name']})" if isinstance(data.get("name"), str) else "")
            raise _to_prop_error(error, type(self), label) from None


def pascal(name: str) -> str:
    """``order-events`` -> ``OrderEvents``: how a declared name becomes a construct id."""
    return "".join(part.capitalize() for part in name.split("-"))


def env_name(name: str, suffix: str) -> str:
    """``orders``, ``TABLE_NAME`` -> ``ORDERS_TABLE_NAME``: how a function finds what it was granted."""
    return f"{name.upper().replace('-', '_')}_{suffix}"

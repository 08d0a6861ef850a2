"""Runtime configuration from the function's environment, read once per execution environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment fault, reported as a 500."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    primary_key: str
    idempotency_table_name: str
    idempotency_ttl_seconds: int


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The environment as typed settings (cached: the environment of a Lambda sandbox never changes)."""
    # Names the service generates from the function's declared tables (stacks/service_stack.py).
    missing = [name for name in ("PRODUCT_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME") if not os.environ.get(name)]
    if missing:
        raise ConfigurationError(f"missing environment variables: {', '.join(missing)}")
    return Settings(
        table_name=os.environ["PRODUCT_TABLE_NAME"],
        primary_key=os.environ.get("PRODUCT_TABLE_KEY", "id"),
        idempotency_table_name=os.environ["IDEMPOTENCY_TABLE_NAME"],
        idempotency_ttl_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", "86400")),
    )

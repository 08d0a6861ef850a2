"""Runtime configuration from the function's environment, read once per execution environment.

The names are those the service generates from a function's declaration (stacks/service_stack.py):
``<TABLE>_TABLE_NAME``/``_TABLE_KEY``, ``<QUEUE>_QUEUE_URL``, ``<TOPIC>_TOPIC_ARN``, ``FILE_SYSTEM_PATH``.
A function is given only what it declared, so each setting is read when it is first needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


class ConfigurationError(RuntimeError):
    """A required environment variable is missing: a deployment fault, reported as a 500."""


def required(name: str) -> str:
    """The variable ``name``, or ConfigurationError naming it."""
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(f"missing environment variable: {name}")
    return value


@dataclass(frozen=True)
class Settings:
    table_name: str
    primary_key: str
    idempotency_ttl_seconds: int

    @property
    def idempotency_table_name(self) -> str:
        return required("IDEMPOTENCY_TABLE_NAME")

    @property
    def imports_table_name(self) -> str:
        return required("IMPORTS_TABLE_NAME")

    @property
    def imports_queue_url(self) -> str:
        return required("IMPORTS_QUEUE_URL")


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The environment as typed settings (cached: the environment of a Lambda sandbox never changes)."""
    return Settings(
        table_name=required("PRODUCT_TABLE_NAME"),
        primary_key=os.environ.get("PRODUCT_TABLE_KEY", "id"),
        idempotency_ttl_seconds=int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", "86400")),
    )

"""The one error type every construct raises for a prop it cannot accept."""

from __future__ import annotations

from typing import Any


class BundlingError(RuntimeError):
    """Building a function's code asset failed (the message carries the tool's output)."""


class InvalidPropError(ValueError):
    """A construct prop (or configuration field) has a value that is not allowed.

    The message is one line naming the field, the value and what is allowed, so the app can print it
    as-is instead of a traceback.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {value!r} is not allowed; expected {allowed}")

    def within(self, prefix: str) -> InvalidPropError:
        """The same error with its field qualified by where it came from (e.g. a config path)."""
        return InvalidPropError(f"{prefix}.{self.field}", self.value, self.allowed)

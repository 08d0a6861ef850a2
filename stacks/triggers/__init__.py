"""The ways a function is invoked. Each kind is one module: its declaration, how it wires itself to a
function in the service stack (``bind``) and how `make serve` emulates it (``emulate``).

Adding a kind: a module here with a ``TriggerBase`` subclass (a new ``kind`` literal), listed in
``Trigger`` below, plus its tests.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from stacks.triggers.api import ApiRoute, ApiTrigger
from stacks.triggers.base import LocalBinding, ServiceBinding, TriggerBase
from stacks.triggers.queue import QueueTrigger
from stacks.triggers.schedule import ScheduleTrigger
from stacks.triggers.stream import StreamTrigger

Trigger = Annotated[ApiTrigger | QueueTrigger | StreamTrigger | ScheduleTrigger, Field(discriminator="kind")]

__all__ = [
    "ApiRoute", "ApiTrigger", "LocalBinding", "QueueTrigger", "ScheduleTrigger", "ServiceBinding", "StreamTrigger",
    "Trigger", "TriggerBase",
]

"""Checks across declarations and stage settings: names that must refer to something that exists.

Each declaration validates itself when it is made (stacks/function_declaration.py); what can only be
checked with all of them together, and with a stage's configuration, is checked here, before any
construct is built. Errors are one line, like every configuration error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from catalog_constructs.errors import InvalidPropError
from stacks.config import StageConfig
from stacks.function_declaration import (
    AsyncInvocation,
    FunctionDeclaration,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TopicSubscription,
)

# The stateful stack's tables by the name declarations use, and whether each can have a stream.
TABLES: dict[str, bool] = {"product": True, "idempotency": False, "imports": False}


class DeclarationError(InvalidPropError):
    """A function declaration refers to something that does not exist; its field is already complete."""

    def within(self, prefix: str) -> "DeclarationError":
        return self


def _error(declaration: FunctionDeclaration, field: str, value: Any, allowed: str) -> DeclarationError:
    return DeclarationError(f"FunctionDeclaration({declaration.name}).{field}", value, allowed)


def stream_views(functions: Sequence[FunctionDeclaration]) -> dict[str, str]:
    """The stream view each streamed table must have, from the stream triggers that read it."""
    views: dict[str, str] = {}
    for declaration in functions:
        for trigger in declaration.triggers_of(StreamTrigger):
            if views.setdefault(trigger.table, trigger.view) != trigger.view:
                raise _error(
                    declaration, "triggers.view", trigger.view,
                    f"the view the other stream triggers of {trigger.table} use ({views[trigger.table]})",
                )
    return views


def check_declarations(functions: Sequence[FunctionDeclaration], tables: Mapping[str, bool] = TABLES) -> None:
    """Unique names; known tables; every queue sent to is consumed by exactly one function."""
    names = [d.name for d in functions]
    for declaration in functions:
        if names.count(declaration.name) > 1:
            raise _error(declaration, "name", declaration.name, "a name no other function has")
    consumers: dict[str, str] = {}
    for declaration in functions:
        for name in declaration.tables:
            if name not in tables:
                raise _error(declaration, f"tables.{name}", name, "one of " + ", ".join(tables))
        for trigger in declaration.triggers_of(StreamTrigger):
            if not tables.get(trigger.table):
                streamable = ", ".join(t for t, streams in tables.items() if streams)
                raise _error(declaration, "triggers.table", trigger.table, f"a table with a stream: {streamable}")
        for trigger in declaration.triggers_of(QueueTrigger):
            if trigger.queue in consumers:
                raise _error(declaration, "triggers.queue", trigger.queue, f"a queue no other function consumes ({consumers[trigger.queue]} does)")
            consumers[trigger.queue] = declaration.name
    for declaration in functions:
        on_success = (declaration.async_invocation or AsyncInvocation()).on_success_queue
        referenced = [(f"queues.{q}", q) for q in declaration.queues]
        referenced += [("async_invocation.on_success_queue", on_success)] if on_success else []
        for field, queue in referenced:
            if queue not in consumers:
                known = ", ".join(sorted(consumers)) or "none declared yet"
                raise _error(declaration, field, queue, f"a queue some function consumes with a QueueTrigger ({known})")
    stream_views(functions)


def check_subscriptions(functions: Sequence[FunctionDeclaration], subscriptions: Sequence[TopicSubscription]) -> None:
    """Each subscription is to a topic some function publishes to, into a queue no function consumes."""
    topics = {topic for d in functions for topic in d.topics}
    consumed = {t.queue for d in functions for t in d.triggers_of(QueueTrigger)}
    names = [s.queue for s in subscriptions]
    for subscription in subscriptions:
        field = f"TopicSubscription({subscription.queue})"
        if subscription.topic not in topics:
            raise DeclarationError(f"{field}.topic", subscription.topic, "a topic a function publishes to: " + (", ".join(sorted(topics)) or "none"))
        if subscription.queue in consumed or names.count(subscription.queue) > 1:
            raise DeclarationError(f"{field}.queue", subscription.queue, "a queue name used by nothing else")


def check_stage_settings(functions: Sequence[FunctionDeclaration], config: StageConfig) -> None:
    """Per-function stage settings that only make sense for some declarations (e.g. ``schedule``)."""
    declared = {d.name: d for d in functions}
    for name, settings in config.functions.items():
        if settings.schedule is not None and not declared[name].triggers_of(ScheduleTrigger):
            raise InvalidPropError(
                f"stages.{config.name}.functions.{name}.schedule", settings.schedule,
                f"unset: {name} is declared without a ScheduleTrigger",
            )
    table_stream = config.table.stream
    wanted = stream_views(functions).get("product")
    if wanted and table_stream and table_stream != wanted:
        raise InvalidPropError(
            f"stages.{config.name}.table.stream", table_stream,
            f"{wanted} (a stream trigger reads the product table with that view) or unset",
        )

"""Checks across a definition's declarations, and of a stage's settings against the definition.

Each declaration validates itself when it is made; what can only be checked with all of them together
(a name one uses for another) is checked here. Errors are one line, like every configuration error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog_constructs.errors import InvalidPropError

from stacks.config import StageConfig
from stacks.function_declaration import AsyncInvocation, FunctionDeclaration

if TYPE_CHECKING:
    from stacks.service_definition import ServiceDefinition


class DeclarationError(InvalidPropError):
    """A declaration refers to something that does not exist; its field is already complete."""

    def within(self, prefix: str) -> DeclarationError:
        return self


def _error(declaration: FunctionDeclaration, field: str, value: Any, allowed: str) -> DeclarationError:
    return DeclarationError(f"FunctionDeclaration({declaration.name}).{field}", value, allowed)


def _unique(kind: str, names: list[str]) -> None:
    for name in names:
        if names.count(name) > 1:
            raise DeclarationError(f"{kind}({name}).name", name, "a name no other declaration of its kind has")


def check_definition(definition: ServiceDefinition) -> None:
    """Unique names; known tables, streams, topics; every queue sent to is consumed by exactly one function."""
    functions = definition.functions
    _unique("FunctionDeclaration", [d.name for d in functions])
    _unique("TableDeclaration", [t.name for t in definition.tables])
    _unique("TopicDeclaration", [t.name for t in definition.topics])
    tables = [t.name for t in definition.tables]
    topics = [t.name for t in definition.topics]
    consumers: dict[str, str] = {}
    views: dict[str, str] = {t.name: t.stream for t in definition.tables if t.stream}
    for declaration in functions:
        for name in declaration.tables:
            if name not in tables:
                raise _error(declaration, f"tables.{name}", name, "a declared table: " + (", ".join(tables) or "none"))
        for name in declaration.topics:
            if name not in topics:
                raise _error(declaration, f"topics.{name}", name, "a declared topic: " + (", ".join(topics) or "none"))
        for table, view in declaration.streamed_tables:
            if table not in tables:
                raise _error(declaration, "triggers.table", table, "a declared table: " + (", ".join(tables) or "none"))
            if views.setdefault(table, view) != view:
                raise _error(declaration, "triggers.view", view, f"the view {table}'s stream has ({views[table]})")
        for queue in declaration.consumed_queues:
            if queue in consumers:
                raise _error(declaration, "triggers.queue", queue, f"a queue no other function consumes ({consumers[queue]} does)")
            consumers[queue] = declaration.name
    for declaration in functions:
        on_success = (declaration.async_invocation or AsyncInvocation()).on_success_queue
        referenced = [(f"queues.{q}", q) for q in declaration.queues]
        referenced += [("async_invocation.on_success_queue", on_success)] if on_success else []
        for field, queue in referenced:
            if queue not in consumers:
                known = ", ".join(sorted(consumers)) or "none declared yet"
                raise _error(declaration, field, queue, f"a queue some function consumes with a QueueTrigger ({known})")
    if definition.api_functions and definition.api is None:
        first = definition.api_functions[0].name
        raise DeclarationError("ServiceDefinition.api", None, f"an ApiDeclaration: {first} declares API routes")
    routes = [(r.method, r.path) for d in definition.api_functions for r in d.api_routes]
    for route in routes:
        if routes.count(route) > 1:
            raise DeclarationError("ServiceDefinition.functions", " ".join(route), "each method and path served by one function")
    _check_subscriptions(definition, set(consumers))


def _check_subscriptions(definition: ServiceDefinition, consumed: set[str]) -> None:
    """Each subscription is to a declared topic, into a queue no function consumes."""
    topics = [t.name for t in definition.topics]
    names = [s.queue for s in definition.subscriptions]
    for subscription in definition.subscriptions:
        field = f"TopicSubscription({subscription.queue})"
        if subscription.topic not in topics:
            raise DeclarationError(f"{field}.topic", subscription.topic, "a declared topic: " + (", ".join(topics) or "none"))
        if subscription.queue in consumed or names.count(subscription.queue) > 1:
            raise DeclarationError(f"{field}.queue", subscription.queue, "a queue name used by nothing else")


def check_stage_settings(definition: ServiceDefinition, config: StageConfig) -> None:
    """Per-function stage settings that only make sense for some declarations (e.g. ``schedule``)."""
    declared = {d.name: d for d in definition.functions}
    for name, settings in config.functions.items():
        if settings.schedule is not None and not declared[name].has_schedule:
            raise InvalidPropError(
                f"stages.{config.name}.functions.{name}.schedule", settings.schedule,
                f"unset: {name} is declared without a ScheduleTrigger",
            )

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
    _check_placement(definition, consumers)


def _where(group: str | None) -> str:
    return f"group {group}" if group else "the service stack"


def _check_placement(definition: ServiceDefinition, consumers: dict[str, str]) -> None:
    """A group's stack deploys before the service stack and beside other groups: its functions may use
    what lives in their own group (or in the stateful stack), never what a later or sibling stack holds.
    The ungrouped functions, in the service stack, may use everything."""
    groups = {d.name: d.group for d in definition.functions}
    topic_groups = {t.name: t.group for t in definition.topics}
    for declaration in definition.functions:
        if declaration.group is None:
            continue
        on_success = (declaration.async_invocation or AsyncInvocation()).on_success_queue
        queues = [(f"queues.{q}", q) for q in declaration.queues]
        queues += [("async_invocation.on_success_queue", on_success)] if on_success else []
        for field, queue in queues:
            consumer_group = groups[consumers[queue]]
            if consumer_group != declaration.group:
                raise _error(
                    declaration, field, queue,
                    f"a queue consumed in group {declaration.group} ({queue} is consumed in {_where(consumer_group)}): "
                    "send from an ungrouped function, or move the consumer into this group",
                )
        for topic in declaration.topics:
            if topic_groups[topic] != declaration.group:
                raise _error(
                    declaration, f"topics.{topic}", topic,
                    f"a topic of group {declaration.group} ({topic} lives in {_where(topic_groups[topic])}): "
                    "publish from an ungrouped function, or give the topic this group",
                )
    _check_route_paths(definition)


def _check_route_paths(definition: ServiceDefinition) -> None:
    """A path's API resources belong to one stack: the service stack's routes own every path they use, and
    each other path belongs to the one group whose routes use it."""
    root_owned = {p for d in definition.api_functions if d.group is None for r in d.api_routes for p in path_prefixes(r.path)}
    owners: dict[str, str] = {}
    for declaration in definition.api_functions:
        if declaration.group is None:
            continue
        for route in declaration.api_routes:
            for prefix in path_prefixes(route.path):
                if prefix in root_owned:
                    continue
                owner = owners.setdefault(prefix, declaration.group)
                if owner != declaration.group:
                    raise _error(
                        declaration, "triggers.routes", route.path,
                        f"a path no other group's routes use ({prefix} is group {owner}'s): serve them from one group "
                        "or from an ungrouped function",
                    )


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


def path_prefixes(path: str) -> list[str]:
    """``/orders/{id}`` -> ``["/orders", "/orders/{id}"]``: the API resources a route's path needs."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def api_resource_paths(definition: ServiceDefinition) -> set[str]:
    """Every resource (path) the REST API has: the root and each prefix of each route's path."""
    return {"/"} | {p for d in definition.api_functions for r in d.api_routes for p in path_prefixes(r.path)}


def check_stage_settings(definition: ServiceDefinition, config: StageConfig) -> None:
    """Per-function stage settings that only make sense for some declarations (e.g. ``schedule``), and the
    REST API's paths against the account's quota."""
    paths = len(api_resource_paths(definition))
    if paths > config.api.resource_quota:
        raise InvalidPropError(
            f"stages.{config.name}.api.resource_quota", config.api.resource_quota,
            f"at least {paths}: the routes need {paths} API resources (paths); ask AWS to raise the quota and set "
            "it here, or serve fewer distinct paths",
        )
    declared = {d.name: d for d in definition.functions}
    for name, settings in config.functions.items():
        if settings.schedule is not None and not declared[name].has_schedule:
            raise InvalidPropError(
                f"stages.{config.name}.functions.{name}.schedule", settings.schedule,
                f"unset: {name} is declared without a ScheduleTrigger",
            )

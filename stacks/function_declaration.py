"""FunctionDeclaration: one function of the service, declared once; the service stack generates the rest.

A declaration says what the function runs (a runtime package and handler), what invokes it (triggers),
and what it may touch (tables, queues, topics, the file system). From it the service generates the
function with its own role, log group, security group, version, ``live`` alias, CodeDeploy deployment
group and new-version rollback alarms; every trigger invokes the alias. See README "Adding a function".

Declarations are validated when they are made: a bad value or combination is one line naming the
field, the value and what is allowed (``InvalidPropError``), like every configuration error.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from catalog_constructs.errors import InvalidPropError
from catalog_constructs.lambda_limits import MOUNT_PATH
from catalog_constructs.rest_events import rest_event
from pydantic import Field, model_validator

from stacks.config import FunctionSettings
from stacks.declared import Declared, Name, env_name, pascal
from stacks.triggers import ApiRoute, ApiTrigger, QueueTrigger, ScheduleTrigger, StreamTrigger, Trigger

# The trigger kinds are declared in stacks/triggers/; they are part of this module's vocabulary.
__all__ = [
    "ApiRoute", "ApiTrigger", "AsyncInvocation", "FileSystemMount", "FunctionDeclaration", "QueueTrigger",
    "ScheduleTrigger", "StreamTrigger", "TopicSubscription", "TrafficCheck", "env_name", "pascal",
]

TableAccess = Literal["read", "read_write"]
# Trigger kinds a function may have at most one of: one API surface, one clock.
_SINGLE_KINDS = ("api", "schedule")


class AsyncInvocation(Declared):
    """How Lambda handles the function's asynchronous invocations; failures go to its async-failures queue."""

    retry_attempts: Annotated[int, Field(ge=0, le=2)] = 2
    max_event_age_seconds: Annotated[int, Field(ge=60, le=21_600)] = 21_600
    # A queue (declared elsewhere as some function's QueueTrigger) that receives successful results.
    on_success_queue: Name | None = None


class FileSystemMount(Declared):
    """Mount the service's shared file system through its access point."""

    access: Literal["read", "read_write"]
    mount_path: Annotated[str, Field(pattern=MOUNT_PATH.pattern)] = "/mnt/files"


class TrafficCheck(Declared):
    """An invocation of the new version a deployment makes before shifting traffic, and what it must answer."""

    event: dict[str, Any]
    expect: Annotated[dict[str, Any], Field(min_length=1)]

    @classmethod
    def api_request(
        cls, method: str, path: str, *, resources: tuple[str, ...], query: dict[str, str] | None = None,
        expect_status: int = 200,
    ) -> TrafficCheck:
        """A REST proxy request (as API Gateway sends it) that must answer ``expect_status``."""
        event = rest_event(
            method, path, resources=resources, query=query, request_id="traffic-check", user_agent="codedeploy-traffic-check"
        )
        return cls(event=event, expect={"statusCode": expect_status})


class FunctionDeclaration(Declared):
    """One function: code, triggers, access, and settings that differ from the stage's function defaults."""

    name: Name
    description: str
    package: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]  # a package under runtime/
    handler: str  # module.function inside ``package``
    requirements: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+\.txt$")] | None = None  # under runtime/requirements/
    extra_packages: tuple[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")], ...] = ()
    triggers: tuple[Trigger, ...] = ()
    async_invocation: AsyncInvocation | None = None
    tables: dict[Name, TableAccess] = {}
    queues: dict[Name, Literal["send"]] = {}
    topics: dict[Name, Literal["publish"]] = {}
    file_system: FileSystemMount | None = None
    in_vpc: bool = True
    # The stack it lives in: a group's functions share one (``<Group>Functions``); none = the service stack.
    # Placement follows from this field alone; changing it moves the function (a reviewed change).
    group: Name | None = None
    environment: dict[str, str] = {}
    settings: FunctionSettings = FunctionSettings()
    pre_traffic_check: TrafficCheck | None = None
    post_traffic_check: TrafficCheck | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FunctionDeclaration:
        if not self.handler.startswith(f"{self.package}.") or not re.fullmatch(r"[\w.]+\.\w+", self.handler):
            raise InvalidPropError("handler", self.handler, f"module.function inside the package, e.g. {self.package}.handler.lambda_handler")
        kinds = [trigger.kind for trigger in self.triggers]
        for kind in _SINGLE_KINDS:
            if kinds.count(kind) > 1:
                raise InvalidPropError("triggers", f"{kinds.count(kind)} {kind} triggers", f"at most one {kind} trigger")
        if self.file_system is not None and not self.in_vpc:
            raise InvalidPropError("file_system", self.file_system.access, "a mount only for a function with in_vpc=True")
        if self.settings.schedule is not None:
            raise InvalidPropError("settings.schedule", self.settings.schedule, "unset in a declaration (declare a ScheduleTrigger)")
        consumed = set(self.consumed_queues)
        if consumed & set(self.queues):
            queue = min(consumed & set(self.queues))
            raise InvalidPropError(f"queues.{queue}", "send", "a queue other than the one this function consumes")
        if self.async_invocation is not None and self.async_invocation.on_success_queue in consumed:
            raise InvalidPropError(
                "async_invocation.on_success_queue", self.async_invocation.on_success_queue,
                "a queue other than the one this function consumes (it would invoke itself)",
            )
        return self

    @property
    def construct_id(self) -> str:
        """``orders-api`` -> ``OrdersApiFunction``: stable, it names every logical id of the function."""
        return pascal(self.name) + "Function"

    @property
    def api_routes(self) -> tuple[ApiRoute, ...]:
        return tuple(route for trigger in self.triggers for route in trigger.api_routes())

    @property
    def consumed_queues(self) -> tuple[str, ...]:
        return tuple(queue for trigger in self.triggers if (queue := trigger.consumed_queue()))

    @property
    def streamed_tables(self) -> tuple[tuple[str, str], ...]:
        """``(table, view)`` for each stream the function reads."""
        return tuple(streamed for trigger in self.triggers if (streamed := trigger.streamed_table()))

    @property
    def invoked_asynchronously(self) -> bool:
        return self.async_invocation is not None or any(t.invokes_asynchronously for t in self.triggers)

    @property
    def has_schedule(self) -> bool:
        return any(t.accepts_stage_schedule for t in self.triggers)

    def default_event(self) -> dict[str, Any]:
        """What `make invoke-local` sends when no event is given: its trigger's, or ``{}``."""
        return next((event for t in self.triggers if (event := t.default_event()) is not None), {})


class TopicSubscription(Declared):
    """A queue subscribed to one of the service's topics, as another team would consume it."""

    topic: Name
    queue: Name
    filter_policy: Annotated[dict[str, tuple[str, ...]], Field(min_length=1, max_length=5)]
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5

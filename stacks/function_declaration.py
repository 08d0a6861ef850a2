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
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from catalog_constructs.errors import InvalidPropError
from catalog_constructs.lambda_limits import MOUNT_PATH
from catalog_constructs.rest_events import rest_event
from stacks.config import FunctionSettings, _to_prop_error

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]
TableAccess = Literal["read", "read_write"]


class Declared(BaseModel):
    """Base of the declaration types: unknown fields rejected, immutable, errors as one line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            label = type(self).__name__ + (f"({data['name']})" if isinstance(data.get("name"), str) else "")
            raise _to_prop_error(error, type(self), label) from None


class ApiRoute(Declared):
    """A method on a REST API resource path."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: Annotated[str, Field(pattern=r"^(/([A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$")]
    # The JSON schema of the body; API Gateway validates bodies with it before invoking the function.
    body_schema: dict[str, Any] | None = None


class ApiTrigger(Declared):
    """REST API routes served by the function (through its alias)."""

    kind: Literal["api"] = "api"
    routes: Annotated[tuple[ApiRoute, ...], Field(min_length=1)]

    @classmethod
    def from_routes(cls, routes: Iterable[Any]) -> "ApiTrigger":
        """From a runtime package's route declarations (anything with ``method`` and ``path``)."""
        return cls(routes=tuple(
            ApiRoute(method=r.method, path=r.path, body_schema=getattr(r, "body_schema", None)) for r in routes
        ))


class QueueTrigger(Declared):
    """An SQS event source mapping; the service creates the queue (and its dead-letter queue) for its consumer."""

    kind: Literal["queue"] = "queue"
    queue: Name
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 10
    max_batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 0
    max_concurrency: Annotated[int, Field(ge=2, le=1000)] | None = None
    report_batch_item_failures: bool = True
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5

    @model_validator(mode="after")
    def _window_for_large_batches(self) -> "QueueTrigger":
        if self.batch_size > 10 and self.max_batching_window_seconds < 1:
            raise InvalidPropError(
                "max_batching_window_seconds", self.max_batching_window_seconds,
                f"at least 1 when batch_size is above 10 (it is {self.batch_size}); SQS requires a batching window",
            )
        return self


class StreamTrigger(Declared):
    """A DynamoDB stream event source mapping; what it gives up on goes to the function's stream-failures queue."""

    kind: Literal["stream"] = "stream"
    table: Name
    view: Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"] = "NEW_AND_OLD_IMAGES"
    starting_position: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON"
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    max_batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 0
    bisect_batch_on_error: bool = True
    # Bounded on purpose: -1 (retry until the record expires) would block the shard for a day.
    retry_attempts: Annotated[int, Field(ge=0, le=10_000)] = 3
    max_record_age_seconds: Annotated[int, Field(ge=60, le=604_800)] = 3600
    parallelization_factor: Annotated[int, Field(ge=1, le=10)] = 1
    report_batch_item_failures: bool = True
    # Event filter patterns (Lambda's filter criteria), at most 5.
    filters: Annotated[tuple[dict[str, Any], ...], Field(max_length=5)] = ()


class ScheduleTrigger(Declared):
    """A schedule that invokes the function asynchronously; undeliverable invocations go to its schedule-failures queue."""

    kind: Literal["schedule"] = "schedule"
    expression: Annotated[str, Field(pattern=r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$")] = "rate(1 day)"
    # EventBridge Scheduler (time zones, its own retry policy) or an EventBridge rule.
    service: Literal["scheduler", "rule"] = "scheduler"
    time_zone: str = "UTC"
    payload: dict[str, Any] = {}
    retry_attempts: Annotated[int, Field(ge=0, le=185)] = 2
    max_event_age_seconds: Annotated[int, Field(ge=60, le=86_400)] = 3600

    @model_validator(mode="after")
    def _time_zone_needs_scheduler(self) -> "ScheduleTrigger":
        if self.service == "rule" and self.time_zone != "UTC":
            raise InvalidPropError("time_zone", self.time_zone, "UTC for an EventBridge rule (use service='scheduler' for time zones)")
        return self


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
    ) -> "TrafficCheck":
        """A REST proxy request (as API Gateway sends it) that must answer ``expect_status``."""
        event = rest_event(method, path, resources=resources, query=query, request_id="traffic-check")
        return cls(event=event, expect={"statusCode": expect_status})


Trigger = Annotated[ApiTrigger | QueueTrigger | StreamTrigger | ScheduleTrigger, Field(discriminator="kind")]


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
    environment: dict[str, str] = {}
    settings: FunctionSettings = FunctionSettings()
    pre_traffic_check: TrafficCheck | None = None
    post_traffic_check: TrafficCheck | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "FunctionDeclaration":
        if not self.handler.startswith(f"{self.package}.") or not re.fullmatch(r"[\w.]+\.\w+", self.handler):
            raise InvalidPropError("handler", self.handler, f"module.function inside the package, e.g. {self.package}.handler.lambda_handler")
        kinds = [trigger.kind for trigger in self.triggers]
        for kind in ("api", "schedule"):
            if kinds.count(kind) > 1:
                raise InvalidPropError("triggers", f"{kinds.count(kind)} {kind} triggers", f"at most one {kind} trigger")
        if self.file_system is not None and not self.in_vpc:
            raise InvalidPropError("file_system", self.file_system.access, "a mount only for a function with in_vpc=True")
        if self.settings.schedule is not None:
            raise InvalidPropError("settings.schedule", self.settings.schedule, "unset in a declaration (declare a ScheduleTrigger)")
        consumed = {t.queue for t in self.triggers if isinstance(t, QueueTrigger)}
        if consumed & set(self.queues):
            queue = sorted(consumed & set(self.queues))[0]
            raise InvalidPropError(f"queues.{queue}", "send", "a queue other than the one this function consumes")
        if self.async_invocation is not None and self.async_invocation.on_success_queue in consumed:
            raise InvalidPropError(
                "async_invocation.on_success_queue", self.async_invocation.on_success_queue,
                "a queue other than the one this function consumes (it would invoke itself)",
            )
        return self

    @property
    def construct_id(self) -> str:
        """``product`` -> ``ProductFunction``: stable, it names every logical id of the function."""
        return pascal(self.name) + "Function"

    @property
    def api_routes(self) -> tuple[ApiRoute, ...]:
        return tuple(route for t in self.triggers if isinstance(t, ApiTrigger) for route in t.routes)

    def triggers_of(self, kind: type[Declared]) -> tuple[Any, ...]:
        return tuple(t for t in self.triggers if isinstance(t, kind))

    @property
    def invoked_asynchronously(self) -> bool:
        return self.async_invocation is not None or any(isinstance(t, ScheduleTrigger) for t in self.triggers)


class TopicSubscription(Declared):
    """A queue subscribed to one of the service's topics, as another team would consume it."""

    topic: Name
    queue: Name
    filter_policy: Annotated[dict[str, tuple[str, ...]], Field(min_length=1, max_length=5)]
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5


def pascal(name: str) -> str:
    """``product-events`` -> ``ProductEvents``."""
    return "".join(part.capitalize() for part in name.split("-"))


def env_name(name: str, suffix: str) -> str:
    """``product``, ``TABLE_NAME`` -> ``PRODUCT_TABLE_NAME``: how a function finds what it was granted."""
    return f"{name.upper().replace('-', '_')}_{suffix}"

"""What every trigger kind implements, and what it may ask of the service stack and of the local system.

A trigger never reaches into the stack: it asks for what it needs through ``ServiceBinding`` (as an
aws-cdk ``IEventSource`` asks its target to ``add_event_source_mapping``), and the local server offers
the same through ``LocalBinding``. Neither side dispatches on a trigger's type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from stacks.declared import Declared

if TYPE_CHECKING:
    from catalog_constructs.failure_queue import FailureQueue
    from catalog_constructs.retained_table import RetainedTable
    from catalog_constructs.service_function import ServiceFunction
    from catalog_constructs.work_queue import WorkQueue

    from stacks.function_declaration import FunctionDeclaration
    from stacks.triggers.api import ApiRoute

Handler = Callable[[dict[str, Any], Any], Any]


class ServiceBinding(Protocol):
    """What the service stack offers a trigger while it generates a function."""

    def add_work_queue(self, name: str, *, consumer_timeout_seconds: int, batching_window_seconds: int,
                       max_receive_count: int) -> WorkQueue: ...

    def work_queue(self, name: str) -> WorkQueue: ...

    def table(self, name: str) -> RetainedTable: ...

    def failure_queue(self, fn: ServiceFunction, suffix: str, *, purpose: str, role: str) -> FailureQueue: ...

    def admit_event_rules(self) -> None: ...

    def add_api_routes(self, fn: ServiceFunction, routes: tuple[ApiRoute, ...]) -> None: ...

    def stage_schedule(self, function: FunctionDeclaration) -> str | None: ...

    def schedule_group(self) -> Any:
        """The stack's EventBridge Scheduler group (``aws_scheduler.ScheduleGroup``), watched by its alarms."""
        ...

    def watch_schedule_rule(self, function: FunctionDeclaration, rule_name: str) -> None: ...


class LocalBinding(Protocol):
    """What `make serve` offers a trigger: the emulator's resources under local names, and its pollers."""

    def create_queue(self, name: str, *, max_receive_count: int | None = None) -> str: ...

    def poll_queue(self, name: str, handler: Handler, *, batch_size: int) -> None: ...

    def poll_stream(self, table: str, handler: Handler, *, on_failure_queue: str, batch_size: int,
                    retry_attempts: int) -> None: ...


class TriggerBase(Declared):
    """One way the function is invoked. Subclasses set ``kind`` and override what applies to them."""

    kind: str

    # -- what the trigger refers to, for the definition's checks (names that must exist) --------------
    def consumed_queue(self) -> str | None:
        """The work queue this trigger consumes (each queue has exactly one consumer)."""
        return None

    def streamed_table(self) -> tuple[str, str] | None:
        """``(table, view)`` when this trigger reads a table's stream."""
        return None

    def api_routes(self) -> tuple[ApiRoute, ...]:
        return ()

    @property
    def invokes_asynchronously(self) -> bool:
        """Whether invocations are asynchronous (then they need retries and an on-failure destination)."""
        return False

    @property
    def accepts_stage_schedule(self) -> bool:
        """Whether the stage setting ``functions.<name>.schedule`` applies to this trigger."""
        return False

    def default_event(self) -> dict[str, Any] | None:
        """The event `make invoke-local` sends when none is given (None: this trigger has none)."""
        return None

    # -- the service stack ------------------------------------------------------------------------
    def provision(self, service: ServiceBinding, function: FunctionDeclaration, timeout_seconds: int) -> None:
        """Create what must exist before any function is generated (e.g. the queue others send to)."""

    def bind(self, service: ServiceBinding, function: FunctionDeclaration, fn: ServiceFunction) -> None:
        """Wire the trigger to ``fn``'s ``live`` alias."""
        raise NotImplementedError

    # -- make serve ---------------------------------------------------------------------------------
    def provision_local(self, local: LocalBinding, function: FunctionDeclaration) -> None:
        """Create the trigger's resources on the emulator."""

    def emulate(self, local: LocalBinding, function: FunctionDeclaration, handler: Handler) -> None:
        """Start invoking ``handler`` locally as AWS would."""

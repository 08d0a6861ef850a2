"""Queue trigger: an SQS event source mapping on a work queue the service creates for its one consumer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from catalog_constructs.errors import InvalidPropError
from pydantic import Field, model_validator

from stacks.declared import Name
from stacks.triggers.base import Handler, LocalBinding, ServiceBinding, TriggerBase

if TYPE_CHECKING:
    from catalog_constructs.service_function import ServiceFunction

    from stacks.function_declaration import FunctionDeclaration


class QueueTrigger(TriggerBase):
    """An SQS event source mapping; the service creates the queue (and its dead-letter queue) for its consumer."""

    kind: Literal["queue"] = "queue"
    queue: Name
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 10
    max_batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 0
    max_concurrency: Annotated[int, Field(ge=2, le=1000)] | None = None
    report_batch_item_failures: bool = True
    max_receive_count: Annotated[int, Field(ge=1, le=1000)] = 5

    @model_validator(mode="after")
    def _window_for_large_batches(self) -> QueueTrigger:
        if self.batch_size > 10 and self.max_batching_window_seconds < 1:
            raise InvalidPropError(
                "max_batching_window_seconds", self.max_batching_window_seconds,
                f"at least 1 when batch_size is above 10 (it is {self.batch_size}); SQS requires a batching window",
            )
        return self

    def consumed_queue(self) -> str:
        return self.queue

    def provision(self, service: ServiceBinding, function: FunctionDeclaration, timeout_seconds: int) -> None:
        # Before any function: senders anywhere in the service are granted on it.
        service.add_work_queue(
            self.queue, consumer_timeout_seconds=timeout_seconds,
            batching_window_seconds=self.max_batching_window_seconds, max_receive_count=self.max_receive_count,
        )

    def bind(self, service: ServiceBinding, function: FunctionDeclaration, fn: ServiceFunction) -> None:
        from aws_cdk import Duration
        from aws_cdk import aws_lambda_event_sources as event_sources
        from catalog_constructs.nag import acknowledge

        window = self.max_batching_window_seconds
        fn.alias.add_event_source(
            event_sources.SqsEventSource(
                service.work_queue(self.queue).queue,
                batch_size=self.batch_size,
                max_batching_window=Duration.seconds(window) if window else None,
                max_concurrency=self.max_concurrency,
                report_batch_item_failures=self.report_batch_item_failures,
            )
        )
        acknowledge(
            fn.alias,
            "Serverless-LambdaEventSourceMappingDestination",
            "SQS mappings take no on-failure destination: the queue's redrive policy moves a message "
            f"received {self.max_receive_count} times to its dead-letter queue, which is alarmed.",
        )

    def provision_local(self, local: LocalBinding, function: FunctionDeclaration) -> None:
        local.create_queue(self.queue, max_receive_count=self.max_receive_count)

    def emulate(self, local: LocalBinding, function: FunctionDeclaration, handler: Handler) -> None:
        local.poll_queue(self.queue, handler, batch_size=self.batch_size)

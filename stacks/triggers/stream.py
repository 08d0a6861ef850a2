"""Stream trigger: a DynamoDB stream event source mapping on any table of the service."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from stacks.declared import Name
from stacks.triggers.base import Handler, LocalBinding, ServiceBinding, TriggerBase

if TYPE_CHECKING:
    from catalog_constructs.service_function import ServiceFunction

    from stacks.function_declaration import FunctionDeclaration

StreamView = Literal["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"]


class StreamTrigger(TriggerBase):
    """A DynamoDB stream event source mapping; what it gives up on goes to the function's stream-failures queue."""

    kind: Literal["stream"] = "stream"
    table: Name
    view: StreamView = "NEW_AND_OLD_IMAGES"
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

    def streamed_table(self) -> tuple[str, str]:
        return self.table, self.view

    def bind(self, service: ServiceBinding, function: FunctionDeclaration, fn: ServiceFunction) -> None:
        from aws_cdk import Duration
        from aws_cdk import aws_lambda as lambda_
        from aws_cdk import aws_lambda_event_sources as event_sources

        failures = service.failure_queue(
            fn, "StreamFailures",
            purpose=f"{self.table} stream batches the function gave up on (retried {self.retry_attempts} times)",
            role="the on-failure destination of a DynamoDB stream mapping",
        )
        window = self.max_batching_window_seconds
        fn.alias.add_event_source(
            event_sources.DynamoEventSource(
                service.table(self.table).table,
                starting_position=lambda_.StartingPosition[self.starting_position],
                batch_size=self.batch_size,
                max_batching_window=Duration.seconds(window) if window else None,
                bisect_batch_on_error=self.bisect_batch_on_error,
                retry_attempts=self.retry_attempts,
                max_record_age=Duration.seconds(self.max_record_age_seconds),
                parallelization_factor=self.parallelization_factor,
                report_batch_item_failures=self.report_batch_item_failures,
                on_failure=event_sources.SqsDlq(failures.queue),
                filters=[{"pattern": json.dumps(pattern, sort_keys=True)} for pattern in self.filters] or None,
            )
        )

    def provision_local(self, local: LocalBinding, function: FunctionDeclaration) -> None:
        local.create_queue(self._failures(function))

    def emulate(self, local: LocalBinding, function: FunctionDeclaration, handler: Handler) -> None:
        local.poll_stream(
            self.table, handler, on_failure_queue=self._failures(function), batch_size=self.batch_size,
            retry_attempts=self.retry_attempts,
        )

    @staticmethod
    def _failures(function: FunctionDeclaration) -> str:
        return f"{function.name}-stream-failures"

"""Schedule trigger: EventBridge Scheduler (or a rule) invoking the function asynchronously."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from catalog_constructs.errors import InvalidPropError
from pydantic import Field, model_validator

from stacks.triggers.base import ServiceBinding, TriggerBase

if TYPE_CHECKING:
    from catalog_constructs.service_function import ServiceFunction

    from stacks.function_declaration import FunctionDeclaration

SCHEDULE_EXPRESSION = r"rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\)"


class ScheduleTrigger(TriggerBase):
    """A schedule that invokes the function asynchronously; undeliverable invocations go to its schedule-failures queue."""

    kind: Literal["schedule"] = "schedule"
    expression: Annotated[str, Field(pattern=f"^({SCHEDULE_EXPRESSION})$")] = "rate(1 day)"
    # EventBridge Scheduler (time zones, its own retry policy) or an EventBridge rule.
    service: Literal["scheduler", "rule"] = "scheduler"
    time_zone: str = "UTC"
    payload: dict[str, Any] = {}
    retry_attempts: Annotated[int, Field(ge=0, le=185)] = 2
    max_event_age_seconds: Annotated[int, Field(ge=60, le=86_400)] = 3600

    @model_validator(mode="after")
    def _time_zone_needs_scheduler(self) -> ScheduleTrigger:
        if self.service == "rule" and self.time_zone != "UTC":
            raise InvalidPropError("time_zone", self.time_zone, "UTC for an EventBridge rule (use service='scheduler' for time zones)")
        return self

    @property
    def invokes_asynchronously(self) -> bool:
        return True

    @property
    def accepts_stage_schedule(self) -> bool:
        return True

    def default_event(self) -> dict[str, Any]:
        return dict(self.payload)

    def bind(self, service: ServiceBinding, function: FunctionDeclaration, fn: ServiceFunction) -> None:
        from aws_cdk import Duration

        expression = service.stage_schedule(function) or self.expression
        enabled = expression != "off"
        if not enabled:
            expression = self.expression
        failures = service.failure_queue(
            fn, "ScheduleFailures", purpose="scheduled invocations that could not be delivered",
            role="the dead-letter queue of a schedule's target",
        )
        path = fn.node.path
        if self.service == "scheduler":
            from aws_cdk import TimeZone
            from aws_cdk import aws_scheduler as scheduler
            from catalog_constructs.scheduled_invoke import LambdaInvoke

            group = service.schedule_group()
            schedule = scheduler.Schedule(
                fn.node.scope,
                f"{fn.node.id}Schedule",
                schedule_group=group,
                description=f"Invokes {path} ({expression})",
                schedule=scheduler.ScheduleExpression.expression(expression, TimeZone.of(self.time_zone)),
                enabled=enabled,
                # Delivers dead letters with the schedule's role, which this target also grants the queue's key.
                target=LambdaInvoke(
                    fn.alias,
                    input=scheduler.ScheduleTargetInput.from_object(self.payload),
                    retry_attempts=self.retry_attempts,
                    max_event_age=Duration.seconds(self.max_event_age_seconds),
                    dead_letter_queue=failures.queue,
                ),
            )
            # The group is named, so the schedule names it literally: without this nothing orders them.
            schedule.node.add_dependency(group)
        else:
            # Imported here: only rule schedules need them, and each aws-cdk-lib module costs import time on every synth.
            from aws_cdk import aws_events as events
            from aws_cdk import aws_events_targets as events_targets

            # EventBridge itself sends a rule's dead letters: the queue's key must admit it.
            service.admit_event_rules()
            rule = events.Rule(
                fn.node.scope,
                f"{fn.node.id}Schedule",
                description=f"Invokes {path} ({expression})",
                schedule=events.Schedule.expression(expression),
                enabled=enabled,
                targets=[
                    events_targets.LambdaFunction(
                        fn.alias,
                        event=events.RuleTargetInput.from_object(self.payload),
                        retry_attempts=self.retry_attempts,
                        max_event_age=Duration.seconds(self.max_event_age_seconds),
                        dead_letter_queue=failures.queue,
                    )
                ],
            )
            service.watch_schedule_rule(function, rule.rule_name)

    # make serve runs no clock: `make invoke-local FUNCTION=<name>` sends default_event() instead.

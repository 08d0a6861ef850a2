"""StackMonitoring: a function stack's operational alarms and dashboard, generated from its declarations.

Release alarms (a new version's errors and throttles, the API's 5XX rate) stay with the deployment
groups they roll back; not-empty alarms stay with their dead-letter and failure queues. What is here
watches the service running: each alarm kind can be turned off per stage (``alarms.off``), and every
threshold is a stage setting (``alarms.thresholds``) or, for a function's duration, a function setting.

Everything watched lives in the same stack as its alarm (tables and the file system are referred to
by the stack that already refers to them for its functions), so monitoring adds no cross-stack
reference per function and grows with each stack, never beyond it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from catalog_constructs import operational_alarms as alarms
from catalog_constructs.retained_table import RetainedTable
from catalog_constructs.service_dashboard import ServiceDashboard
from catalog_constructs.service_function import ServiceFunction
from catalog_constructs.shared_file_system import SharedFileSystem
from catalog_constructs.subscriber_queue import SubscriberQueue
from catalog_constructs.work_queue import WorkQueue

from constructs import Construct

if TYPE_CHECKING:  # imported only for types: each aws-cdk-lib module costs import time on every synth
    from aws_cdk import aws_scheduler as scheduler
from stacks.config import AlarmsConfig, FileSystemConfig
from stacks.declared import pascal
from stacks.function_declaration import FunctionDeclaration


class StackMonitoring(Construct):
    """Operational alarms (in ``alarms``) and, when the stage has dashboards, one dashboard with a URL output."""

    def __init__(self, scope: Construct, construct_id: str, *, config: AlarmsConfig, dashboard_name: str, description: str) -> None:
        """
        :param config: the stage's alarm settings: kinds turned off, thresholds, dashboards on or off.
        :param dashboard_name: the stack's dashboard (dashboards are global in an account: include the stage).
        :param description: what the dashboard covers, in one line.
        """
        super().__init__(scope, construct_id)
        self._config = config
        self._thresholds = config.thresholds
        self.alarms: list[cloudwatch.Alarm] = []
        self.dashboard = (
            ServiceDashboard(self, "Dashboard", dashboard_name=dashboard_name, description=description)
            if config.dashboards else None
        )

    def watch_api(self, *, title: str, api_name: str, stage_name: str) -> None:
        """The API's latency and client-error share (its 5XX rate is a release alarm of the API)."""
        described = f"API {title}"
        if self._config.has("api_latency"):
            self._add(alarms.api_latency(
                self, "ApiLatencyAlarm", api_name=api_name, stage_name=stage_name,
                p90_ms=self._thresholds.api_latency_p90_ms, described_as=described,
            ))
        if self._config.has("api_4xx"):
            self._add(alarms.api_client_error_rate(
                self, "ApiClientErrorRateAlarm", api_name=api_name, stage_name=stage_name,
                rate=self._thresholds.api_4xx_rate, described_as=described,
            ))
        if self.dashboard:
            self.dashboard.add_api(title=described, api_name=api_name, stage_name=stage_name)

    def watch_function(
        self, declaration: FunctionDeclaration, fn: ServiceFunction, *, timeout: Duration, duration_percent: int | None
    ) -> None:
        """Duration near the timeout; dropped async events and failed deliveries; a stream consumer's lag."""
        cid, described = declaration.construct_id, f"function {declaration.name}"
        function = fn.function
        if self._config.has("function_duration"):
            self._add(alarms.duration_near_timeout(
                self, f"{cid}DurationAlarm", function=function, timeout=timeout,
                percent_of_timeout=duration_percent or self._thresholds.duration_percent_of_timeout, described_as=described,
            ))
        streams = [trigger.streamed_table() for trigger in declaration.triggers if trigger.streamed_table()]
        if declaration.invoked_asynchronously and self._config.has("function_async"):
            self._add(alarms.async_events_dropped(self, f"{cid}AsyncEventsDroppedAlarm", function=function, described_as=described))
        # Asynchronous invocations and stream mappings write what fails to an on-failure queue; a
        # record Lambda cannot write there (a key or policy mistake) is lost without this alarm.
        if (declaration.invoked_asynchronously and self._config.has("function_async")) or (
            streams and self._config.has("stream_iterator_age")
        ):
            self._add(alarms.destination_delivery_failures(
                self, f"{cid}DestinationDeliveryFailuresAlarm", function=function, described_as=described,
            ))
        if streams and self._config.has("stream_iterator_age"):
            self._add(alarms.iterator_age(
                self, f"{cid}IteratorAgeAlarm", function=function,
                max_age=Duration.seconds(self._thresholds.iterator_age_seconds), described_as=described,
            ))
        if self.dashboard:
            self.dashboard.add_function(title=described, function=function, timeout=timeout)
            if streams:
                self.dashboard.add_stream_consumer(title=f"{described} (stream of {streams[0][0]})", function=function)

    def watch_queue(self, name: str, queue: WorkQueue | SubscriberQueue, *, consumed: bool = True) -> None:
        """The age of the queue's oldest message, against the time its consumer has to process or give up on it.

        :param consumed: whether a function of the service consumes it; a queue another team reads
            (a subscriber queue) is shown on the dashboard, but its age is that team's to watch.
        """
        derived = int(queue.visibility_timeout.to_seconds()) * queue.max_receive_count
        max_age = self._thresholds.queue_age_seconds or max(derived, 60)
        if consumed and self._config.has("queue_age"):
            self._add(alarms.oldest_message_age(
                self, f"{pascal(name)}QueueAgeAlarm", queue=queue.queue, max_age=Duration.seconds(max_age),
                described_as=f"queue {name}",
            ))
        if self.dashboard:
            self.dashboard.add_queue(title=f"queue {name}", queue=queue.queue, dead_letter=queue.dead_letter.queue)

    def watch_schedule_group(self, group: scheduler.IScheduleGroup, *, described_as: str) -> None:
        """The group's failed target invocations and its lost ones (EventBridge Scheduler reports per group)."""
        if self._config.has("schedule"):
            self._add(alarms.schedule_target_errors(self, "ScheduleTargetErrorsAlarm", group=group, described_as=described_as))
            self._add(alarms.schedule_dropped(self, "ScheduleDroppedAlarm", group=group, described_as=described_as))

    def watch_schedule_rule(self, declaration: FunctionDeclaration, rule_name: str) -> None:
        """A rule schedule's lost invocations."""
        if self._config.has("schedule"):
            self._add(alarms.rule_dropped(
                self, f"{declaration.construct_id}ScheduleDroppedAlarm", rule_name=rule_name,
                described_as=f"the schedule of function {declaration.name}",
            ))

    def watch_table(self, name: str, table: RetainedTable) -> None:
        """Throttles of the table and each of its indexes, and DynamoDB's own errors."""
        described = f"table {name}"
        if self._config.has("table_throttles"):
            for index in (None, *table.index_names):
                self._add(alarms.table_throttles(
                    self, f"{pascal(name)}{pascal(index) if index else ''}ThrottlesAlarm", table=table.table,
                    threshold=self._thresholds.table_throttled_requests, index_name=index,
                    described_as=f"{described} index {index}" if index else described,
                ))
        if self._config.has("table_errors"):
            self._add(alarms.table_system_errors(self, f"{pascal(name)}SystemErrorsAlarm", table=table.table, described_as=described))
        if self.dashboard:
            self.dashboard.add_table(title=described, table=table.table)

    def watch_file_system(self, file_system: SharedFileSystem, settings: FileSystemConfig) -> None:
        """I/O against the General Purpose limit, and with bursting throughput the credits left."""
        if not self._config.has("file_system"):
            return
        file_system_id = file_system.file_system.file_system_id
        if settings.performance_mode == "generalPurpose":
            self._add(alarms.file_system_io_limit(
                self, "FileSystemIoLimitAlarm", file_system_id=file_system_id,
                percent=self._thresholds.file_system_percent_io_limit, described_as="the file system",
            ))
        if settings.throughput_mode == "bursting":
            self._add(alarms.file_system_burst_credits(
                self, "FileSystemBurstCreditsAlarm", file_system_id=file_system_id,
                minimum_gib=self._thresholds.file_system_burst_credits_gib, described_as="the file system",
            ))

    def finish(self, *, other_alarms: list[cloudwatch.Alarm]) -> None:
        """Show every alarm of the stack on its dashboard, and output the dashboard's URL."""
        if self.dashboard is None:
            return
        self.dashboard.add_alarms(title="Alarms of this stack", alarms=[*other_alarms, *self.alarms])
        CfnOutput(self.node.scope, "DashboardUrl", value=self.dashboard.url, description="This stack's CloudWatch dashboard")

    def _add(self, alarm: cloudwatch.Alarm) -> None:
        self.alarms.append(alarm)

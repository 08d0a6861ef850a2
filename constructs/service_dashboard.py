"""ServiceDashboard: one CloudWatch dashboard for a set of functions, queues, tables and an API, a row each."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from catalog_constructs.errors import InvalidPropError

from constructs import Construct

# CloudWatch's limits: 500 widgets per dashboard, 100 alarms per alarm status widget.
MAX_WIDGETS = 500
ALARMS_PER_STATUS_WIDGET = 100
WIDTH = 24  # the dashboard's grid is 24 units wide
PERIOD = Duration.minutes(5)


def _metric(namespace: str, name: str, dimensions: dict[str, str], statistic: str, label: str | None = None) -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dimensions, statistic=statistic, period=PERIOD,
        label=label or f"{name} ({statistic})",
    )


class ServiceDashboard(Construct):
    """A dashboard built up resource by resource: each ``add_*`` appends one row of graphs.

    Each row is titled with the resource's declared name, so a dashboard reads like the declarations.
    A dashboard holds at most 500 widgets; adding one more is a one-line error naming the dashboard.
    """

    def __init__(self, scope: Construct, construct_id: str, *, dashboard_name: str, description: str) -> None:
        """
        :param dashboard_name: the dashboard's name, unique in the account (dashboards are global): A-Z a-z 0-9 - _.
        :param description: the markdown line at the top (what the dashboard covers).
        """
        super().__init__(scope, construct_id)
        self.dashboard_name = dashboard_name
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=dashboard_name, default_interval=Duration.hours(3),
        )
        self.widget_count = 0
        self._row(cloudwatch.TextWidget(markdown=f"# {dashboard_name}\n{description}", width=WIDTH, height=2))

    @property
    def url(self) -> str:
        """The dashboard in the CloudWatch console of the stack's region."""
        region = Stack.of(self).region
        return f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{self.dashboard_name}"

    def add_api(self, *, title: str, api_name: str, stage_name: str) -> None:
        """Requests, 4XX and 5XX, and latency p50/p90/p99 of a REST API stage."""
        dimensions = {"ApiName": api_name, "Stage": stage_name}

        def api(name: str, statistic: str) -> cloudwatch.Metric:
            return _metric("AWS/ApiGateway", name, dimensions, statistic)

        self._row(
            self._graph(f"{title}: requests", [api("Count", "Sum")], [api("4XXError", "Sum"), api("5XXError", "Sum")]),
            self._graph(f"{title}: latency (ms)", [api("Latency", s) for s in ("p50", "p90", "p99")]),
            self._graph(f"{title}: integration latency (ms)", [api("IntegrationLatency", s) for s in ("p50", "p90", "p99")]),
        )

    def add_function(self, *, title: str, function: lambda_.IFunction, timeout: Duration) -> None:
        """Invocations, errors and throttles; duration p50/p90/p99 against the timeout; concurrency."""

        def fn(name: str, statistic: str) -> cloudwatch.IMetric:
            return function.metric(name, statistic=statistic, period=PERIOD, label=f"{name} ({statistic})")

        self._row(
            self._graph(f"{title}: invocations", [fn("Invocations", "Sum")], [fn("Errors", "Sum"), fn("Throttles", "Sum")]),
            self._graph(
                f"{title}: duration (ms)", [fn("Duration", s) for s in ("p50", "p90", "p99")],
                annotations=[cloudwatch.HorizontalAnnotation(value=timeout.to_milliseconds(), label="timeout")],
            ),
            self._graph(f"{title}: concurrent executions", [fn("ConcurrentExecutions", "Maximum")]),
        )

    def add_stream_consumer(self, *, title: str, function: lambda_.IFunction) -> None:
        """How far behind its stream the consumer is (iterator age)."""
        age = function.metric("IteratorAge", statistic="Maximum", period=PERIOD, label="IteratorAge (Maximum)")
        self._row(self._graph(f"{title}: iterator age (ms)", [age], width=WIDTH))

    def add_queue(self, *, title: str, queue: sqs.IQueue, dead_letter: sqs.IQueue | None = None) -> None:
        """Messages visible and in flight, age of the oldest, and the dead-letter queue's depth."""
        graphs = [
            self._graph(
                f"{title}: messages",
                [queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum", label="visible"),
                 queue.metric_approximate_number_of_messages_not_visible(period=PERIOD, statistic="Maximum", label="in flight")],
            ),
            self._graph(
                f"{title}: age of oldest message (s)",
                [queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum", label="age of oldest")],
            ),
        ]
        if dead_letter is not None:
            graphs.append(self._graph(
                f"{title}: dead letters",
                [dead_letter.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum", label="dead letters")],
            ))
        self._row(*graphs)

    def add_table(self, *, title: str, table: dynamodb.ITable) -> None:
        """Consumed read and write capacity, and throttle events."""
        dimensions = {"TableName": table.table_name}

        def table_metric(name: str) -> cloudwatch.Metric:
            return _metric("AWS/DynamoDB", name, dimensions, "Sum")

        self._row(
            self._graph(f"{title}: consumed capacity", [table_metric("ConsumedReadCapacityUnits"), table_metric("ConsumedWriteCapacityUnits")]),
            self._graph(f"{title}: throttle events", [table_metric("ReadThrottleEvents"), table_metric("WriteThrottleEvents")]),
        )

    def add_alarms(self, *, title: str, alarms: Sequence[cloudwatch.IAlarm]) -> None:
        """The state of ``alarms``, 100 to a widget."""
        for start in range(0, len(alarms), ALARMS_PER_STATUS_WIDGET):
            chunk = list(alarms[start:start + ALARMS_PER_STATUS_WIDGET])
            self._row(cloudwatch.AlarmStatusWidget(
                title=title, alarms=chunk, width=WIDTH, height=max(3, 1 + len(chunk) // 6),
                sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
            ))

    @staticmethod
    def _graph(
        title: str, left: Sequence[cloudwatch.IMetric], right: Sequence[cloudwatch.IMetric] = (), *,
        annotations: Sequence[cloudwatch.HorizontalAnnotation] = (), width: int = 8,
    ) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=title, left=list(left), right=list(right), left_annotations=list(annotations) or None,
            width=width, height=6,
        )

    def _row(self, *widgets: cloudwatch.IWidget) -> None:
        if self.widget_count + len(widgets) > MAX_WIDGETS:
            raise InvalidPropError(
                f"dashboard {self.dashboard_name}", self.widget_count + len(widgets),
                f"at most {MAX_WIDGETS} widgets (CloudWatch's limit)",
            )
        self.widget_count += len(widgets)
        self.dashboard.add_widgets(cloudwatch.Row(*widgets))

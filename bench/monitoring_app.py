"""The dev stage of bench/scaling_app.py with N functions plus a monitoring stack of one of two kinds:

    python bench/monitoring_app.py N none          # release alarms only (the baseline)
    python bench/monitoring_app.py N generator     # the generator's own operational alarms and dashboards
    python bench/monitoring_app.py N library       # cdk-monitoring-constructs' MonitoringFacade
    python bench/monitoring_app.py N handwritten   # aws_cloudwatch alarms and one dashboard, written here

Both kinds watch the same things with the same thresholds, in monitoring stacks of the stage (one per
function group, and ``Monitoring`` for the rest) that refer to the functions, queues, tables and API of
the other stacks: per function (its ``live`` alias)
errors, throttles, duration p90 against 80 % of its timeout, and iterator age for a stream consumer;
per work queue the age of its oldest message and its dead-letter queue not empty; per table read and
write throttles and system errors; the API's 5XX and 4XX rates and p90 latency. Every alarm notifies
the stage's alarm topic on ALARM and OK. A dashboard shows invocations, errors, throttles, duration
and concurrent executions of each function, and the queues, tables and API.

Only the benchmark uses this: it is the evidence for issue 18's choice, not the service's monitoring.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("none", "generator", "library", "handwritten")
# The thresholds both kinds use, so that they build the same alarms.
DURATION_SHARE_OF_TIMEOUT = 0.8
QUEUE_AGE_SECONDS = 300
ITERATOR_AGE_SECONDS = 60
API_5XX_RATE = 0.01
API_4XX_RATE = 0.2
API_P90_MS = 1000
# CloudWatch's limit is 500 widgets per dashboard; the hand-written kind starts a new one at this many.
WIDGETS_PER_DASHBOARD = 400
TABLE_OPERATIONS = ("GET_ITEM", "BATCH_GET_ITEM", "SCAN", "QUERY", "GET_RECORDS", "PUT_ITEM", "DELETE_ITEM", "UPDATE_ITEM",
                    "BATCH_WRITE_ITEM")


@dataclass(frozen=True)
class Watched:
    """What the monitoring stack watches, gathered from the stage's stacks."""

    functions: tuple[tuple[str, object, int, bool], ...]  # (name, live alias, timeout s, stream consumer)
    queues: tuple[tuple[str, object, object], ...]  # (name, queue, dead-letter queue)
    tables: tuple[tuple[str, object], ...]
    api: object | None
    api_stage: str


def watched(stage, definition) -> dict[str, Watched]:
    """What each monitoring stack watches, by stack id: one per group stack (its functions), split the way
    the function stacks are so that each stays within the template budgets, and ``Monitoring`` for the
    ungrouped functions, the queues, the tables and the API."""
    declarations = {d.name: d for d in definition.functions}

    def functions(stack) -> tuple[tuple[str, object, int, bool], ...]:
        return tuple(
            (name, fn.alias, int(fn.timeout.to_seconds()),
             any(type(trigger).__name__ == "StreamTrigger" for trigger in declarations[name].triggers))
            for name, fn in sorted(stack.functions.items())
        )

    stacks = [*stage.groups.values(), stage.service]
    queues = {name: (queue.queue, queue.dead_letter.queue) for stack in stacks for name, queue in stack.queues.items()}
    for stack in stacks:
        queues.update({name: (sub.queue, sub.dead_letter.queue) for name, sub in stack.subscriber_queues.items()})
    api = stage.service.api.api if stage.service.api else None
    return {
        **{f"{stack.node.id}Monitoring": Watched(functions=functions(stack), queues=(), tables=(), api=None, api_stage="")
           for stack in stage.groups.values()},
        "Monitoring": Watched(
            functions=functions(stage.service),
            queues=tuple((name, *pair) for name, pair in sorted(queues.items())),
            tables=tuple((name, table.table) for name, table in sorted(stage.stateful.tables.items())),
            api=api,
            api_stage=api.deployment_stage.stage_name if api else "",
        ),
    }


def library_monitoring(stack, topic, things: Watched) -> None:
    """The monitoring, with cdk-monitoring-constructs: every alarm is asked for by name and threshold."""
    from aws_cdk import Duration
    from cdk_monitoring_constructs import (
        AlarmFactoryDefaults,
        DefaultDashboardFactory,
        ErrorCountThreshold,
        ErrorRateThreshold,
        LatencyThreshold,
        MaxAgeThreshold,
        MaxMessageAgeThreshold,
        MaxMessageCountThreshold,
        MonitoringFacade,
        SnsAlarmActionStrategy,
        ThrottledEventsThreshold,
    )

    facade = MonitoringFacade(
        stack, "Monitoring",
        alarm_factory_defaults=AlarmFactoryDefaults(
            alarm_name_prefix=stack.stack_name, actions_enabled=True, datapoints_to_alarm=1,
            action=SnsAlarmActionStrategy(on_alarm_topic=topic, on_ok_topic=topic),
        ),
        dashboard_factory=DefaultDashboardFactory(stack, "Dashboards", dashboard_name_prefix=stack.stack_name),
    )
    none = {"Critical": ErrorCountThreshold(max_error_count=0)}
    for name, alias, timeout, stream in things.functions:
        # Not LatencyTimeoutPercentageThreshold: it reads the timeout of a Function only and takes 3 s for
        # anything else, an alias included (LambdaFunctionMonitoring.ts: `(fn as Function).timeout ?? 3 s`).
        facade.monitor_lambda_function(
            lambda_function=alias, alarm_friendly_name=name, is_iterator=stream,
            add_fault_count_alarm=none, add_throttles_count_alarm=none,
            add_latency_p90_alarm={"Warning": LatencyThreshold(
                max_latency=Duration.millis(timeout * 1000 * DURATION_SHARE_OF_TIMEOUT))},
            **({"add_max_iterator_age_alarm": {"Warning": MaxAgeThreshold(max_age_in_millis=ITERATOR_AGE_SECONDS * 1000)}}
               if stream else {}),
        )
    for name, queue, dead_letter in things.queues:
        facade.monitor_sqs_queue_with_dlq(
            queue=queue, dead_letter_queue=dead_letter, alarm_friendly_name=name,
            add_queue_max_message_age_alarm={"Warning": MaxMessageAgeThreshold(max_age_in_seconds=QUEUE_AGE_SECONDS)},
            add_dead_letter_queue_max_size_alarm={"Critical": MaxMessageCountThreshold(max_message_count=0)},
        )
    for name, table in things.tables:
        facade.monitor_dynamo_table(
            table=table, alarm_friendly_name=name,
            add_read_throttled_events_count_alarm={"Critical": ThrottledEventsThreshold(max_throttled_events_threshold=0)},
            add_write_throttled_events_count_alarm={"Critical": ThrottledEventsThreshold(max_throttled_events_threshold=0)},
            add_system_error_count_alarm=none,
        )
    if things.api is not None:
        facade.monitor_api_gateway(
            api=things.api, api_stage=things.api_stage, alarm_friendly_name="api",
            add5_xx_fault_rate_alarm={"Critical": ErrorRateThreshold(max_error_rate=API_5XX_RATE)},
            add4_xx_error_rate_alarm={"Warning": ErrorRateThreshold(max_error_rate=API_4XX_RATE)},
            add_latency_p90_alarm={"Warning": LatencyThreshold(max_latency=Duration.millis(API_P90_MS))},
        )


def handwritten_monitoring(stack, topic, things: Watched) -> None:
    """The same monitoring with aws_cloudwatch: one ``alarm`` call per alarm, one row of graphs per thing."""
    from aws_cdk import Duration
    from aws_cdk import aws_cloudwatch as cw
    from aws_cdk import aws_cloudwatch_actions as actions
    from aws_cdk import aws_dynamodb as dynamodb

    action = actions.SnsAction(topic)
    period = Duration.minutes(5)
    dashboards: list[list[cw.IWidget]] = [[]]

    def alarm(id_: str, metric: cw.IMetric, threshold: float, description: str, *,
              missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING) -> None:
        created = metric.create_alarm(
            stack, id_, threshold=threshold, evaluation_periods=1, alarm_description=description,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD, treat_missing_data=missing,
        )
        created.add_alarm_action(action)
        created.add_ok_action(action)

    def row(*widgets: cw.IWidget) -> None:
        if len(dashboards[-1]) + len(widgets) > WIDGETS_PER_DASHBOARD:
            dashboards.append([])
        dashboards[-1].extend(widgets)

    def graph(title: str, *metrics: cw.IMetric) -> cw.GraphWidget:
        return cw.GraphWidget(title=title, left=list(metrics), width=6, height=5)

    for name, alias, timeout, stream in things.functions:
        key = "".join(part.title() for part in name.split("-"))
        errors, throttles = alias.metric_errors(period=period), alias.metric_throttles(period=period)
        p90 = alias.metric_duration(period=period, statistic="p90")
        alarm(f"{key}Errors", errors, 0, f"{name}: the live alias failed invocations")
        alarm(f"{key}Throttles", throttles, 0, f"{name}: the live alias was throttled")
        alarm(f"{key}Duration", p90, timeout * 1000 * DURATION_SHARE_OF_TIMEOUT, f"{name}: p90 duration near its timeout")
        concurrency = alias.metric("ConcurrentExecutions", period=period, statistic="Maximum")
        widgets = [graph(f"{name} invocations", alias.metric_invocations(period=period)),
                   graph(f"{name} errors and throttles", errors, throttles),
                   graph(f"{name} duration", alias.metric_duration(period=period, statistic="p50"), p90,
                         alias.metric_duration(period=period, statistic="p99")),
                   graph(f"{name} concurrency", concurrency)]
        if stream:
            age = alias.metric("IteratorAge", period=period, statistic="Maximum")
            alarm(f"{key}IteratorAge", age, ITERATOR_AGE_SECONDS * 1000, f"{name}: stream records wait to be processed",
                  missing=cw.TreatMissingData.MISSING)
            widgets.append(graph(f"{name} iterator age", age))
        row(*widgets)
    for name, queue, dead_letter in things.queues:
        key = "".join(part.title() for part in name.split("-"))
        age = queue.metric_approximate_age_of_oldest_message(period=period, statistic="Maximum")
        depth = dead_letter.metric_approximate_number_of_messages_visible(period=period, statistic="Maximum")
        alarm(f"Queue{key}Age", age, QUEUE_AGE_SECONDS, f"queue {name}: messages wait longer than expected",
              missing=cw.TreatMissingData.MISSING)
        alarm(f"Queue{key}DeadLetters", depth, 0, f"queue {name}: messages in its dead-letter queue",
              missing=cw.TreatMissingData.MISSING)
        row(graph(f"{name} visible", queue.metric_approximate_number_of_messages_visible(period=period)),
            graph(f"{name} age of oldest", age), graph(f"{name} dead letters", depth))
    for name, table in things.tables:
        key = "".join(part.title() for part in name.split("-"))
        throttled = cw.MathExpression(
            expression="r + w", period=period, label="throttled requests",
            using_metrics={"r": table.metric("ReadThrottleEvents", period=period, statistic="Sum"),
                           "w": table.metric("WriteThrottleEvents", period=period, statistic="Sum")})
        # The operations cdk-monitoring-constructs sums too (an alarm's expression takes 10 metrics at most).
        errors = table.metric_system_errors_for_operations(period=period, operations=[getattr(dynamodb.Operation, o) for o in TABLE_OPERATIONS])
        alarm(f"Table{key}Throttles", throttled, 0, f"table {name}: requests throttled")
        alarm(f"Table{key}SystemErrors", errors, 0, f"table {name}: DynamoDB system errors")
        row(graph(f"{name} consumed capacity", table.metric_consumed_read_capacity_units(period=period),
                  table.metric_consumed_write_capacity_units(period=period)),
            graph(f"{name} throttles and errors", throttled, errors))
    if things.api is not None:
        api = things.api

        def rate(metric_name: str) -> cw.MathExpression:
            e = f"e{metric_name[0]}xx"  # ids unique within a graph that shows both rates
            return cw.MathExpression(expression=f"{e} / MAX([{e}, n])", period=period, label=f"{metric_name} rate",
                                     using_metrics={e: api.metric(metric_name, period=period, statistic="Sum"),
                                                    "n": api.metric_count(period=period)})

        latency = api.metric_latency(period=period, statistic="p90")
        alarm("Api5xx", rate("5XXError"), API_5XX_RATE, "API: server error rate")
        alarm("Api4xx", rate("4XXError"), API_4XX_RATE, "API: client error rate far above normal")
        alarm("ApiLatency", latency, API_P90_MS, "API: p90 latency")
        row(graph("API requests", api.metric_count(period=period)), graph("API errors", rate("4XXError"), rate("5XXError")),
            graph("API latency", api.metric_latency(period=period, statistic="p50"), latency,
                  api.metric_latency(period=period, statistic="p99")))
    for index, widgets in enumerate(dashboards):
        cw.Dashboard(stack, f"Dashboard{index}" if index else "Dashboard", widgets=[widgets[i:i + 4] for i in range(0, len(widgets), 4)])


def main(functions: int, kind: str) -> int:
    from aws_cdk import App, Stack

    from bench.scaling_app import build, extra_functions
    from devtools.synth import cdk_context
    from services.product_catalog.definition import DEFINITION

    if kind not in KINDS:
        raise SystemExit(f"kind: {kind!r}; one of {', '.join(KINDS)}")
    from stacks.config import ALARM_KINDS

    # Every kind but "generator" starts from the stage without the generator's operational alarms and
    # dashboards, so that each adds the same watch list to the same baseline.
    own = None if kind == "generator" else {"off": list(ALARM_KINDS), "dashboards": False}
    app = build(App(context=cdk_context(), builtin_cloud_formation_validation=False), functions, alarms=own)
    stage = next(child for child in app.node.children if child.node.id == "dev")
    if kind in ("library", "handwritten"):
        assert stage.alarms is not None, "the dev stage notifies someone"
        monitor = library_monitoring if kind == "library" else handwritten_monitoring
        for stack_id, things in watched(stage, DEFINITION.with_functions(*extra_functions(functions))).items():
            monitor(Stack(stage, stack_id), stage.alarms.topic.topic, things)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]), sys.argv[2]))

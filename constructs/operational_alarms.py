"""Operational alarms: what an operator of a serverless service expects to be told, one function per alarm.

Each alarm's description says what it means and what to do first, because the description is what the
notification e-mail shows. Evaluation windows and ``TreatMissingData`` are chosen per metric (and said
why); thresholds are the caller's, so a stage's settings are written once, in its configuration.

The metrics are built from names and dimensions (not ``metric_*`` of an L2 where that would make the
alarm depend on another stack's resource attributes in a cycle), and each alarm watches one resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from catalog_constructs.errors import InvalidPropError

from constructs import Construct

if TYPE_CHECKING:  # imported only for types: each aws-cdk-lib module costs import time on every synth
    from aws_cdk import aws_scheduler as scheduler

GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD
GTE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
LT = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
# No datapoint means nothing happened (no invocation, no request, no throttle): not a breach.
QUIET_IS_FINE = cloudwatch.TreatMissingData.NOT_BREACHING

# The operations whose system errors a table alarm sums: CloudWatch evaluates at most 10 metrics per alarm.
TABLE_OPERATIONS = (
    dynamodb.Operation.GET_ITEM, dynamodb.Operation.PUT_ITEM, dynamodb.Operation.UPDATE_ITEM,
    dynamodb.Operation.DELETE_ITEM, dynamodb.Operation.QUERY, dynamodb.Operation.SCAN,
    dynamodb.Operation.BATCH_GET_ITEM, dynamodb.Operation.BATCH_WRITE_ITEM,
    dynamodb.Operation.TRANSACT_GET_ITEMS, dynamodb.Operation.TRANSACT_WRITE_ITEMS,
)
FIVE_MINUTES = Duration.minutes(5)
# Requests below which the API's 4XX share is not judged (a scanner's few 404s are not an incident).
API_MIN_REQUESTS = 50


def _alarm(
    scope: Construct, construct_id: str, *, metric: cloudwatch.IMetric, threshold: float, description: str,
    evaluation_periods: int = 1, comparison: cloudwatch.ComparisonOperator = GT,
    missing: cloudwatch.TreatMissingData = QUIET_IS_FINE,
) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        scope, construct_id, metric=metric, threshold=threshold, evaluation_periods=evaluation_periods,
        comparison_operator=comparison, treat_missing_data=missing, alarm_description=description,
    )


def _percent(value: int, field: str) -> None:
    if not 1 <= value <= 100:
        raise InvalidPropError(field, value, "a percentage from 1 to 100")


def _any(scope: Construct, construct_id: str, *, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
    """An alarm on a count of things that should never happen: one is enough."""
    return _alarm(scope, construct_id, metric=metric, threshold=1, comparison=GTE, description=description)


def _metric(namespace: str, name: str, dimensions: Mapping[str, str], statistic: str = "Sum") -> cloudwatch.Metric:
    return cloudwatch.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dict(dimensions), statistic=statistic, period=FIVE_MINUTES,
    )


def _sum(label: str, metrics: Mapping[str, cloudwatch.IMetric]) -> cloudwatch.MathExpression:
    """The metrics summed per 5 minutes, each FILLed with 0.

    DynamoDB, Scheduler and EventBridge publish such a count only for periods that had some: a sum with
    one operand missing has no value, and an alarm on it could never fire.
    """
    return cloudwatch.MathExpression(
        expression=" + ".join(f"FILL({name}, 0)" for name in metrics), using_metrics=dict(metrics), label=label,
        period=FIVE_MINUTES,
    )


def duration_near_timeout(
    scope: Construct, construct_id: str, *, function: lambda_.IFunction, timeout: Duration, percent_of_timeout: int,
    described_as: str,
) -> cloudwatch.Alarm:
    """The function's p90 duration above ``percent_of_timeout`` of its timeout for 15 minutes."""
    _percent(percent_of_timeout, "percent_of_timeout")
    # One 15-minute period, not three of five: a function invoked once a day has one datapoint a
    # day, and three breaching periods in a row would never come.
    return _alarm(
        scope, construct_id,
        metric=function.metric_duration(statistic="p90", period=Duration.minutes(15)),
        threshold=timeout.to_milliseconds() * percent_of_timeout / 100,
        description=(
            f"{described_as}: p90 duration above {percent_of_timeout}% of its {timeout.to_seconds():g} s timeout for "
            "15 minutes; invocations are about to time out. First: its logs' slowest requests, then what it calls "
            "(table throttles, network) before raising the timeout or memory."
        ),
    )


def async_events_dropped(
    scope: Construct, construct_id: str, *, function: lambda_.IFunction, described_as: str
) -> cloudwatch.Alarm:
    """Asynchronous events Lambda dropped without processing them (expired, or retries spent with no destination)."""
    return _any(
        scope, construct_id,
        metric=function.metric("AsyncEventsDropped", statistic="Sum", period=Duration.minutes(1)),
        description=(
            f"{described_as}: Lambda dropped asynchronous events. First: the function's errors and throttles, "
            "and its on-failure queue; raise max event age or concurrency if events expire waiting."
        ),
    )


def destination_delivery_failures(
    scope: Construct, construct_id: str, *, function: lambda_.IFunction, described_as: str
) -> cloudwatch.Alarm:
    """Results Lambda could not deliver to the function's on-success or on-failure destination."""
    return _any(
        scope, construct_id,
        metric=function.metric("DestinationDeliveryFailures", statistic="Sum", period=Duration.minutes(1)),
        description=(
            f"{described_as}: Lambda could not deliver invocation records to a destination queue; they are lost. "
            "First: the queue's key and policy (the function's role must be allowed to send), and whether it exists."
        ),
    )


def iterator_age(
    scope: Construct, construct_id: str, *, function: lambda_.IFunction, max_age: Duration, described_as: str
) -> cloudwatch.Alarm:
    """The stream consumer's oldest record older than ``max_age`` for 5 minutes: it is falling behind."""
    return _alarm(
        scope, construct_id,
        metric=function.metric("IteratorAge", statistic="Maximum", period=Duration.minutes(1)),
        threshold=max_age.to_milliseconds(), evaluation_periods=5,
        description=(
            f"{described_as}: its stream's oldest record is older than {max_age.to_seconds():g} s for 5 minutes; "
            "records expire after 24 hours. First: its errors (a poison record retried), then its duration and "
            "throttles; raise the parallelization factor if it is only slow."
        ),
    )


def oldest_message_age(
    scope: Construct, construct_id: str, *, queue: sqs.IQueue, max_age: Duration, described_as: str
) -> cloudwatch.Alarm:
    """The queue's oldest message older than ``max_age`` for 5 minutes: its consumer is not keeping up."""
    # An idle queue stops reporting (missing data): nothing is waiting.
    return _alarm(
        scope, construct_id,
        metric=queue.metric_approximate_age_of_oldest_message(statistic="Maximum", period=Duration.minutes(1)),
        threshold=max_age.to_seconds(), evaluation_periods=5,
        description=(
            f"{described_as}: its oldest message has waited more than {max_age.to_seconds():g} s for 5 minutes. "
            "First: the consumer's errors and throttles (messages retried), its reserved concurrency, then the "
            "rate of messages sent."
        ),
    )


def table_throttles(
    scope: Construct, construct_id: str, *, table: dynamodb.ITable, threshold: int, described_as: str,
    index_name: str | None = None,
) -> cloudwatch.Alarm:
    """Read plus write throttle events of the table (or one of its global indexes) at ``threshold`` in 5 minutes."""
    dimensions = {"TableName": table.table_name, **({"GlobalSecondaryIndexName": index_name} if index_name else {})}
    return _alarm(
        scope, construct_id,
        metric=_sum("throttle events", {
            "reads": _metric("AWS/DynamoDB", "ReadThrottleEvents", dimensions),
            "writes": _metric("AWS/DynamoDB", "WriteThrottleEvents", dimensions),
        }),
        threshold=threshold, comparison=GTE,
        description=(
            f"{described_as}: {threshold} or more requests throttled in 5 minutes. First: a hot partition key "
            "(CloudWatch Contributor Insights), then the capacity (provisioned) or the table's on-demand limits."
        ),
    )


def table_system_errors(
    scope: Construct, construct_id: str, *, table: dynamodb.ITable, described_as: str,
    operations: Sequence[dynamodb.Operation] = TABLE_OPERATIONS,
) -> cloudwatch.Alarm:
    """Requests DynamoDB failed with a 500 (its own error), summed over ``operations``, in 5 minutes."""
    if not 1 <= len(operations) <= 10:
        raise InvalidPropError("operations", len(operations), "1 to 10 operations (CloudWatch's metrics per alarm)")
    # Not table.metric_system_errors_for_operations: its plain sum has no value while any operation
    # (say Scan, which the service may never call) published nothing, so the alarm could never fire.
    return _any(
        scope, construct_id,
        metric=_sum("system errors", {
            f"m{index}": _metric("AWS/DynamoDB", "SystemErrors", {"TableName": table.table_name, "Operation": operation.value})
            for index, operation in enumerate(operations)
        }),
        description=(
            f"{described_as}: DynamoDB answered requests with internal errors. The SDK retries them; if it "
            "persists, check the AWS Health Dashboard for DynamoDB in this region."
        ),
    )


def _api_metric(api_name: str, stage_name: str, name: str, statistic: str) -> cloudwatch.Metric:
    return _metric("AWS/ApiGateway", name, {"ApiName": api_name, "Stage": stage_name}, statistic)


def api_latency(
    scope: Construct, construct_id: str, *, api_name: str, stage_name: str, p90_ms: int, described_as: str
) -> cloudwatch.Alarm:
    """The API stage's p90 latency above ``p90_ms`` for 15 minutes."""
    return _alarm(
        scope, construct_id,
        metric=_api_metric(api_name, stage_name, "Latency", "p90"), threshold=p90_ms, evaluation_periods=3,
        description=(
            f"{described_as}: p90 latency above {p90_ms} ms for 15 minutes. First: IntegrationLatency (the "
            "functions) against Latency (the gateway), then the slowest function's duration and cold starts."
        ),
    )


def api_client_error_rate(
    scope: Construct, construct_id: str, *, api_name: str, stage_name: str, rate: float, described_as: str
) -> cloudwatch.Alarm:
    """More than ``rate`` of the API stage's requests answered 4XX for 15 minutes (with enough requests to judge)."""
    if not 0 < rate <= 1:
        raise InvalidPropError("rate", rate, "a share of requests above 0 and at most 1")
    return _alarm(
        scope, construct_id,
        metric=cloudwatch.MathExpression(
            expression=f"IF(requests >= {API_MIN_REQUESTS}, errors / requests, 0)",
            using_metrics={
                "errors": _api_metric(api_name, stage_name, "4XXError", "Sum"),
                "requests": _api_metric(api_name, stage_name, "Count", "Sum"),
            },
            label="share of requests answered 4XX", period=FIVE_MINUTES,
        ),
        threshold=rate, evaluation_periods=3,
        description=(
            f"{described_as}: more than {rate:.0%} of requests answered 4XX for 15 minutes, far above normal. "
            "First: the access log's status and path (a broken client release, expired tokens, or a scan)."
        ),
    )


def _file_system_metric(file_system_id: str, name: str, statistic: str) -> cloudwatch.Metric:
    return _metric("AWS/EFS", name, {"FileSystemId": file_system_id}, statistic)


def file_system_io_limit(
    scope: Construct, construct_id: str, *, file_system_id: str, percent: int, described_as: str
) -> cloudwatch.Alarm:
    """The General Purpose file system's I/O above ``percent`` of its limit for 15 minutes."""
    _percent(percent, "percent")
    return _alarm(
        scope, construct_id,
        metric=_file_system_metric(file_system_id, "PercentIOLimit", "Maximum"), threshold=percent, evaluation_periods=3,
        description=(
            f"{described_as}: I/O above {percent}% of the General Purpose limit for 15 minutes; operations will "
            "slow down. First: which functions mount it and their invocation rate; Max I/O mode needs a new file system."
        ),
    )


def file_system_burst_credits(
    scope: Construct, construct_id: str, *, file_system_id: str, minimum_gib: int, described_as: str
) -> cloudwatch.Alarm:
    """A bursting file system's credits below ``minimum_gib``: throughput is about to fall to its baseline."""
    return _alarm(
        scope, construct_id,
        metric=_file_system_metric(file_system_id, "BurstCreditBalance", "Minimum"),
        threshold=minimum_gib * 1024**3, comparison=LT,
        # Reported whenever the file system exists: no data is a reporting gap, not a verdict.
        missing=cloudwatch.TreatMissingData.MISSING,
        description=(
            f"{described_as}: burst credits below {minimum_gib} GiB; throughput falls to the baseline when they "
            "run out. First: the read/write rate; switch to elastic throughput if it is sustained."
        ),
    )


def schedule_target_errors(
    scope: Construct, construct_id: str, *, group: scheduler.IScheduleGroup, described_as: str
) -> cloudwatch.Alarm:
    """EventBridge Scheduler could not invoke a target of the group (each failed attempt, retried or not), in 5 minutes."""
    return _any(
        scope, construct_id,
        metric=group.metric_target_errors(statistic="Sum", period=FIVE_MINUTES),
        description=(
            f"{described_as}: the scheduler's invocations of a target failed (throttled, or not allowed). It "
            "retries them; first: the target function's throttles and reserved concurrency, then the schedule's role."
        ),
    )


def schedule_dropped(
    scope: Construct, construct_id: str, *, group: scheduler.IScheduleGroup, described_as: str
) -> cloudwatch.Alarm:
    """Scheduled invocations of the group lost: dropped after their retries, or refused by their dead-letter queue."""
    return _any(
        scope, construct_id,
        metric=_sum("invocations lost", {
            "dropped": group.metric_dropped(statistic="Sum", period=FIVE_MINUTES),
            "refused": group.metric_failed_to_be_sent_to_dlq(statistic="Sum", period=FIVE_MINUTES),
        }),
        description=(
            f"{described_as}: scheduled invocations were lost (no dead-letter queue took them). First: the "
            "dead-letter queue's policy and key (the schedule's role must be allowed to send), then run the job by hand."
        ),
    )


def rule_dropped(scope: Construct, construct_id: str, *, rule_name: str, described_as: str) -> cloudwatch.Alarm:
    """An EventBridge rule's invocations that failed for good, or that its dead-letter queue refused, in 5 minutes."""
    dimensions = {"RuleName": rule_name}
    return _any(
        scope, construct_id,
        metric=_sum("invocations lost", {
            "failed": _metric("AWS/Events", "FailedInvocations", dimensions),
            "refused": _metric("AWS/Events", "InvocationsFailedToBeSentToDlq", dimensions),
        }),
        description=(
            f"{described_as}: the rule's invocations failed for good or its dead-letter queue refused them. First: the "
            "dead-letter queue's policy and key, the function's resource policy, then run the job by hand."
        ),
    )

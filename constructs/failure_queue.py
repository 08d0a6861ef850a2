"""FailureQueue: where what could not be processed ends up, kept, encrypted, and alarmed on."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.nag import acknowledge

from constructs import Construct

MAX_RETENTION_DAYS = 14


def secure_queue_props(encryption_key: kms.IKey | None = None) -> dict[str, Any]:
    """The settings every queue of the service has: encrypted at rest, TLS-only, retained when removed.

    :param encryption_key: customer-managed KMS key (default: SQS-managed server-side encryption).
    """
    return {
        "encryption": sqs.QueueEncryption.KMS if encryption_key else sqs.QueueEncryption.SQS_MANAGED,
        "encryption_master_key": encryption_key,
        "enforce_ssl": True,
        "removal_policy": RemovalPolicy.RETAIN,
    }


class FailureQueue(Construct):
    """An encrypted, TLS-only queue that keeps failed messages or events 14 days, with a not-empty alarm.

    Used as a work queue's dead-letter queue and as the on-failure destination of stream mappings,
    asynchronous invocations and schedules: nothing is dropped silently, and somebody is told.
    It is retained when removed from the stack: what it holds is the last copy.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        purpose: str,
        retention_days: int = MAX_RETENTION_DAYS,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param purpose: what fails into it, for the alarm description (e.g. ``messages of imports received 5 times``).
        :param retention_days: how long failures are kept, 1-14 (default 14, SQS's maximum).
        :param encryption_key: customer-managed KMS key (default: SQS-managed server-side encryption).
        """
        if isinstance(retention_days, bool) or not isinstance(retention_days, int) or not 1 <= retention_days <= MAX_RETENTION_DAYS:
            raise InvalidPropError("retention_days", retention_days, f"an integer from 1 to {MAX_RETENTION_DAYS} (days)")
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self, "Queue", retention_period=Duration.days(retention_days), **secure_queue_props(encryption_key)
        )
        acknowledge(
            self.queue,
            "Serverless-SQSRedrivePolicy",
            "This queue is where failures end up: a dead-letter queue of its own would only move them "
            "further; it keeps them 14 days and its not-empty alarm calls for a person.",
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "NotEmptyAlarm",
            alarm_description=f"{self.node.path} is not empty: {purpose} are waiting to be inspected",
            metric=self.queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1), statistic="Maximum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )

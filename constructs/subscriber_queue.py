"""SubscriberQueue: an SQS queue subscribed to an SNS topic with a filter policy (fan-out), with its dead-letter queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.failure_queue import FailureQueue, secure_queue_props
from catalog_constructs.lambda_limits import check_int_range

from constructs import Construct

MAX_FILTER_KEYS = 5  # SNS: at most 5 attribute names in a filter policy


class SubscriberQueue(Construct):
    """How another team consumes a topic: its own queue, receiving only the messages its filter admits.

    The queue is encrypted (SQS-managed, or with ``encryption_key``), TLS-only and retained; its policy
    admits ``sqs:SendMessage`` from this one topic only, and a key's policy lets SNS use the key for this
    topic only (CDK's SqsSubscription scopes both with ``aws:SourceArn``). A message its consumer fails
    ``max_receive_count`` times, or that SNS cannot deliver, goes to the dead-letter queue (same key).
    The topic must not be encrypted with ``encryption_key``: the key's policy names the topic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        filter_policy: Mapping[str, Sequence[str]],
        max_receive_count: int = 5,
        raw_message_delivery: bool = True,
        visibility_timeout_seconds: int = 30,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param topic: the topic to subscribe to.
        :param filter_policy: message attribute name -> the values admitted (at most 5 names).
        :param max_receive_count: receipts before a message moves to the dead-letter queue, 1-1000 (default 5).
        :param raw_message_delivery: the message body is the event itself, attributes as SQS attributes (default on).
        :param visibility_timeout_seconds: how long a received message stays hidden, 0-43200 (default 30).
        :param encryption_key: customer-managed KMS key of both queues (default: SQS-managed server-side encryption).
        """
        if not filter_policy or len(filter_policy) > MAX_FILTER_KEYS or not all(filter_policy.values()):
            raise InvalidPropError("filter_policy", dict(filter_policy), f"1-{MAX_FILTER_KEYS} attribute names, each with allowed values")
        check_int_range("max_receive_count", max_receive_count, (1, 1000), "receipts")
        check_int_range("visibility_timeout_seconds", visibility_timeout_seconds, (0, 43_200), "seconds")
        super().__init__(scope, construct_id)
        self.max_receive_count = max_receive_count
        self.visibility_timeout = Duration.seconds(visibility_timeout_seconds)
        self.dead_letter = FailureQueue(
            self, "DeadLetter", purpose=f"events received {max_receive_count} times or undeliverable",
            encryption_key=encryption_key,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=self.dead_letter.queue),
            **secure_queue_props(encryption_key),
        )
        topic.add_subscription(
            subscriptions.SqsSubscription(
                self.queue,
                raw_message_delivery=raw_message_delivery,
                dead_letter_queue=self.dead_letter.queue,
                filter_policy={
                    name: sns.SubscriptionFilter.string_filter(allowlist=list(values))
                    for name, values in filter_policy.items()
                },
            )
        )

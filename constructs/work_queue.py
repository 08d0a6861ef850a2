"""WorkQueue: an SQS queue a function consumes through an event source mapping, with its dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from catalog_constructs.failure_queue import FailureQueue, secure_queue_props
from catalog_constructs.lambda_limits import TIMEOUT_SECONDS, check_int_range

from constructs import Construct

# AWS: set the source queue's visibility timeout to at least six times the function's timeout (plus
# the batching window), so a batch being retried by Lambda is not handed out again meanwhile.
VISIBILITY_PER_TIMEOUT = 6
MAX_RECEIVE_COUNT = (1, 1000)


class WorkQueue(Construct):
    """An encrypted, TLS-only queue whose messages go to a dead-letter queue after ``max_receive_count`` receipts.

    The visibility timeout is derived from the consumer: six times its timeout plus the batching window.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer_timeout_seconds: int,
        batching_window_seconds: int = 0,
        max_receive_count: int = 5,
        retention_days: int = 4,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param consumer_timeout_seconds: the consuming function's timeout (sets the visibility timeout).
        :param batching_window_seconds: the consumer mapping's batching window, 0-300 (default 0).
        :param max_receive_count: receipts before a message moves to the dead-letter queue, 1-1000 (default 5).
        :param retention_days: how long an unprocessed message is kept, 1-14 (default 4, SQS's default).
        :param encryption_key: customer-managed KMS key (default: SQS-managed server-side encryption).
        """
        check_int_range("consumer_timeout_seconds", consumer_timeout_seconds, TIMEOUT_SECONDS, "seconds")
        check_int_range("batching_window_seconds", batching_window_seconds, (0, 300), "seconds")
        check_int_range("max_receive_count", max_receive_count, MAX_RECEIVE_COUNT, "receipts")
        check_int_range("retention_days", retention_days, (1, 14), "days")
        # At most 6 x 900 s + 300 s, well inside SQS's 12-hour visibility limit.
        visibility = VISIBILITY_PER_TIMEOUT * consumer_timeout_seconds + batching_window_seconds
        super().__init__(scope, construct_id)
        self.max_receive_count = max_receive_count
        self.visibility_timeout = Duration.seconds(visibility)
        self.dead_letter = FailureQueue(
            self, "DeadLetter", purpose=f"messages received {max_receive_count} times", encryption_key=encryption_key
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            visibility_timeout=Duration.seconds(visibility),
            retention_period=Duration.days(retention_days),
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=max_receive_count, queue=self.dead_letter.queue),
            **secure_queue_props(encryption_key),
        )

    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` send messages (and use the key, if any)."""
        return self.queue.grant_send_messages(grantee)

    def grant_consume(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` receive, delete and extend the visibility of messages."""
        return self.queue.grant_consume_messages(grantee)

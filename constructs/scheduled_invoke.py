"""LambdaInvoke: EventBridge Scheduler's Lambda target whose role may also use an encrypted dead-letter queue's key."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs


class LambdaInvoke(scheduler_targets.LambdaInvoke):
    """CDK's ``LambdaInvoke``, plus the dead-letter queue's KMS key for the schedule's role.

    EventBridge Scheduler delivers dead-letter events with the schedule's execution role. CDK grants that
    role ``sqs:SendMessage`` on the queue but not the queue's customer-managed key, so with one the
    events would be refused and lost; this target adds what SQS asks of a producer to an encrypted queue,
    ``kms:GenerateDataKey`` and ``kms:Decrypt``, on that key only.
    """

    def __init__(self, func: lambda_.IFunction, *, dead_letter_queue: sqs.IQueue, **props: Any) -> None:
        """
        :param func: the function (or alias) the schedule invokes.
        :param dead_letter_queue: where invocations that could not be delivered go.
        Other props as ``aws_scheduler_targets.LambdaInvoke``.
        """
        super().__init__(func, dead_letter_queue=dead_letter_queue, **props)
        self._dead_letter_key = dead_letter_queue.encryption_master_key

    def _add_target_action_to_role(self, role: iam.IRole) -> None:
        super()._add_target_action_to_role(role)
        if self._dead_letter_key is not None:
            self._dead_letter_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt")

"""MessageKey: the customer-managed key of one stack's queues, admitting only the AWS services that write to them."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from catalog_constructs.retained_key import retained_key

from constructs import Construct


class MessageKey(Construct):
    """A rotated, retained key for the queues of one stack (retained too: what they hold is the last copy).

    Who may use it: the account's IAM principals that are granted it (``queue.grant_send_messages(fn)``,
    an event source mapping's ``grant_consume_messages`` and the destinations' grants add the key to the
    role), SNS for a topic that a queue with this key subscribes to (``SqsSubscription`` adds that
    statement itself, naming the topic), and EventBridge rules once ``admit_event_rules`` is called.
    A topic must not use this key when a queue with this key subscribes to it: the key policy names
    the topic, and the topic would name the key (a circular dependency).
    """

    def __init__(self, scope: Construct, construct_id: str, *, description: str) -> None:
        """
        :param description: what the key encrypts, shown in the KMS console (e.g. the stack's path).
        """
        super().__init__(scope, construct_id)
        self.key = retained_key(self, "Key", description=description)
        self._admits_event_rules = False

    def admit_event_rules(self) -> None:
        """Let EventBridge rules of this account and region write to queues with this key (a rule's dead-letter queue).

        The rule's own ARN cannot be named: its dead-letter queue uses this key, so the key policy would
        depend on the rule that depends on the queue that depends on the key. The queue's policy, which CDK
        writes, admits the one rule (``aws:SourceArn``); this statement keeps EventBridge to this account's
        rules (``aws:SourceAccount``, as AWS advises when the source ARN is not known).
        """
        if self._admits_event_rules:
            return
        self._admits_event_rules = True
        self.key.add_to_resource_policy(iam.PolicyStatement(
            sid="EventBridgeRulesOfThisAccountWriteDeadLetters",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            # What SQS asks of a producer to an encrypted queue (the SQS developer guide, key management).
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"],  # in a key policy, "*" is this key
            conditions={
                "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                "ArnLike": {"aws:SourceArn": f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/*"},
            },
        ))

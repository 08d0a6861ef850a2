"""AlarmsStack: where a stage's alarms go; deployed first, so every other stack can notify it."""

from __future__ import annotations

from aws_cdk import Stack
from catalog_constructs.alarm_topic import AlarmTopic

from constructs import Construct
from stacks.config import AlarmsConfig


class AlarmsStack(Stack):
    """The stage's alarm topic (or the existing one it names), or nothing when the stage notifies nobody."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: AlarmsConfig, topic_name: str,
        customer_managed_key: bool = False, **kwargs,
    ) -> None:
        """
        :param config: who is told.
        :param topic_name: the name of the stage's own topic.
        :param customer_managed_key: the stage encrypts its queues with customer-managed keys, so the queue of
            undeliverable notifications uses the topic's key (default no: SQS-managed encryption).
        """
        super().__init__(scope, construct_id, **kwargs)
        self.topic = AlarmTopic(
            self, "AlarmTopic", topic_name=topic_name, emails=config.emails, https_endpoints=config.https_endpoints,
            existing_topic_arn=config.topic_arn, encrypt_undelivered=customer_managed_key,
        )

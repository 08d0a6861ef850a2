"""AlarmTopic: the SNS topic every alarm of a stage notifies, encrypted with a key CloudWatch may use."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.failure_queue import FailureQueue
from catalog_constructs.nag import acknowledge
from catalog_constructs.retained_key import retained_key

from constructs import Construct

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class AlarmTopic(Construct):
    """Where alarms go: a topic of its own (with its subscribers) or an existing one.

    CloudWatch cannot publish to a topic encrypted with the AWS-managed ``alias/aws/sns`` key, so an
    own topic is encrypted with a customer-managed key whose policy lets ``cloudwatch.amazonaws.com``
    use it for this topic only (the encryption context SNS sends names the topic), and the topic admits
    CloudWatch alarms of this account only. ``notify(alarm)`` sends ALARM and OK to it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic_name: str,
        emails: Sequence[str] = (),
        https_endpoints: Sequence[str] = (),
        existing_topic_arn: str | None = None,
        encrypt_undelivered: bool = False,
    ) -> None:
        """
        :param topic_name: the topic's name (it is named so that its key policy can name it).
        :param emails: addresses subscribed by e-mail (each confirms once).
        :param https_endpoints: ``https://`` URLs subscribed (a pager or chat webhook).
        :param existing_topic_arn: notify this topic instead of creating one (its owner subscribes people;
            it must accept CloudWatch's publishes and, if encrypted, with a key CloudWatch may use).
        :param encrypt_undelivered: encrypt the queue of undeliverable notifications with the topic's key,
            which then admits SNS for this topic (default no: SQS-managed encryption).
        """
        import re

        for email in emails:
            if not re.fullmatch(_EMAIL, email):
                raise InvalidPropError("emails", email, "an e-mail address")
        for url in https_endpoints:
            if not url.startswith("https://"):
                raise InvalidPropError("https_endpoints", url, "an https:// URL")
        if existing_topic_arn is not None and not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}", existing_topic_arn):
            raise InvalidPropError("existing_topic_arn", existing_topic_arn, "an SNS topic ARN")
        super().__init__(scope, construct_id)
        self.key: kms.Key | None = None
        self.undelivered: FailureQueue | None = None
        if existing_topic_arn is not None:
            self.topic: sns.ITopic = sns.Topic.from_topic_arn(self, "Topic", existing_topic_arn)
        else:
            stack = Stack.of(self)
            topic_arn = stack.format_arn(service="sns", resource=topic_name)
            self.key = retained_key(self, "Key", description=f"Encrypts the alarm topic {topic_name}")
            self.key.add_to_resource_policy(iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheAlarmTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                # In a key policy '*' is this key; the condition limits it to this one topic.
                resources=["*"],
                conditions={"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}},
            ))
            topic = sns.Topic(self, "Topic", topic_name=topic_name, master_key=self.key, enforce_ssl=True)
            topic.add_to_resource_policy(iam.PolicyStatement(
                sid="CloudWatchAlarmsOfThisAccount",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ))
            # A notification SNS gives up on (an endpoint down for hours) is kept, and its own alarm tells.
            if encrypt_undelivered:
                self.key.add_to_resource_policy(iam.PolicyStatement(
                    sid="SnsKeepsUndeliveredAlarmNotifications",
                    principals=[iam.ServicePrincipal("sns.amazonaws.com")],
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=["*"],  # this key; SNS may use it on behalf of the alarm topic only
                    conditions={"ArnEquals": {"aws:SourceArn": topic_arn}},
                ))
            self.undelivered = FailureQueue(
                self, "Undelivered", purpose="alarm notifications SNS could not deliver",
                encryption_key=self.key if encrypt_undelivered else None,
            )
            acknowledge(
                self.undelivered.queue,
                "AwsSolutions-SQS3",
                "This queue is itself the dead-letter queue of the alarm subscriptions: it has no dead-letter "
                "queue of its own; its not-empty alarm tells people to inspect what it holds.",
            )
            for email in emails:
                topic.add_subscription(subscriptions.EmailSubscription(email, dead_letter_queue=self.undelivered.queue))
            for url in https_endpoints:
                topic.add_subscription(subscriptions.UrlSubscription(
                    url, protocol=sns.SubscriptionProtocol.HTTPS, dead_letter_queue=self.undelivered.queue,
                ))
            self.topic = topic
        self._action = cloudwatch_actions.SnsAction(self.topic)
        if self.undelivered is not None:
            self.notify(self.undelivered.alarm)

    def notify(self, *alarms: cloudwatch.Alarm) -> None:
        """Send each alarm's ALARM and OK to the topic: a person learns it fired, and that it cleared."""
        for alarm in alarms:
            alarm.add_alarm_action(self._action)
            alarm.add_ok_action(self._action)

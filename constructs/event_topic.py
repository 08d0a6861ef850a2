"""EventTopic: an encrypted, TLS-only SNS topic that functions publish events to."""

from __future__ import annotations

from aws_cdk import aws_iam as iam, aws_kms as kms, aws_sns as sns
from constructs import Construct


class EventTopic(Construct):
    """SNS topic encrypted at rest (the stage's key, else the AWS-managed SNS key), refusing non-TLS publishes."""

    def __init__(self, scope: Construct, construct_id: str, *, encryption_key: kms.IKey | None = None) -> None:
        """
        :param encryption_key: customer-managed KMS key (default: the AWS-managed ``alias/aws/sns`` key).
        """
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=encryption_key or kms.Alias.from_alias_name(self, "AwsManagedKey", "alias/aws/sns"),
            enforce_ssl=True,
        )

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` publish to the topic."""
        return self.topic.grant_publish(grantee)

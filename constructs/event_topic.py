"""EventTopic: an encrypted, TLS-only SNS topic that functions publish events to."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from constructs import Construct


class EventTopic(Construct):
    """SNS topic encrypted at rest (the stage's key, else the AWS-managed SNS key), refusing non-TLS publishes."""

    def __init__(self, scope: Construct, construct_id: str, *, encryption_key: kms.IKey | None = None) -> None:
        """
        :param encryption_key: customer-managed KMS key (default: the AWS-managed ``alias/aws/sns`` key).
        """
        super().__init__(scope, construct_id)
        self._customer_managed_key = encryption_key is not None
        self.topic = sns.Topic(
            self,
            "Topic",
            master_key=encryption_key or kms.Alias.from_alias_name(self, "AwsManagedKey", "alias/aws/sns"),
            enforce_ssl=True,
        )

    def grant_publish(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` publish to the topic (and use its key, when it is customer-managed)."""
        if self._customer_managed_key:
            return self.topic.grant_publish(grantee)
        # Topic.grant_publish would also grant KMS actions on every key of the account (an imported
        # alias has no key ARN). The AWS-managed SNS key's own policy already admits in-account callers
        # through SNS, so publishing needs sns:Publish on this topic only.
        return iam.Grant.add_to_principal(grantee=grantee, actions=["sns:Publish"], resource_arns=[self.topic.topic_arn])

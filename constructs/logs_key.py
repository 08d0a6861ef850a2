"""LogsKey: a customer-managed KMS key that only CloudWatch Logs may use, and only for the stage's log groups."""

from __future__ import annotations

import re

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.retained_key import retained_key

from constructs import Construct

_PREFIX = re.compile(r"^/([A-Za-z0-9_.#-]+/)+$")


class LogsKey(Construct):
    """A rotated, retained key whose policy admits the CloudWatch Logs service for log groups under one prefix.

    CloudWatch Logs encrypts a log group with a key only if the key policy lets the service use it; the
    policy here names the log groups by prefix (``kms:EncryptionContext:aws:logs:arn``), so the key
    protects the stage's logs and nothing else. Log groups that use it need names under the prefix:
    ``log_group_name``.
    """

    def __init__(self, scope: Construct, construct_id: str, *, log_group_prefix: str) -> None:
        """
        :param log_group_prefix: the names the key admits, e.g. ``/orders/prod/`` (slash-delimited, ending in /).
        """
        if not isinstance(log_group_prefix, str) or not _PREFIX.fullmatch(log_group_prefix):
            raise InvalidPropError("log_group_prefix", log_group_prefix, "a log group name prefix such as /orders/prod/")
        super().__init__(scope, construct_id)
        self.prefix = log_group_prefix
        self.key = retained_key(self, "Key", description=f"Encrypts the log groups under {log_group_prefix}")
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsForTheStageLogGroupsOnly",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn":
                        f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{log_group_prefix}*"
                }},
            )
        )

    def log_group_name(self, suffix: str) -> str:
        """The name a log group encrypted with this key must have (``<prefix><suffix>``)."""
        return self.prefix + suffix.strip("/")

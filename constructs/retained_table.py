"""RetainedTable: a DynamoDB table built so that its data is never lost by accident."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from catalog_constructs.errors import InvalidPropError

from constructs import Construct

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,254}$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{3,255}$")
# DynamoDB's quota of global secondary indexes per table.
MAX_GLOBAL_INDEXES = 20


@dataclass(frozen=True, kw_only=True)
class ProvisionedCapacity:
    """Provisioned billing with target-tracking autoscaling on reads and writes."""

    min_read: int = 5
    max_read: int = 100
    min_write: int = 5
    max_write: int = 100
    target_utilization_percent: int = 70


@dataclass(frozen=True, kw_only=True)
class GlobalIndex:
    """A global secondary index: another key to query the table by."""

    name: str
    partition_key: dynamodb.Attribute
    sort_key: dynamodb.Attribute | None = None
    # ALL (default) or KEYS_ONLY: INCLUDE needs a list of attributes this declaration does not offer.
    projection: dynamodb.ProjectionType = dynamodb.ProjectionType.ALL


class RetainedTable(Construct):
    """A DynamoDB table retained when removed from its stack, with point-in-time recovery always on.

    Encryption at rest uses the AWS-managed key unless a customer-managed key is given; deletion
    protection is on unless turned off. Changing the key schema replaces the table: the replacement
    guard (``make snapshot-update``) refuses that without an acknowledgement.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        partition_key: dynamodb.Attribute,
        sort_key: dynamodb.Attribute | None = None,
        global_indexes: Sequence[GlobalIndex] = (),
        table_name: str | None = None,
        provisioned: ProvisionedCapacity | None = None,
        encryption_key: kms.IKey | None = None,
        deletion_protection: bool = True,
        stream: dynamodb.StreamViewType | None = None,
        time_to_live_attribute: str | None = None,
        logical_id: str | None = None,
    ) -> None:
        """
        :param partition_key: the partition key (name and type). Changing it replaces the table.
        :param sort_key: the sort key (default none). Changing it replaces the table.
        :param global_indexes: global secondary indexes, at most 20 (default none).
        :param table_name: physical table name (default: generated). Changing it replaces the table.
        :param provisioned: provisioned capacity with autoscaling (default: on-demand billing).
        :param encryption_key: customer-managed KMS key (default: the AWS-managed key).
        :param deletion_protection: refuse DeleteTable, even from CloudFormation (default on).
        :param stream: emit a DynamoDB stream with this view (default: no stream).
        :param time_to_live_attribute: attribute holding an epoch-seconds expiry (default: no TTL).
        :param logical_id: the CloudFormation logical id to keep (default: derived from the construct path);
            for a table created under another construct path, so that it is never replaced.
        """
        if table_name is not None and not _TABLE_NAME.fullmatch(table_name):
            raise InvalidPropError("table_name", table_name, "3-255 characters of letters, digits, _ . -")
        keys = [("partition_key", partition_key.name), ("sort_key", sort_key.name if sort_key else None),
                ("time_to_live_attribute", time_to_live_attribute)]
        keys += [(f"global_indexes.{i.name}.partition_key", i.partition_key.name) for i in global_indexes]
        keys += [(f"global_indexes.{i.name}.sort_key", i.sort_key.name) for i in global_indexes if i.sort_key]
        for field, value in keys:
            if value is not None and not _ATTRIBUTE_NAME.fullmatch(value):
                raise InvalidPropError(field, value, "an attribute name of letters, digits, _ . - (max 255)")
        if len(global_indexes) > MAX_GLOBAL_INDEXES:
            raise InvalidPropError("global_indexes", len(global_indexes), f"at most {MAX_GLOBAL_INDEXES} indexes (DynamoDB's quota)")
        names = [index.name for index in global_indexes]
        for name in names:
            if names.count(name) > 1 or not _TABLE_NAME.fullmatch(name):
                raise InvalidPropError("global_indexes.name", name, "a unique index name of 3-255 letters, digits, _ . -")
        if provisioned is not None:
            _check_capacity(provisioned)
        super().__init__(scope, construct_id)

        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=partition_key,
            sort_key=sort_key,
            billing_mode=(
                dynamodb.BillingMode.PROVISIONED if provisioned else dynamodb.BillingMode.PAY_PER_REQUEST
            ),
            read_capacity=provisioned.min_read if provisioned else None,
            write_capacity=provisioned.min_write if provisioned else None,
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED if encryption_key else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=encryption_key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=deletion_protection,
            stream=stream,
            time_to_live_attribute=time_to_live_attribute,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in global_indexes:
            # Provisioned tables give each index the table's minimum capacity (autoscaled with it below).
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=index.partition_key,
                sort_key=index.sort_key,
                projection_type=index.projection,
                read_capacity=provisioned.min_read if provisioned else None,
                write_capacity=provisioned.min_write if provisioned else None,
            )
        if provisioned:
            for scaling in (
                self.table.auto_scale_read_capacity(min_capacity=provisioned.min_read, max_capacity=provisioned.max_read),
                self.table.auto_scale_write_capacity(
                    min_capacity=provisioned.min_write, max_capacity=provisioned.max_write
                ),
            ):
                scaling.scale_on_utilization(target_utilization_percent=provisioned.target_utilization_percent)
        if logical_id is not None:
            self.table.node.default_child.override_logical_id(logical_id)
        self.partition_key = partition_key.name
        self.sort_key = sort_key.name if sort_key else None
        self.index_names = tuple(names)

    def grant_read_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read items (the table and its indexes, and use the key for that)."""
        if not self.index_names:
            return self.table.grant_read_data(grantee)
        return self._grant_with_indexes(grantee, _READ_ACTIONS, _KEY_READ_ACTIONS)

    def grant_read_write_data(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read and write items (the table and its indexes, and use the key for that)."""
        if not self.index_names:
            return self.table.grant_read_write_data(grantee)
        return self._grant_with_indexes(grantee, _READ_ACTIONS + _WRITE_ACTIONS, _KEY_READ_WRITE_ACTIONS)

    def _grant_with_indexes(self, grantee: iam.IGrantable, actions: tuple[str, ...], key_actions: tuple[str, ...]) -> iam.Grant:
        # Table.grant_* would name the indexes as "<table>/index/*", a wildcard: each index is named instead.
        arn = self.table.table_arn
        grant = iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[arn, *(f"{arn}/index/{name}" for name in self.index_names)]
        )
        if self.table.encryption_key is not None:
            self.table.encryption_key.grant(grantee, *key_actions)
        return grant


# The actions Table.grant_read_data / grant_read_write_data give (aws-dynamodb/lib/perms.ts).
_READ_ACTIONS = (
    "dynamodb:BatchGetItem", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:Query", "dynamodb:GetItem",
    "dynamodb:Scan", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
)
_WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
_KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
_KEY_READ_WRITE_ACTIONS = (*_KEY_READ_ACTIONS, "kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*")


def _check_capacity(capacity: ProvisionedCapacity) -> None:
    for kind in ("read", "write"):
        low, high = getattr(capacity, f"min_{kind}"), getattr(capacity, f"max_{kind}")
        if not (isinstance(low, int) and low >= 1):
            raise InvalidPropError(f"provisioned.min_{kind}", low, "an integer of at least 1")
        if not (isinstance(high, int) and high >= low):
            raise InvalidPropError(f"provisioned.max_{kind}", high, f"an integer of at least min_{kind} ({low})")
    if not 10 <= capacity.target_utilization_percent <= 90:
        raise InvalidPropError(
            "provisioned.target_utilization_percent", capacity.target_utilization_percent, "10 to 90"
        )

"""ProductTable: the DynamoDB table that holds the catalog."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import RemovalPolicy, aws_dynamodb as dynamodb, aws_kms as kms
from constructs import Construct

from catalog_constructs.errors import InvalidPropError

_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,254}$")
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{3,255}$")


@dataclass(frozen=True, kw_only=True)
class ProvisionedCapacity:
    """Provisioned billing with target-tracking autoscaling on reads and writes."""

    min_read: int = 5
    max_read: int = 100
    min_write: int = 5
    max_write: int = 100
    target_utilization_percent: int = 70


class ProductTable(Construct):
    """A DynamoDB table keyed by a string partition key, built so data is never lost by accident.

    Point-in-time recovery is always on, the table is retained when removed from the stack, and
    encryption at rest uses the AWS-managed key unless a customer-managed key is given.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table_name: str | None = None,
        partition_key: str = "id",
        provisioned: ProvisionedCapacity | None = None,
        encryption_key: kms.IKey | None = None,
        deletion_protection: bool = True,
        stream: dynamodb.StreamViewType | None = None,
        time_to_live_attribute: str | None = None,
    ) -> None:
        """
        :param table_name: physical table name (default: generated). Changing it replaces the table.
        :param partition_key: name of the string partition key (default ``id``). Changing it replaces the table.
        :param provisioned: provisioned capacity with autoscaling (default: on-demand billing).
        :param encryption_key: customer-managed KMS key (default: the AWS-managed key).
        :param deletion_protection: refuse DeleteTable, even from CloudFormation (default on).
        :param stream: emit a DynamoDB stream with this view (default: no stream).
        :param time_to_live_attribute: attribute holding an epoch-seconds expiry (default: no TTL).
        """
        if table_name is not None and not _TABLE_NAME.fullmatch(table_name):
            raise InvalidPropError("table_name", table_name, "3-255 characters of letters, digits, _ . -")
        for field, value in (("partition_key", partition_key), ("time_to_live_attribute", time_to_live_attribute)):
            if value is not None and not _ATTRIBUTE_NAME.fullmatch(value):
                raise InvalidPropError(field, value, "an attribute name of letters, digits, _ . - (max 255)")
        if provisioned is not None:
            _check_capacity(provisioned)
        super().__init__(scope, construct_id)

        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name,
            partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
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
        if provisioned:
            for scaling in (
                self.table.auto_scale_read_capacity(min_capacity=provisioned.min_read, max_capacity=provisioned.max_read),
                self.table.auto_scale_write_capacity(
                    min_capacity=provisioned.min_write, max_capacity=provisioned.max_write
                ),
            ):
                scaling.scale_on_utilization(target_utilization_percent=provisioned.target_utilization_percent)
        self.partition_key = partition_key


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

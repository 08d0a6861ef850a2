"""IdempotencyTable: where the API records Idempotency-Key requests so retries never duplicate a product."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from catalog_constructs.product_table import ProductTable

# The attribute names Powertools' DynamoDB persistence layer writes.
KEY_ATTRIBUTE = "id"
EXPIRY_ATTRIBUTE = "expiration"


class IdempotencyTable(Construct):
    """A secure, retained, on-demand table keyed like Powertools' idempotency records, with TTL expiry."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        encryption_key: kms.IKey | None = None,
        deletion_protection: bool = True,
    ) -> None:
        """
        :param encryption_key: customer-managed KMS key (default: the AWS-managed key).
        :param deletion_protection: refuse DeleteTable, even from CloudFormation (default on).
        """
        super().__init__(scope, construct_id)
        self.store = ProductTable(
            self,
            "Store",
            partition_key=KEY_ATTRIBUTE,
            time_to_live_attribute=EXPIRY_ATTRIBUTE,
            encryption_key=encryption_key,
            deletion_protection=deletion_protection,
        )
        self.table = self.store.table

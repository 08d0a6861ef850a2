"""StatefulStack: everything that holds data (tables, file system, user pool), apart from the code."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack, aws_dynamodb as dynamodb, aws_efs as efs, aws_kms as kms
from constructs import Construct

from catalog_constructs.idempotency_table import IdempotencyTable
from catalog_constructs.product_table import ProductTable, ProvisionedCapacity
from catalog_constructs.product_user_pool import ProductUserPool
from catalog_constructs.service_network import ServiceNetwork
from catalog_constructs.shared_file_system import SharedFileSystem
from stacks.config import StageConfig, config_section


class StatefulStack(Stack):
    """Data that must survive any redeploy of the service: every resource here is retained."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        network: ServiceNetwork,
        product_stream: str | None = None,
        **kwargs,
    ) -> None:
        """
        :param product_stream: the product table's stream view the stream triggers need (default: as configured).
        """
        super().__init__(scope, construct_id, termination_protection=config.termination_protection, **kwargs)
        table = config.table
        self.encryption_key = (
            kms.Key(
                self,
                "DataKey",
                description="Encrypts the product catalog tables",
                enable_key_rotation=True,
                removal_policy=RemovalPolicy.RETAIN,
                pending_window=Duration.days(30),
            )
            if table.customer_managed_key
            else None
        )
        with config_section("table"):
            self.product_table = ProductTable(
                self,
                "ProductTable",
                table_name=table.table_name,
                partition_key=table.partition_key,
                provisioned=ProvisionedCapacity(**table.provisioned.model_dump()) if table.provisioned else None,
                encryption_key=self.encryption_key,
                deletion_protection=table.deletion_protection,
                stream=dynamodb.StreamViewType[stream] if (stream := product_stream or table.stream) else None,
                time_to_live_attribute=table.time_to_live_attribute,
            )
        # Bulk import records (counts and errors per import), expired 30 days after the import.
        self.imports_table = ProductTable(
            self,
            "ImportsTable",
            partition_key="id",
            time_to_live_attribute="expires_at",
            encryption_key=self.encryption_key,
            deletion_protection=table.deletion_protection,
        )
        self.idempotency_table = IdempotencyTable(
            self,
            "IdempotencyTable",
            encryption_key=self.encryption_key,
            deletion_protection=table.deletion_protection,
        )
        fs = config.file_system
        with config_section("file_system"):
            self.file_system = SharedFileSystem(
                self,
                "FileSystem",
                vpc=network.vpc,
                vpc_subnets=network.private_subnets,
                root_path=fs.root_path,
                posix_uid=fs.posix_uid,
                posix_gid=fs.posix_gid,
                root_permissions=fs.root_permissions,
                automatic_backups=fs.automatic_backups,
                performance_mode=(
                    efs.PerformanceMode.MAX_IO if fs.performance_mode == "maxIO" else efs.PerformanceMode.GENERAL_PURPOSE
                ),
                throughput_mode=efs.ThroughputMode.BURSTING if fs.throughput_mode == "bursting" else efs.ThroughputMode.ELASTIC,
            )
        # The tables by the names function declarations use (stacks/declaration_checks.TABLES).
        self.tables: dict[str, ProductTable] = {
            "product": self.product_table, "idempotency": self.idempotency_table.store, "imports": self.imports_table,
        }
        self.user_pool = ProductUserPool(
            self, "UserPool", deletion_protection=config.user_pool_deletion_protection
        )

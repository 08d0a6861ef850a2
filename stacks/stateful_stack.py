"""StatefulStack: everything that holds data (tables, file system, user pool), apart from the code."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_efs as efs
from catalog_constructs.retained_key import retained_key
from catalog_constructs.retained_table import GlobalIndex, ProvisionedCapacity, RetainedTable
from catalog_constructs.service_network import ServiceNetwork
from catalog_constructs.shared_file_system import SharedFileSystem
from catalog_constructs.user_pool import ServiceUserPool

from constructs import Construct
from stacks.config import ProvisionedConfig, StageConfig, config_section
from stacks.service_definition import KeyType, ServiceDefinition, TableDeclaration

_ATTRIBUTE_TYPES = {
    "string": dynamodb.AttributeType.STRING, "number": dynamodb.AttributeType.NUMBER, "binary": dynamodb.AttributeType.BINARY,
}


def _attribute(name: str | None, kind: KeyType) -> dynamodb.Attribute | None:
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[kind]) if name else None


class StatefulStack(Stack):
    """Data that must survive any redeploy of the service: every resource here is retained."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: ServiceDefinition,
        config: StageConfig,
        network: ServiceNetwork,
        **kwargs,
    ) -> None:
        """
        :param definition: the service whose tables (and file system, user pool) this stack holds.
        :param config: the stage's settings (data protection, table names and capacity, file system).
        :param network: the VPC the file system's mount targets are placed in.
        """
        super().__init__(scope, construct_id, termination_protection=config.termination_protection, **kwargs)
        data = config.data
        self.encryption_key = (
            retained_key(self, "DataKey", description=f"Encrypts the {definition.name.replace('-', ' ')} tables")
            if data.customer_managed_key
            else None
        )
        # The tables by their declared names: what function declarations grant and stream from.
        self.tables: dict[str, RetainedTable] = {}
        for table in definition.tables:
            with config_section(f"tables.{table.name}"):
                self.tables[table.name] = self._table(definition, table, config)
        self.file_system: SharedFileSystem | None = None
        if definition.needs_file_system:
            fs, declared = config.file_system, definition.file_system
            with config_section("file_system"):
                self.file_system = SharedFileSystem(
                    self,
                    "FileSystem",
                    vpc=network.vpc,
                    vpc_subnets=network.private_subnets,
                    root_path=declared.root_path,
                    posix_uid=declared.posix_uid,
                    posix_gid=declared.posix_gid,
                    root_permissions=declared.root_permissions,
                    automatic_backups=fs.automatic_backups,
                    performance_mode=(
                        efs.PerformanceMode.MAX_IO if fs.performance_mode == "maxIO" else efs.PerformanceMode.GENERAL_PURPOSE
                    ),
                    throughput_mode=(
                        efs.ThroughputMode.BURSTING if fs.throughput_mode == "bursting" else efs.ThroughputMode.ELASTIC
                    ),
                )
        self.user_pool = (
            ServiceUserPool(self, "UserPool", deletion_protection=config.user_pool_deletion_protection)
            if definition.api is not None
            else None
        )

    def _table(self, definition: ServiceDefinition, table: TableDeclaration, config: StageConfig) -> RetainedTable:
        settings = config.tables.get(table.name)
        provisioned = settings.provisioned if settings else None
        if provisioned is None and table.billing == "provisioned":
            provisioned = ProvisionedConfig()
        stream = definition.stream_view(table.name)
        return RetainedTable(
            self,
            table.construct_id,
            partition_key=_attribute(table.partition_key, table.partition_key_type),
            sort_key=_attribute(table.sort_key, table.sort_key_type),
            global_indexes=[
                GlobalIndex(
                    name=index.name,
                    partition_key=_attribute(index.partition_key, index.partition_key_type),
                    sort_key=_attribute(index.sort_key, index.sort_key_type),
                    projection=dynamodb.ProjectionType.ALL if index.projection == "all" else dynamodb.ProjectionType.KEYS_ONLY,
                )
                for index in table.indexes
            ],
            table_name=settings.table_name if settings else None,
            provisioned=ProvisionedCapacity(**provisioned.model_dump()) if provisioned else None,
            encryption_key=self.encryption_key,
            deletion_protection=config.data.deletion_protection,
            stream=dynamodb.StreamViewType[stream] if stream else None,
            time_to_live_attribute=table.time_to_live_attribute,
            logical_id=table.logical_id,
        )

"""ServiceStack: the stateless service (function, alias, deployments, API); safe to destroy and redeploy."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnOutput, Stack, aws_codedeploy as codedeploy, aws_lambda as lambda_
from constructs import Construct

from catalog_constructs.nag import acknowledge
from catalog_constructs.product_api import ProductApi
from catalog_constructs.python_bundle import bundled_code
from catalog_constructs.service_function import EfsMount, RollbackAlarms, ServiceFunction
from catalog_constructs.service_network import ServiceNetwork
from stacks.config import StageConfig, config_section
from stacks.retention import retention
from stacks.stateful_stack import StatefulStack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PACKAGE = PROJECT_ROOT / "runtime" / "product_api"
RUNTIME_REQUIREMENTS = PROJECT_ROOT / "runtime" / "requirements.txt"
BUNDLE_CACHE = PROJECT_ROOT / ".cache" / "lambda"
HANDLER = "product_api.handler.lambda_handler"
SERVICE_NAME = "product-catalog"


class ServiceStack(Stack):
    """The product function behind the REST API, released through CodeDeploy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        network: ServiceNetwork,
        stateful: StatefulStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        fn = config.function
        product_table = stateful.product_table.table
        idempotency_table = stateful.idempotency_table.table
        with config_section("function"):
            code = bundled_code(
                package_dir=RUNTIME_PACKAGE,
                requirements=RUNTIME_REQUIREMENTS,
                python_version=fn.python_version,
                architecture=fn.architecture,
                cache_dir=BUNDLE_CACHE,
            )
        application = codedeploy.LambdaApplication(self, "DeploymentApplication")
        with config_section("function"):
            self.product_function = ServiceFunction(
                self,
                "ProductFunction",
                code=code,
                handler=HANDLER,
                description="Product catalog CRUD behind /product",
                vpc=network.vpc,
                vpc_subnets=network.private_subnets,
                python_version=fn.python_version,
                architecture=fn.architecture,
                memory_size=fn.memory_size,
                timeout_seconds=fn.timeout_seconds,
                ephemeral_storage_mb=fn.ephemeral_storage_mb,
                reserved_concurrent_executions=fn.reserved_concurrent_executions,
                log_retention=retention(fn.log_retention_days),
                environment={
                    "DYNAMODB_TABLE_NAME": product_table.table_name,
                    "PRIMARY_KEY": stateful.product_table.partition_key,
                    "IDEMPOTENCY_TABLE_NAME": idempotency_table.table_name,
                    "FILES_ROOT": fn.mount_path,
                    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                    "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalog",
                    "POWERTOOLS_LOG_LEVEL": fn.log_level,
                    **fn.environment,
                },
                layers=[
                    lambda_.LayerVersion.from_layer_version_arn(self, f"Layer{index}", arn)
                    for index, arn in enumerate(fn.layers)
                ],
                efs_mount=EfsMount(
                    file_system=stateful.file_system.file_system,
                    access_point=stateful.file_system.access_point,
                    security_group=stateful.file_system.security_group,
                    mount_path=fn.mount_path,
                ),
                deployment_config=fn.deployment_config,
                rollback_alarms=RollbackAlarms(
                    errors_per_minute=fn.alarm_errors_per_minute, throttles_per_minute=fn.alarm_throttles_per_minute
                ),
                application=application,
            )
        product_table.grant_read_write_data(self.product_function.role)
        idempotency_table.grant_read_write_data(self.product_function.role)
        if stateful.encryption_key is not None:
            acknowledge(
                self.product_function.role,
                "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                "Granted by Table.grant_read_write_data on the one customer-managed table key: the action "
                "wildcard covers GenerateDataKey variants DynamoDB uses, on that key's ARN only.",
            )
            acknowledge(
                self.product_function.role,
                "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
                "Granted by Table.grant_read_write_data on the one customer-managed table key: the action "
                "wildcard covers ReEncryptFrom/To, on that key's ARN only.",
            )

        api = config.api
        with config_section("api"):
            self.api = ProductApi(
                self,
                "ProductApi",
                handler=self.product_function.alias,
                user_pool=stateful.user_pool.user_pool,
                stage_name=api.stage_name,
                authorize_reads=api.authorize_reads,
                throttling_rate_limit=api.throttling_rate_limit,
                throttling_burst_limit=api.throttling_burst_limit,
                cors_allow_origins=api.cors_allow_origins,
                access_log_retention=retention(api.access_log_retention_days),
                manage_account_cloudwatch_role=api.manage_account_cloudwatch_role,
                web_acl_arn=api.web_acl_arn,
            )
        CfnOutput(self, "ProductApiUrl", value=f"{self.api.url}product", description="Base URL of /product")
        CfnOutput(self, "UserPoolClientId", value=stateful.user_pool.client.user_pool_client_id)

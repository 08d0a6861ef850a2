"""ServiceFunction: a Python Lambda function in the VPC, released through a CodeDeploy-managed alias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import (
    Duration,
    RemovalPolicy,
    Size,
    aws_cloudwatch as cloudwatch,
    aws_codedeploy as codedeploy,
    aws_ec2 as ec2,
    aws_efs as efs,
    aws_iam as iam,
    aws_lambda as lambda_,
    aws_logs as logs,
)
from constructs import Construct

from catalog_constructs import lambda_limits
from catalog_constructs.deployment_configs import lambda_deployment_config
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.nag import acknowledge
from catalog_constructs.lambda_limits import PYTHON_VERSIONS

PYTHON_RUNTIMES: dict[str, lambda_.Runtime] = {
    "3.12": lambda_.Runtime.PYTHON_3_12,
    "3.13": lambda_.Runtime.PYTHON_3_13,
    "3.14": lambda_.Runtime.PYTHON_3_14,
}
assert tuple(PYTHON_RUNTIMES) == PYTHON_VERSIONS, "python_bundle and ServiceFunction must accept the same versions"
LAMBDA_ARCHITECTURES: dict[str, lambda_.Architecture] = {
    "arm64": lambda_.Architecture.ARM_64,
    "x86_64": lambda_.Architecture.X86_64,
}
LATEST_PYTHON = max(PYTHON_RUNTIMES, key=lambda version: tuple(map(int, version.split("."))))
NFS_PORT = 2049


@dataclass(frozen=True, kw_only=True)
class EfsMount:
    """Where and how a function mounts a file system's access point."""

    file_system: efs.IFileSystem
    access_point: efs.IAccessPoint
    security_group: ec2.ISecurityGroup
    mount_path: str = "/mnt/product"
    read_only: bool = False


@dataclass(frozen=True, kw_only=True)
class RollbackAlarms:
    """Thresholds of the alias alarms that stop a deployment and roll it back."""

    errors_per_minute: int = 1
    throttles_per_minute: int = 1
    evaluation_minutes: int = 1


class ServiceFunction(Construct):
    """A Python Lambda function with its own role, log group, security group, version and ``live`` alias.

    Every release publishes a new version; CodeDeploy shifts the alias to it with the configured
    strategy and rolls back when the alias' error or throttle alarm fires or the deployment fails.
    Callers (API Gateway, other services) must invoke ``alias``, never the unqualified function.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        description: str | None = None,
        python_version: str = "3.13",
        architecture: str = "arm64",
        memory_size: int = 512,
        timeout_seconds: int = 10,
        ephemeral_storage_mb: int = 512,
        environment: Mapping[str, str] | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        reserved_concurrent_executions: int | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        efs_mount: EfsMount | None = None,
        alias_name: str = "live",
        deployment_config: str = "AllAtOnce",
        rollback_alarms: RollbackAlarms = RollbackAlarms(),
        application: codedeploy.ILambdaApplication | None = None,
        pre_traffic_hook: lambda_.IFunction | None = None,
        post_traffic_hook: lambda_.IFunction | None = None,
    ) -> None:
        """
        :param code: the deployment package.
        :param handler: ``module.function`` Lambda calls.
        :param vpc: the VPC the function's ENIs are placed in.
        :param vpc_subnets: subnets for the ENIs (use private subnets with egress).
        :param description: shown in the console (default none).
        :param python_version: ``3.12``, ``3.13`` or ``3.14`` (default ``3.13``).
        :param architecture: ``arm64`` or ``x86_64`` (default ``arm64``: cheaper per GB-second).
        :param memory_size: MB, 128-10240 (default 512; CPU scales with memory).
        :param timeout_seconds: 1-900 (default 10; API Gateway gives up after 29).
        :param ephemeral_storage_mb: size of /tmp, 512-10240 MB (default 512).
        :param environment: variables, at most 4 KB in total (default none).
        :param layers: at most 5 layers (default none).
        :param reserved_concurrent_executions: reserved concurrency (default: unreserved).
        :param log_retention: retention of the function's own log group (default three months).
        :param efs_mount: an EFS access point to mount under /mnt/ (default none).
        :param alias_name: the alias callers invoke (default ``live``).
        :param deployment_config: CodeDeploy traffic shifting, e.g. ``Canary10Percent5Minutes`` (default ``AllAtOnce``).
        :param rollback_alarms: thresholds of the alarms that roll a deployment back (default: any error or throttle).
        :param application: CodeDeploy application to group deployments under (default: one is created).
        :param pre_traffic_hook: function CodeDeploy runs before shifting traffic (default none).
        :param post_traffic_hook: function CodeDeploy runs after shifting traffic (default none).
        """
        lambda_limits.check_runtime(python_version, architecture)
        lambda_limits.check_memory(memory_size)
        lambda_limits.check_timeout(timeout_seconds)
        lambda_limits.check_ephemeral_storage(ephemeral_storage_mb)
        environment = dict(environment or {})
        lambda_limits.check_environment(environment)
        lambda_limits.check_layers(layers)
        lambda_limits.check_reserved_concurrency(reserved_concurrent_executions)
        if efs_mount is not None:
            lambda_limits.check_mount_path(efs_mount.mount_path)
        config = lambda_deployment_config(deployment_config)
        for name in ("errors_per_minute", "throttles_per_minute", "evaluation_minutes"):
            lambda_limits.check_int_range(f"rollback_alarms.{name}", getattr(rollback_alarms, name), (1, 10_000), "count")
        if not alias_name or not alias_name.replace("-", "").replace("_", "").isalnum() or alias_name[0].isdigit():
            raise InvalidPropError("alias_name", alias_name, "letters, digits, - and _, not starting with a digit")
        super().__init__(scope, construct_id)

        self.log_group = logs.LogGroup(
            self, "LogGroup", retention=log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        # One role per function, never shared: its grants describe exactly what this function may do.
        self.role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {self.node.path}",
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ManageVpcNetworkInterfaces",
                actions=[
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=["*"],
            )
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description=f"{self.node.path}: HTTPS to AWS APIs, NFS to its file system",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (via gateway endpoints or NAT)"
        )
        filesystem = self._mount(efs_mount) if efs_mount else None

        self.function = lambda_.Function(
            self,
            "Function",
            code=code,
            handler=handler,
            runtime=PYTHON_RUNTIMES[python_version],
            architecture=LAMBDA_ARCHITECTURES[architecture],
            description=description,
            role=self.role,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=[self.security_group],
            memory_size=memory_size,
            timeout=Duration.seconds(timeout_seconds),
            ephemeral_storage_size=Size.mebibytes(ephemeral_storage_mb),
            environment=environment,
            layers=list(layers),
            reserved_concurrent_executions=reserved_concurrent_executions,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            filesystem=filesystem,
            # Old versions stay so CodeDeploy (and people) can roll back to them.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.RETAIN),
        )
        self.alias = lambda_.Alias(
            self, "Alias", alias_name=alias_name, version=self.function.current_version
        )
        self.alarms = self._rollback_alarms(rollback_alarms)
        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            alias=self.alias,
            application=application,
            deployment_config=config,
            alarms=self.alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            pre_hook=pre_traffic_hook,
            post_hook=post_traffic_hook,
        )
        self._acknowledge_findings(python_version)

    def _mount(self, mount: EfsMount) -> lambda_.FileSystem:
        """Let this function, and only it, mount the access point: network path and IAM grant."""
        ec2.CfnSecurityGroupIngress(
            self,
            "EfsIngress",
            group_id=mount.security_group.security_group_id,
            source_security_group_id=self.security_group.security_group_id,
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            description=f"NFS from {self.node.path}",
        )
        self.security_group.add_egress_rule(
            ec2.Peer.security_group_id(mount.security_group.security_group_id),
            ec2.Port.tcp(NFS_PORT),
            "NFS to the mounted file system",
        )
        actions = ["elasticfilesystem:ClientMount"] + ([] if mount.read_only else ["elasticfilesystem:ClientWrite"])
        # Built by hand rather than FileSystem.fromEfsAccessPoint, which grants ClientMount on "*":
        # this grant names the file system and is only usable through this access point.
        return lambda_.FileSystem(
            arn=mount.access_point.access_point_arn,
            local_mount_path=mount.mount_path,
            policies=[
                iam.PolicyStatement(
                    sid="MountThroughAccessPoint",
                    actions=actions,
                    resources=[mount.file_system.file_system_arn],
                    conditions={
                        "StringEquals": {"elasticfilesystem:AccessPointArn": mount.access_point.access_point_arn}
                    },
                )
            ],
        )

    def _rollback_alarms(self, thresholds: RollbackAlarms) -> list[cloudwatch.Alarm]:
        period = Duration.minutes(1)
        metrics = {
            "Errors": (self.alias.metric_errors(period=period, statistic="Sum"), thresholds.errors_per_minute),
            "Throttles": (self.alias.metric_throttles(period=period, statistic="Sum"), thresholds.throttles_per_minute),
        }
        return [
            cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                alarm_description=f"{name} on {self.node.path} alias; stops and rolls back a CodeDeploy deployment",
                metric=metric,
                threshold=threshold,
                evaluation_periods=thresholds.evaluation_minutes,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for name, (metric, threshold) in metrics.items()
        ]

    def _acknowledge_findings(self, python_version: str) -> None:
        if python_version != LATEST_PYTHON:
            reason = (
                f"Python {python_version} was chosen in configuration (function.python_version); "
                f"{LATEST_PYTHON} is allowed and recommended once the bundled dependencies are tested on it."
            )
            acknowledge(self.function, "AwsSolutions-L1", reason)
            acknowledge(self.function, "Serverless-LambdaLatestVersion", reason)
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Lambda needs ec2:*NetworkInterface* and X-Ray PutTraceSegments/PutTelemetryRecords on '*': "
            "neither service supports resource-level permissions for these calls (AWS managed "
            "AWSLambdaVPCAccessExecutionRole and AWSXRayDaemonWriteAccess use '*' too).",
        )
        acknowledge(
            self.function,
            "Serverless-LambdaDLQ",
            "Invoked synchronously through API Gateway: a failure is returned to the caller, so there is "
            "no asynchronous event to dead-letter.",
        )
        acknowledge(
            self.deployment_group,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
            "CodeDeploy's service role for Lambda: AWS maintains it and limits it to the alias update, "
            "hook invocation and alarm reads a Lambda deployment needs.",
        )

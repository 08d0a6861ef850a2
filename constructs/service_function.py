"""ServiceFunction: a Python Lambda function released through a CodeDeploy-managed ``live`` alias."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jsii
from aws_cdk import (
    Duration,
    RemovalPolicy,
    Size,
    Stack,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_codedeploy as codedeploy,
)
from aws_cdk import (
    aws_ec2 as ec2,
)
from aws_cdk import (
    aws_iam as iam,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_lambda_destinations as destinations,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_sqs as sqs,
)
from catalog_constructs import lambda_limits
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.function_skeleton import logged_role, traced_function
from catalog_constructs.lambda_limits import PYTHON_VERSIONS
from catalog_constructs.nag import acknowledge, acknowledge_all

from constructs import Construct

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


def egress_only_security_group(scope: Construct, construct_id: str, *, vpc: ec2.IVpc, description: str) -> ec2.SecurityGroup:
    """A security group that admits nothing and lets out only HTTPS (AWS APIs via gateway endpoints or NAT)."""
    group = ec2.SecurityGroup(scope, construct_id, vpc=vpc, description=description, allow_all_outbound=False)
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (via gateway endpoints or NAT)")
    return group


def deployment_service_role(scope: Construct, construct_id: str) -> iam.Role:
    """CodeDeploy's service role for Lambda deployments, one per stack: what LambdaDeploymentGroup would create for each.

    Shared, it may shift the aliases, invoke the hooks and read the alarms of the stack's deployment
    groups; only CodeDeploy can assume it, and each group still uses its own alarms and hooks.
    """
    role = iam.Role(
        scope, construct_id, assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
        managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSCodeDeployRoleForLambdaLimited")],
    )
    acknowledge(
        role,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
        "CodeDeploy's service role for Lambda: AWS maintains it and limits it to the alias update, "
        "hook invocation and alarm reads a Lambda deployment needs.",
    )
    return role


def python_version_of(runtime: lambda_.Runtime) -> str:
    """``Runtime.PYTHON_3_13`` -> ``3.13``; any runtime this library does not bundle for is an error."""
    version = runtime.name.removeprefix("python")
    if version not in PYTHON_RUNTIMES or not runtime.name.startswith("python"):
        raise InvalidPropError("runtime", runtime.name, "one of " + ", ".join(f"python{v}" for v in PYTHON_RUNTIMES))
    return version


def check_architecture(architecture: lambda_.Architecture) -> None:
    if not isinstance(architecture, lambda_.Architecture) or architecture.name not in LAMBDA_ARCHITECTURES:
        raise InvalidPropError("architecture", getattr(architecture, "name", architecture), "ARM_64 or X86_64")
ALARM_PERIOD = Duration.minutes(1)


@dataclass(frozen=True, kw_only=True)
class RollbackAlarms:
    """Thresholds of the new-version alarms that stop a deployment and roll it back."""

    errors_per_minute: int = 1
    throttles_per_minute: int = 1
    evaluation_minutes: int = 1


@jsii.implements(iam.IGrantable, ec2.IConnectable)
class ServiceFunction(Construct):
    """A Python Lambda function with its own role, log group, security group, version and ``live`` alias.

    Every release publishes a new version; CodeDeploy shifts the alias to it with the configured
    strategy and rolls back when the *new version's* errors or throttles alarm (the ``ExecutedVersion``
    dimension: an old version's errors never roll back a good release), or the deployment fails.
    Everything that invokes the function (API routes, event source mappings, schedules) must invoke
    ``alias``, never the unqualified function: that is what makes traffic shifting cover it.

    It is ``IGrantable`` (grants go to its own role: ``table.grant_read_data(fn)``) and, in a VPC,
    ``IConnectable`` (``fn.connections.allow_to(...)``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        description: str | None = None,
        runtime: lambda_.Runtime = lambda_.Runtime.PYTHON_3_13,
        architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
        memory_size: int = 512,
        timeout: Duration = Duration.seconds(10),
        ephemeral_storage: Size = Size.mebibytes(512),
        environment: Mapping[str, str] | None = None,
        layers: Sequence[lambda_.ILayerVersion] = (),
        reserved_concurrent_executions: int | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        log_group_name: str | None = None,
        log_encryption_key: kms.IKey | None = None,
        file_system: lambda_.FileSystem | None = None,
        alias_name: str = "live",
        deployment_config: codedeploy.ILambdaDeploymentConfig = codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
        rollback_alarms: RollbackAlarms = RollbackAlarms(),
        application: codedeploy.ILambdaApplication | None = None,
        deployment_role: iam.IRole | None = None,
        security_group: ec2.ISecurityGroup | None = None,
        invoked_asynchronously: bool = False,
    ) -> None:
        """
        :param code: the deployment package.
        :param handler: ``module.function`` Lambda calls.
        :param vpc: the VPC the function's ENIs are placed in (default none: outside any VPC).
        :param vpc_subnets: subnets for the ENIs, required with ``vpc`` (use private subnets with egress).
        :param description: shown in the console (default none).
        :param runtime: Python 3.12, 3.13 or 3.14 (default 3.13).
        :param architecture: ARM_64 or X86_64 (default ARM_64: cheaper per GB-second).
        :param memory_size: MB, 128-10240 (default 512; CPU scales with memory).
        :param timeout: 1-900 seconds (default 10 s; API Gateway gives up after 29).
        :param ephemeral_storage: size of /tmp, 512-10240 MiB (default 512 MiB).
        :param environment: variables, at most 4 KB in total (default none).
        :param layers: at most 5 layers (default none).
        :param reserved_concurrent_executions: reserved concurrency (default: unreserved).
        :param log_retention: retention of the function's own log group (default three months).
        :param log_group_name: name of its log group (default: generated). Changing it replaces the group.
        :param log_encryption_key: customer-managed key for its log group (default: CloudWatch Logs' own encryption).
        :param file_system: an EFS mount from ``SharedFileSystem.mount_config`` (default none); access is
            granted separately with ``SharedFileSystem.grant_mount``. Needs ``vpc``.
        :param alias_name: the alias callers invoke (default ``live``).
        :param deployment_config: CodeDeploy traffic shifting, e.g. ``LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES``
            (default all at once).
        :param rollback_alarms: thresholds of the alarms that roll a deployment back (default: any error or throttle).
        :param application: CodeDeploy application to group deployments under (default: one is created).
        :param deployment_role: CodeDeploy's service role for the deployment group, shared by the functions
            of a stack (default: one is created for this group).
        :param security_group: an egress-only security group shared with other functions that reach only
            AWS APIs (default: one of its own; a function with ``file_system`` always has its own, so the
            file system admits exactly the functions that mount it).
        :param invoked_asynchronously: whether anything invokes it asynchronously (default no: then there
            is no event to dead-letter; when yes, call ``configure_async_invoke`` with an on-failure queue).
        """
        python_version = python_version_of(runtime)
        check_architecture(architecture)
        lambda_limits.check_memory(memory_size)
        lambda_limits.check_int_range("timeout", int(timeout.to_seconds()), lambda_limits.TIMEOUT_SECONDS, "seconds")
        lambda_limits.check_int_range(
            "ephemeral_storage", int(ephemeral_storage.to_mebibytes()), lambda_limits.EPHEMERAL_STORAGE_MB, "MiB"
        )
        environment = dict(environment or {})
        lambda_limits.check_environment(environment)
        lambda_limits.check_layers(layers)
        lambda_limits.check_reserved_concurrency(reserved_concurrent_executions)
        if file_system is not None:
            lambda_limits.check_mount_path(file_system.config.local_mount_path)
            if vpc is None:
                raise InvalidPropError("file_system", file_system.config.local_mount_path, "a mount only for a function in a VPC")
        if security_group is not None and (vpc is None or file_system is not None):
            raise InvalidPropError(
                "security_group", security_group.node.path,
                "none for a function outside a VPC or one that mounts a file system (it needs its own)",
            )
        if vpc is not None and vpc_subnets is None:
            raise InvalidPropError("vpc_subnets", None, "the subnets for the function's ENIs when vpc is given")
        for name in ("errors_per_minute", "throttles_per_minute", "evaluation_minutes"):
            lambda_limits.check_int_range(f"rollback_alarms.{name}", getattr(rollback_alarms, name), (1, 10_000), "count")
        if not alias_name or not alias_name.replace("-", "").replace("_", "").isalnum() or alias_name[0].isdigit():
            raise InvalidPropError("alias_name", alias_name, "letters, digits, - and _, not starting with a digit")
        super().__init__(scope, construct_id)
        self.timeout = timeout
        self.runtime = runtime
        self.architecture = architecture
        path = self.node.path  # read once: each read is a round trip into jsii

        # One role per function, never shared: its grants describe exactly what this function may do.
        self.log_group, self.role = logged_role(
            self, description=f"Execution role of {path}", log_retention=log_retention,
            log_group_name=log_group_name, log_encryption_key=log_encryption_key,
        )
        self.security_group: ec2.ISecurityGroup | None = security_group
        if vpc is not None:
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
        if vpc is not None and security_group is None:
            self.security_group = egress_only_security_group(
                self, "SecurityGroup", vpc=vpc, description=f"{path}: HTTPS to AWS APIs, NFS to its file system"
            )

        self.function = traced_function(
            self,
            role=self.role,
            log_group=self.log_group,
            code=code,
            handler=handler,
            runtime=runtime,
            architecture=architecture,
            description=description,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=[self.security_group] if self.security_group else None,
            memory_size=memory_size,
            timeout=timeout,
            ephemeral_storage_size=ephemeral_storage,
            environment=environment,
            layers=list(layers),
            reserved_concurrent_executions=reserved_concurrent_executions,
            filesystem=file_system,
            # Old versions stay so CodeDeploy (and people) can roll back to them.
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.RETAIN),
        )
        self.version = self.function.current_version
        self.alias = lambda_.Alias(self, "Alias", alias_name=alias_name, version=self.version)
        self.alarms = self._new_version_alarms(path, alias_name, rollback_alarms)
        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            alias=self.alias,
            application=application,
            role=deployment_role,
            deployment_config=deployment_config,
            alarms=self.alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
        )
        self._own_deployment_role = deployment_role is None
        self._acknowledge_findings(python_version, invoked_asynchronously)

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The function's own execution role: what ``grant_*`` methods of other resources give access to."""
        return self.role

    @property
    def connections(self) -> ec2.Connections:
        """The function's security group, for ``allow_to``/``allow_from`` (only in a VPC)."""
        if self.security_group is None:
            raise InvalidPropError("vpc", None, f"a VPC for {self.node.path} before managing its network connections")
        return self.function.connections

    def configure_async_invoke(
        self,
        *,
        on_failure: sqs.IQueue,
        retry_attempts: int = 2,
        max_event_age: Duration = Duration.hours(6),
        on_success: sqs.IQueue | None = None,
    ) -> None:
        """How Lambda handles asynchronous invocations of the alias; what fails every attempt goes to ``on_failure``.

        :param on_failure: queue receiving each invocation that failed every attempt or expired, with its error.
        :param retry_attempts: 0-2 retries after a failed attempt (default 2).
        :param max_event_age: how long an event may wait to be processed, 60 s - 6 h (default 6 h).
        :param on_success: queue receiving each successful invocation's result (default none).
        """
        lambda_limits.check_int_range("retry_attempts", retry_attempts, (0, 2), "retries")
        lambda_limits.check_int_range("max_event_age", int(max_event_age.to_seconds()), (60, 21_600), "seconds")
        self.alias.configure_async_invoke(
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            on_failure=destinations.SqsDestination(on_failure),
            on_success=destinations.SqsDestination(on_success) if on_success is not None else None,
        )
        acknowledge(
            self.function,
            "Serverless-LambdaDLQ",
            "Asynchronous invocations that fail every attempt go to the alias' on-failure destination "
            "(an SQS queue, with the error and the event), which AWS recommends over a function DLQ.",
        )

    def add_rollback_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Also stop and roll back a release of this function when ``alarm`` fires (e.g. the API's 5XX rate)."""
        self.deployment_group.add_alarm(alarm)

    def add_pre_traffic_hook(self, hook: lambda_.Function) -> None:
        """Run ``hook`` before any traffic shifts; CDK lets it report only to this deployment group."""
        self.deployment_group.add_pre_hook(hook)
        self._acknowledge_hook_invoke(hook)

    def add_post_traffic_hook(self, hook: lambda_.Function) -> None:
        """Run ``hook`` after all traffic has shifted; a Failed report rolls the release back."""
        self.deployment_group.add_post_hook(hook)
        self._acknowledge_hook_invoke(hook)

    def _acknowledge_hook_invoke(self, hook: lambda_.Function) -> None:
        hook_logical_id = Stack.of(self).get_logical_id(hook.node.default_child)
        # The grant is on the deployment group's role (the stack's shared one, or the group's own).
        acknowledge(
            self.deployment_group.role,
            f"AwsSolutions-IAM5[Resource::<{hook_logical_id}.Arn>:*]",
            "CodeDeploy's grant to invoke this hook (LambdaDeploymentGroup.add_pre_hook/add_post_hook): "
            "the ':*' covers the hook's own versions and aliases, of this one function only.",
        )

    def _new_version_alarms(self, path: str, alias_name: str, thresholds: RollbackAlarms) -> list[cloudwatch.Alarm]:
        # Lambda publishes alias invocations with the version that ran them as ExecutedVersion; during
        # a deployment this dimension is the version being released, never the one being replaced.
        function_name = self.function.function_name
        dimensions = {
            "FunctionName": function_name,
            "Resource": f"{function_name}:{alias_name}",
            "ExecutedVersion": self.version.version,
        }
        metrics = {
            "Errors": thresholds.errors_per_minute,
            "Throttles": thresholds.throttles_per_minute,
        }
        return [
            cloudwatch.Alarm(
                self,
                f"{name}Alarm",
                alarm_description=f"{name} of the version being released of {path}; stops and rolls back its deployment",
                metric=cloudwatch.Metric(
                    namespace="AWS/Lambda", metric_name=name, dimensions_map=dimensions, statistic="Sum", period=ALARM_PERIOD
                ),
                threshold=threshold,
                evaluation_periods=thresholds.evaluation_minutes,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            for name, threshold in metrics.items()
        ]

    def _acknowledge_findings(self, python_version: str, invoked_asynchronously: bool) -> None:
        on_function: dict[str, str] = {}
        if python_version != LATEST_PYTHON:
            reason = (
                f"Python {python_version} was chosen in configuration (python_version); "
                f"{LATEST_PYTHON} is allowed and recommended once the bundled dependencies are tested on it."
            )
            on_function.update({"AwsSolutions-L1": reason, "Serverless-LambdaLatestVersion": reason})
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Lambda needs ec2:*NetworkInterface* (in a VPC) and X-Ray PutTraceSegments/PutTelemetryRecords on '*': "
            "neither service supports resource-level permissions for these calls (AWS managed "
            "AWSLambdaVPCAccessExecutionRole and AWSXRayDaemonWriteAccess use '*' too).",
        )
        if not invoked_asynchronously:
            on_function["Serverless-LambdaDLQ"] = (
                "Invoked only synchronously (API Gateway, or an event source mapping with its own failure "
                "destination): a failure goes back to the caller or the mapping, there is no asynchronous event to dead-letter."
            )
        if on_function:
            acknowledge_all(self.function, on_function)
        if self._own_deployment_role:
            acknowledge(
                self.deployment_group,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]",
                "CodeDeploy's service role for Lambda: AWS maintains it and limits it to the alias update, "
                "hook invocation and alarm reads a Lambda deployment needs.",
            )

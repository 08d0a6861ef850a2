"""The parts every Lambda function of a service is built from: its own log group, role and function.

Written once for ServiceFunction and TrafficHook: a retained log group, an execution role no other
function shares (allowed to write only to that group), a function logging JSON to it with X-Ray on.
Construct ids are logical ids (``LogGroup``, ``ExecutionRole``, ``Function``): keep them.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from constructs import Construct


def logged_role(
    scope: Construct,
    *,
    description: str,
    log_retention: logs.RetentionDays,
    log_group_name: str | None,
    log_encryption_key: kms.IKey | None,
) -> tuple[logs.LogGroup, iam.Role]:
    """The function's log group and its execution role, which may write to that group (and nothing else yet)."""
    log_group = logs.LogGroup(
        scope, "LogGroup", retention=log_retention, removal_policy=RemovalPolicy.RETAIN,
        log_group_name=log_group_name, encryption_key=log_encryption_key,
    )
    role = iam.Role(scope, "ExecutionRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)
    log_group.grant_write(role)
    return log_group, role


def traced_function(scope: Construct, *, role: iam.IRole, log_group: logs.ILogGroup, **function_props: Any) -> lambda_.Function:
    """The function itself, running as ``role``, logging JSON to ``log_group``, traced by X-Ray.

    :param function_props: the rest of ``lambda_.FunctionProps`` (code, handler, runtime, ...).
    """
    return lambda_.Function(
        scope,
        "Function",
        role=role,
        log_group=log_group,
        tracing=lambda_.Tracing.ACTIVE,
        logging_format=lambda_.LoggingFormat.JSON,
        **function_props,
    )

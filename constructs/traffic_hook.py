"""TrafficHook: a CodeDeploy lifecycle hook that invokes the version being released and checks the answer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from catalog_constructs import lambda_limits
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.function_skeleton import logged_role, traced_function
from catalog_constructs.nag import acknowledge, acknowledge_all
from catalog_constructs.service_function import LATEST_PYTHON, ServiceFunction, python_version_of

from constructs import Construct

# The hook's own code ships with this construct: standard library and the runtime's boto3 only.
CODE_DIR = Path(__file__).resolve().parent / "traffic_hook_code"
HANDLER = "traffic_hook.handler.lambda_handler"


class TrafficHook(Construct):
    """A function CodeDeploy runs before (or after) shifting traffic to a new version of ``target``.

    It invokes the *new version* directly (``TARGET_VERSION_ARN``) with ``event``, compares the answer
    with ``expect`` (a subset: ``{"statusCode": 200}``; a JSON ``body`` is compared as JSON) and reports
    ``Succeeded`` or ``Failed`` with ``PutLifecycleEventHookExecutionStatus``. Its role may invoke only
    that version and report only to that deployment group. It runs outside the VPC: it only calls AWS APIs.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        target: ServiceFunction,
        event: Mapping[str, Any],
        expect: Mapping[str, Any],
        phase: Literal["pre", "post"] = "pre",
        log_retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        log_group_name: str | None = None,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param target: the function whose releases this hook checks.
        :param event: the event the new version is invoked with.
        :param expect: what its answer must contain (a subset of the decoded response).
        :param phase: ``pre`` (before any traffic shifts, the default) or ``post`` (after all has).
        :param log_retention: retention of the hook's log group (default three months).
        :param log_group_name: name of its log group (default: generated).
        :param log_encryption_key: customer-managed key for its log group (default: CloudWatch Logs' own encryption).
        """
        if phase not in ("pre", "post"):
            raise InvalidPropError("phase", phase, "pre or post")
        if not expect:
            raise InvalidPropError("expect", dict(expect), "at least one field the answer must contain, e.g. statusCode")
        environment = {"CHECK_EVENT": json.dumps(event, sort_keys=True), "CHECK_EXPECT": json.dumps(expect, sort_keys=True)}
        lambda_limits.check_environment(environment)
        super().__init__(scope, construct_id)
        path = self.node.path
        self.log_group, self.role = logged_role(
            self, description=f"Execution role of {path}", log_retention=log_retention,
            log_group_name=log_group_name, log_encryption_key=log_encryption_key,
        )
        self.function = traced_function(
            self,
            role=self.role,
            log_group=self.log_group,
            code=lambda_.Code.from_asset(str(CODE_DIR), exclude=["**/__pycache__", "**/*.pyc"]),
            handler=HANDLER,
            # The same Python and architecture as the function it checks.
            runtime=target.runtime,
            architecture=target.architecture,
            description=f"CodeDeploy {phase}-traffic check of {target.node.path}",
            memory_size=256,
            # CodeDeploy waits up to an hour for the report; the check itself is one invocation.
            timeout=Duration.seconds(min(900, target.timeout.to_seconds() + 30)),
            environment={**environment, "TARGET_VERSION_ARN": target.version.function_arn},
        )
        target.version.grant_invoke(self.function)
        if phase == "pre":
            target.add_pre_traffic_hook(self.function)
        else:
            target.add_post_traffic_hook(self.function)
        on_function = {
            "Serverless-LambdaDLQ": (
                "CodeDeploy waits for this hook's report: a hook that fails without reporting fails the "
                "deployment (and rolls it back) at the lifecycle timeout, so no event is lost."
            ),
        }
        python_version = python_version_of(target.runtime)
        if python_version != LATEST_PYTHON:
            reason = f"The hook runs the same Python as the function it checks ({python_version}), chosen in configuration."
            on_function.update({"AwsSolutions-L1": reason, "Serverless-LambdaLatestVersion": reason})
        acknowledge_all(self.function, on_function)
        acknowledge(
            self.role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; every other "
            "statement names the one version it invokes, its deployment group and its log group.",
        )

"""Invoke the version being released with a known event, compare its answer, report to CodeDeploy.

Environment (set by catalog_constructs.traffic_hook.TrafficHook):
    TARGET_VERSION_ARN  the qualified ARN of the new version (never the alias: it still serves the old one)
    CHECK_EVENT         the JSON event to invoke it with
    CHECK_EXPECT        JSON the answer must contain (a subset; a JSON string field is compared decoded)

Only the standard library and the boto3 the Lambda runtime provides: the hook ships no dependencies.
"""

from __future__ import annotations

import json
import logging
import os
from functools import cache
from typing import Any

logger = logging.getLogger()
logger.setLevel(logging.INFO)


@cache
def client(service: str) -> Any:
    import boto3

    return boto3.client(service)


def mismatches(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Where ``actual`` does not contain ``expected`` (empty when it does)."""
    if isinstance(expected, dict):
        if isinstance(actual, str):
            try:
                actual = json.loads(actual)
            except ValueError:
                return [f"{where or 'answer'}: not JSON"]
        if not isinstance(actual, dict):
            return [f"{where or 'answer'}: expected an object, got {type(actual).__name__}"]
        return [
            problem
            for key, value in expected.items()
            for problem in (
                mismatches(value, actual[key], f"{where}.{key}".lstrip(".")) if key in actual else [f"{where}.{key}: missing".lstrip(".")]
            )
        ]
    if expected != actual:
        return [f"{where}: expected {expected!r}, got {actual!r}"[:300]]
    return []


def check(version_arn: str, event: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """Invoke ``version_arn`` synchronously with ``event``; the problems with its answer."""
    response = client("lambda").invoke(
        FunctionName=version_arn, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
    )
    payload = response["Payload"].read().decode("utf-8", "replace")
    if response.get("FunctionError"):
        return [f"the new version failed: {response['FunctionError']}: {payload[:300]}"]
    try:
        answer = json.loads(payload)
    except ValueError:
        return [f"the new version answered non-JSON: {payload[:300]}"]
    return mismatches(expect, answer)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    version_arn = os.environ["TARGET_VERSION_ARN"]
    status, problems = "Failed", ["the check did not run"]
    try:
        problems = check(version_arn, json.loads(os.environ["CHECK_EVENT"]), json.loads(os.environ["CHECK_EXPECT"]))
        status = "Failed" if problems else "Succeeded"
    except Exception as error:  # any failure to check is a failed check, reported, never left hanging
        logger.exception("traffic check could not run")
        problems = [f"{type(error).__name__}: {error}"[:300]]
    finally:
        logger.info(json.dumps({"message": "traffic check", "version": version_arn, "status": status, "problems": problems}))
        client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
    return {"status": status}

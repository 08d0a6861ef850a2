"""A function's effective settings (plain configuration values) as the typed props its constructs take.

The one place configuration strings become CDK types: Python versions become Runtimes, seconds become
Durations, deployment config names become LambdaDeploymentConfigs.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Size
from catalog_constructs.deployment_configs import lambda_deployment_config
from catalog_constructs.service_function import LAMBDA_ARCHITECTURES, PYTHON_RUNTIMES, RollbackAlarms

from stacks.config import FunctionSettings
from stacks.retention import retention


def function_props(settings: FunctionSettings) -> dict[str, Any]:
    """``ServiceFunction`` props from ``settings`` (every field already layered and validated)."""
    return {
        "runtime": PYTHON_RUNTIMES[settings.python_version],
        "architecture": LAMBDA_ARCHITECTURES[settings.architecture],
        "memory_size": settings.memory_size,
        "timeout": Duration.seconds(settings.timeout_seconds),
        "ephemeral_storage": Size.mebibytes(settings.ephemeral_storage_mb),
        "reserved_concurrent_executions": settings.reserved_concurrent_executions,
        "log_retention": retention(settings.log_retention_days),
        "deployment_config": lambda_deployment_config(settings.deployment_config),
        "rollback_alarms": RollbackAlarms(
            errors_per_minute=settings.alarm_errors_per_minute,
            throttles_per_minute=settings.alarm_throttles_per_minute,
        ),
    }

"""AWS Lambda quotas that CloudFormation would only reject at deploy time, checked at synth time.

Source: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from catalog_constructs.errors import InvalidPropError

# Python versions Lambda runs that this library bundles for, and the architectures it supports.
PYTHON_VERSIONS = ("3.12", "3.13", "3.14")
ARCHITECTURES = ("arm64", "x86_64")
MEMORY_MB = (128, 10_240)
TIMEOUT_SECONDS = (1, 900)
EPHEMERAL_STORAGE_MB = (512, 10_240)
ENVIRONMENT_BYTES = 4 * 1024
MAX_LAYERS = 5
# Lambda mounts EFS only below /mnt/, one path segment deep.
MOUNT_PATH = re.compile(r"^/mnt/[A-Za-z0-9_.\-]+$")
# An account keeps at least 100 concurrent executions unreserved; 1,000 is the default quota.
DEFAULT_ACCOUNT_CONCURRENCY = 1_000
UNRESERVED_CONCURRENCY_FLOOR = 100
RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)


# How the CDK encodes an unresolved string (a reference resolved at deploy time) inside a Python str.
# Checked here instead of Token.is_unresolved: one jsii round trip per variable added up on every synth.
_STRING_TOKEN = "${Token["


def _resolved(value: Any) -> bool:
    return not isinstance(value, str) or _STRING_TOKEN not in value


def check_int_range(field: str, value: Any, bounds: tuple[int, int], unit: str) -> None:
    """Reject a value that is not an integer within ``bounds`` (inclusive)."""
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidPropError(field, value, f"an integer from {low} to {high} ({unit})")


def check_runtime(python_version: Any, architecture: Any) -> None:
    """A Python version and an architecture Lambda offers."""
    if python_version not in PYTHON_VERSIONS:
        raise InvalidPropError("python_version", python_version, "one of " + ", ".join(PYTHON_VERSIONS))
    if architecture not in ARCHITECTURES:
        raise InvalidPropError("architecture", architecture, "one of " + ", ".join(ARCHITECTURES))


def check_memory(value: Any) -> None:
    """Lambda memory: 128 to 10,240 MB."""
    check_int_range("memory_size", value, MEMORY_MB, "MB")


def check_timeout(value: Any) -> None:
    """Lambda timeout: 1 to 900 seconds."""
    check_int_range("timeout_seconds", value, TIMEOUT_SECONDS, "seconds")


def check_ephemeral_storage(value: Any) -> None:
    """Lambda /tmp size: 512 to 10,240 MB."""
    check_int_range("ephemeral_storage_mb", value, EPHEMERAL_STORAGE_MB, "MB")


def environment_size(environment: Mapping[str, str]) -> int:
    """Bytes Lambda counts against the 4 KB quota: the variables as the JSON map the API receives."""
    return len(json.dumps(dict(environment), separators=(",", ":"), ensure_ascii=False).encode())


def check_environment(environment: Mapping[str, Any]) -> None:
    """Environment: string values, no keys Lambda reserves, at most 4 KB in total."""
    for key, value in environment.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", key):
            raise InvalidPropError("environment", key, "keys made of letters, digits and _, starting with a letter")
        if key in RESERVED_ENV_KEYS:
            raise InvalidPropError("environment", key, "a key Lambda does not reserve")
        if not isinstance(value, str):
            raise InvalidPropError(f"environment.{key}", value, "a string")
    resolved = {k: v for k, v in environment.items() if _resolved(v)}
    size = environment_size(resolved)
    if size > ENVIRONMENT_BYTES:
        raise InvalidPropError(
            "environment", f"{size} bytes", f"at most {ENVIRONMENT_BYTES} bytes of variables in total"
        )


def check_layers(layers: Sequence[Any]) -> None:
    """A function can use at most five layers (the Powertools layer, if any, counts)."""
    if len(layers) > MAX_LAYERS:
        raise InvalidPropError("layers", f"{len(layers)} layers", f"at most {MAX_LAYERS} layers")


def check_mount_path(value: Any) -> None:
    """EFS mount path: one directory under /mnt/."""
    if not isinstance(value, str) or not MOUNT_PATH.fullmatch(value):
        raise InvalidPropError("mount_path", value, "a path of the form /mnt/<name> (letters, digits, _ . -)")


def check_reserved_concurrency(value: Any, account_limit: int = DEFAULT_ACCOUNT_CONCURRENCY) -> None:
    """Reserved concurrency: None (unreserved) or 1 to the account quota minus the 100 kept unreserved."""
    if value is None:
        return
    check_int_range(
        "reserved_concurrent_executions",
        value,
        (1, account_limit - UNRESERVED_CONCURRENCY_FLOOR),
        f"executions; None for unreserved; {UNRESERVED_CONCURRENCY_FLOOR} must stay unreserved",
    )

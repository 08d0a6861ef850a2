"""Typed per-stage configuration, read from cdk.json context ``stages``, validated once.

Every error is an ``InvalidPropError`` whose field is the full path in cdk.json, e.g.
``stages.prod.function.memory_size: 64 is not allowed; expected an integer from 128 to 10240 (MB)``.
Range checks that belong to AWS limits are made by the constructs themselves; ``stage_errors`` in
``stacks/product_service_stage.py`` qualifies their field names with the config path.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from catalog_constructs import lambda_limits
from catalog_constructs.deployment_configs import check_deployment_config
from catalog_constructs.errors import InvalidPropError

# Values CloudWatch Logs accepts for retention, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


@dataclass(frozen=True, kw_only=True)
class NetworkConfig:
    """The VPC."""

    availability_zones: tuple[str, ...]
    nat_gateways: int = 1
    cidr: str = "10.0.0.0/16"
    flow_log_retention_days: int = 365


@dataclass(frozen=True, kw_only=True)
class ProvisionedConfig:
    """Provisioned capacity with autoscaling (instead of on-demand)."""

    min_read: int = 5
    max_read: int = 100
    min_write: int = 5
    max_write: int = 100
    target_utilization_percent: int = 70


@dataclass(frozen=True, kw_only=True)
class TableConfig:
    """The product table."""

    table_name: str = "product"
    partition_key: str = "id"
    deletion_protection: bool = True
    customer_managed_key: bool = False
    provisioned: ProvisionedConfig | None = None
    stream: str | None = None
    time_to_live_attribute: str | None = None


@dataclass(frozen=True, kw_only=True)
class FileSystemConfig:
    """The EFS file system and its access point."""

    automatic_backups: bool = True
    root_path: str = "/product"
    posix_uid: int = 1001
    posix_gid: int = 1001
    root_permissions: str = "750"


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    """The product function, its alias and its CodeDeploy deployments."""

    python_version: str = "3.13"
    architecture: str = "arm64"
    memory_size: int = 512
    timeout_seconds: int = 10
    ephemeral_storage_mb: int = 512
    reserved_concurrent_executions: int | None = None
    log_retention_days: int = 90
    log_level: str = "INFO"
    environment: dict[str, str] = field(default_factory=dict)
    layers: tuple[str, ...] = ()
    mount_path: str = "/mnt/product"
    deployment_config: str = "AllAtOnce"
    alarm_errors_per_minute: int = 1
    alarm_throttles_per_minute: int = 1


@dataclass(frozen=True, kw_only=True)
class ApiConfig:
    """The REST API."""

    stage_name: str = "prod"
    authorize_reads: bool = False
    throttling_rate_limit: int = 100
    throttling_burst_limit: int = 200
    cors_allow_origins: tuple[str, ...] = ()
    access_log_retention_days: int = 365
    manage_account_cloudwatch_role: bool = True
    web_acl_arn: str | None = None


@dataclass(frozen=True, kw_only=True)
class StageConfig:
    """Everything that differs between stages."""

    name: str
    region: str
    network: NetworkConfig
    account: str | None = None
    termination_protection: bool = True
    user_pool_deletion_protection: bool = True
    table: TableConfig = TableConfig()
    file_system: FileSystemConfig = FileSystemConfig()
    function: FunctionConfig = FunctionConfig()
    api: ApiConfig = ApiConfig()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9-]{1,20}", self.name):
            raise InvalidPropError("name", self.name, "lower-case letters, digits and -, 2-21 characters")
        if not re.fullmatch(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d", self.region):
            raise InvalidPropError("region", self.region, "an AWS region name such as eu-west-1")
        if self.account is not None and not re.fullmatch(r"\d{12}", self.account):
            raise InvalidPropError("account", self.account, "a 12-digit AWS account id, or null")
        for zone in self.network.availability_zones:
            if not zone.startswith(self.region) or not re.fullmatch(r"[a-z]", zone[len(self.region):]):
                raise InvalidPropError("network.availability_zones", zone, f"zones of {self.region} such as {self.region}a")
        retention_fields = (
            ("network.flow_log_retention_days", self.network.flow_log_retention_days),
            ("function.log_retention_days", self.function.log_retention_days),
            ("api.access_log_retention_days", self.api.access_log_retention_days),
        )
        for name, days in retention_fields:
            if days not in LOG_RETENTION_DAYS:
                raise InvalidPropError(name, days, "one of " + ", ".join(map(str, LOG_RETENTION_DAYS)))
        if self.function.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise InvalidPropError("function.log_level", self.function.log_level, "DEBUG, INFO, WARNING or ERROR")
        # Lambda's limits are checked again by ServiceFunction; checking them here too means a bad
        # value fails in a second, before any construct is built.
        function = self.function
        with config_section("function"):
            lambda_limits.check_runtime(function.python_version, function.architecture)
            lambda_limits.check_memory(function.memory_size)
            lambda_limits.check_timeout(function.timeout_seconds)
            lambda_limits.check_ephemeral_storage(function.ephemeral_storage_mb)
            lambda_limits.check_reserved_concurrency(function.reserved_concurrent_executions)
            lambda_limits.check_environment(function.environment)
            lambda_limits.check_layers(function.layers)
            lambda_limits.check_mount_path(function.mount_path)
            check_deployment_config(function.deployment_config)
        if self.table.stream not in (None, "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            raise InvalidPropError(
                "table.stream", self.table.stream, "null, KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES"
            )


@contextmanager
def config_section(path: str) -> Iterator[None]:
    """Re-raise a construct's prop error with the cdk.json path of the setting that fed it."""
    try:
        yield
    except InvalidPropError as error:
        raise error.within(path) from None


def load_stages(context: Any) -> dict[str, StageConfig]:
    """Parse the ``stages`` context value: a mapping of stage name to its settings."""
    if not isinstance(context, Mapping) or not context:
        raise InvalidPropError("stages", context, "a non-empty mapping of stage name to settings in cdk.json context")
    return {name: parse_stage(name, settings) for name, settings in context.items()}


def parse_stage(name: str, settings: Any) -> StageConfig:
    """One stage's settings as a ``StageConfig``; errors name the field as ``stages.<name>.<path>``."""
    path = f"stages.{name}"
    if not isinstance(settings, Mapping):
        raise InvalidPropError(path, settings, "a mapping of settings")
    try:
        return _build(StageConfig, {**settings, "name": name}, path)
    except InvalidPropError as error:
        if error.field.startswith(path):
            raise
        raise error.within(path) from None


def select_stages(stages: Mapping[str, StageConfig], selected: str | None) -> list[StageConfig]:
    """All stages, or the one named by ``-c stage=<name>``."""
    if selected is None:
        return list(stages.values())
    if selected not in stages:
        raise InvalidPropError("stage", selected, "one of " + ", ".join(stages) + " (from cdk.json context 'stages')")
    return [stages[selected]]


def _build(cls: type, data: Mapping[str, Any], path: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise InvalidPropError(f"{path}.{unknown[0]}", data[unknown[0]], "a known setting: " + ", ".join(fields))
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        values[name] = _coerce(hints[name], value, f"{path}.{name}")
    missing = [
        name for name, f in fields.items()
        if name not in values and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise InvalidPropError(f"{path}.{missing[0]}", None, "a value (this setting is required)")
    return cls(**values)


def _coerce(hint: Any, value: Any, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _coerce(inner, value, path)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise InvalidPropError(path, value, "a mapping of settings")
        return _build(hint, value, path)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise InvalidPropError(path, value, "a list of strings")
        return tuple(value)
    if origin is dict:
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise InvalidPropError(path, value, "a mapping of names to string values")
        return dict(value)
    if hint is bool:
        if not isinstance(value, bool):
            raise InvalidPropError(path, value, "true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidPropError(path, value, "an integer")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise InvalidPropError(path, value, "a string")
        return value
    raise TypeError(f"unsupported configuration type {hint!r} at {path}")

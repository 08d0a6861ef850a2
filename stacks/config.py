"""Typed per-stage configuration, read from cdk.json context ``stages``, validated once with pydantic.

Every error is an ``InvalidPropError`` whose field is the full path in cdk.json, e.g.
``stages.prod.functions.product.memory_size: 64 is not allowed; expected an integer from 128 to 10240 (MB)``.

Configuration owns its shape (types, known keys, enumerations of its own). AWS limits are written once,
in ``catalog_constructs.lambda_limits`` / ``deployment_configs``: the models call those checks so a bad
value fails in a second, before any construct is built, and the constructs call the same functions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from catalog_constructs import lambda_limits
from catalog_constructs.arns import check_layer_version_arn, check_web_acl_arn
from catalog_constructs.deployment_configs import check_deployment_config
from catalog_constructs.errors import InvalidPropError

# Values CloudWatch Logs accepts for retention, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
STREAM_VIEWS = ("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES")


def _checked_by(check: Any) -> AfterValidator:
    """A validator that runs one of the constructs' checks and reports its 'expected …' as the error."""

    def validate(value: Any) -> Any:
        try:
            check(value)
        except InvalidPropError as error:
            raise PydanticCustomError("not_allowed", "{allowed}", {"allowed": error.allowed, "value": error.value}) from None
        return value

    return AfterValidator(validate)


def _one_of(values: tuple[Any, ...]) -> AfterValidator:
    def validate(value: Any) -> Any:
        if value not in values:
            raise PydanticCustomError("not_allowed", "{allowed}", {"allowed": "one of " + ", ".join(map(str, values))})
        return value

    return AfterValidator(validate)


RetentionDays = Annotated[int, _one_of(LOG_RETENTION_DAYS)]


class Settings(BaseModel):
    """Base of every configuration section: strict types, unknown keys rejected, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class NetworkConfig(Settings):
    """The VPC."""

    availability_zones: tuple[str, ...]
    nat_gateways: int = 1
    cidr: str = "10.0.0.0/16"
    flow_log_retention_days: RetentionDays = 365


class ProvisionedConfig(Settings):
    """Provisioned capacity with autoscaling (instead of on-demand)."""

    min_read: int = 5
    max_read: int = 100
    min_write: int = 5
    max_write: int = 100
    target_utilization_percent: int = 70


class TableConfig(Settings):
    """The product table."""

    table_name: str = "product"
    partition_key: str = "id"
    deletion_protection: bool = True
    customer_managed_key: bool = False
    provisioned: ProvisionedConfig | None = None
    stream: Annotated[str, _one_of(STREAM_VIEWS)] | None = None
    time_to_live_attribute: str | None = None


class FileSystemConfig(Settings):
    """The EFS file system and its access point."""

    automatic_backups: bool = True
    root_path: str = "/product"
    posix_uid: int = 1001
    posix_gid: int = 1001
    root_permissions: str = "750"
    # EFS performance and throughput modes (changing the performance mode replaces the file system).
    performance_mode: Literal["generalPurpose", "maxIO"] = "generalPurpose"
    throughput_mode: Literal["elastic", "bursting"] = "elastic"


class FunctionSettings(Settings):
    """Settings of a generated function; every field left out falls back to the next layer.

    Layers, most specific last: library defaults (``FUNCTION_DEFAULTS``), the stage's
    ``function_defaults``, the function's declaration, the stage's ``functions.<name>``.
    """

    python_version: Annotated[str, _one_of(lambda_limits.PYTHON_VERSIONS)] | None = None
    architecture: Annotated[str, _one_of(lambda_limits.ARCHITECTURES)] | None = None
    memory_size: Annotated[int, _checked_by(lambda_limits.check_memory)] | None = None
    timeout_seconds: Annotated[int, _checked_by(lambda_limits.check_timeout)] | None = None
    ephemeral_storage_mb: Annotated[int, _checked_by(lambda_limits.check_ephemeral_storage)] | None = None
    # null means unreserved; leaving it out means "as the layer below".
    reserved_concurrent_executions: Annotated[int, _checked_by(lambda_limits.check_reserved_concurrency)] | None = None
    log_retention_days: RetentionDays | None = None
    log_level: Annotated[str, _one_of(LOG_LEVELS)] | None = None
    environment: Annotated[dict[str, str], _checked_by(lambda_limits.check_environment)] | None = None
    layers: Annotated[tuple[Annotated[str, _checked_by(check_layer_version_arn)], ...], _checked_by(lambda_limits.check_layers)] | None = None
    deployment_config: Annotated[str, _checked_by(check_deployment_config)] | None = None
    alarm_errors_per_minute: Annotated[int, Field(ge=1, le=10_000)] | None = None
    alarm_throttles_per_minute: Annotated[int, Field(ge=1, le=10_000)] | None = None
    # A schedule expression (cron(...)/rate(...)) replacing the declared one, or "off"; only for
    # functions declared with a schedule trigger.
    schedule: Annotated[str, Field(pattern=r"^(off|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$")] | None = None

    def over(self, base: "FunctionSettings") -> "FunctionSettings":
        """These settings laid over ``base``: a field set here (even to null) wins."""
        return base.model_copy(update={name: getattr(self, name) for name in self.model_fields_set})


# The library defaults every function starts from (each documented in the README's reference).
FUNCTION_DEFAULTS = FunctionSettings(
    python_version="3.13",
    architecture="arm64",
    memory_size=512,
    timeout_seconds=10,
    ephemeral_storage_mb=512,
    reserved_concurrent_executions=None,
    log_retention_days=90,
    log_level="INFO",
    environment={},
    layers=(),
    deployment_config="AllAtOnce",
    alarm_errors_per_minute=1,
    alarm_throttles_per_minute=1,
)


class ApiConfig(Settings):
    """The REST API."""

    stage_name: str = "prod"
    authorize_reads: bool = False
    throttling_rate_limit: int = 100
    throttling_burst_limit: int = 200
    cors_allow_origins: tuple[str, ...] = ()
    access_log_retention_days: RetentionDays = 365
    manage_account_cloudwatch_role: bool = True
    web_acl_arn: Annotated[str, _checked_by(check_web_acl_arn)] | None = None
    # Share of requests answered 5XX in a minute that rolls back a release of an API-facing function.
    rollback_5xx_rate: Annotated[float, Field(gt=0, le=1, strict=False)] = 0.05


class StageConfig(Settings):
    """Everything that differs between stages."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,20}$")]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")]
    network: NetworkConfig
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    termination_protection: bool = True
    user_pool_deletion_protection: bool = True
    table: TableConfig = TableConfig()
    file_system: FileSystemConfig = FileSystemConfig()
    function_defaults: FunctionSettings = FunctionSettings()
    # Per-function settings keyed by the declared function name (stacks/functions.py).
    functions: dict[str, FunctionSettings] = {}
    api: ApiConfig = ApiConfig()

    @model_validator(mode="after")
    def _zones_are_in_the_region(self) -> "StageConfig":
        for zone in self.network.availability_zones:
            if not zone.startswith(self.region) or not re.fullmatch(r"[a-z]", zone[len(self.region):]):
                raise InvalidPropError("network.availability_zones", zone, f"zones of {self.region} such as {self.region}a")
        return self

    def function_settings(self, name: str, declared: FunctionSettings | None = None) -> FunctionSettings:
        """The effective settings of function ``name``: defaults < stage defaults < declaration < stage."""
        settings = self.function_defaults.over(FUNCTION_DEFAULTS)
        if declared is not None:
            settings = declared.over(settings)
        return self.functions.get(name, FunctionSettings()).over(settings)


# What to say is expected, by pydantic error type (custom checks carry their own text).
_EXPECTED = {
    "int_type": "an integer", "int_parsing": "an integer", "float_type": "a number", "bool_type": "true or false",
    "string_type": "a string", "dict_type": "a mapping of settings", "model_type": "a mapping of settings",
    "tuple_type": "a list", "list_type": "a list", "missing": "a value (this setting is required)",
}


def _to_prop_error(error: ValidationError, model: type[BaseModel], path: str) -> InvalidPropError:
    """The first pydantic error as one ``path.field: value is not allowed; expected …`` line."""
    first = error.errors(include_url=False)[0]
    location = [str(part) for part in first["loc"] if not str(part).startswith(("function-after", "constrained"))]
    context = first.get("ctx") or {}
    kind = first["type"]
    if kind == "not_allowed":
        allowed = context["allowed"]
    elif kind == "extra_forbidden":
        allowed = "a known setting: " + ", ".join(_fields_at(model, location[:-1]))
    elif kind == "string_pattern_mismatch":
        allowed = f"a value matching {context['pattern']}"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        allowed = first["msg"].replace("Input should be ", "a number ")
    elif kind == "value_error" and isinstance(context.get("error"), InvalidPropError):
        inner: InvalidPropError = context["error"]
        return inner.within(".".join([path, *location]).rstrip("."))
    else:
        allowed = _EXPECTED.get(kind, first["msg"])
    value = None if kind == "missing" else context.get("value", first.get("input"))
    if isinstance(value, tuple):
        value = list(value)
    return InvalidPropError(".".join([path, *location]), value, allowed)


def _fields_at(model: type[BaseModel], location: list[str]) -> list[str]:
    for part in location:
        annotation = model.model_fields[part].annotation if part in model.model_fields else None
        nested = [a for a in getattr(annotation, "__args__", (annotation,)) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)


@contextmanager
def config_section(path: str) -> Iterator[None]:
    """Re-raise a construct's prop error with the cdk.json path of the setting that fed it."""
    try:
        yield
    except InvalidPropError as error:
        raise error.within(path) from None


def load_stages(context: Any, function_names: tuple[str, ...] | None = None) -> dict[str, StageConfig]:
    """Parse the ``stages`` context value: a mapping of stage name to its settings.

    :param function_names: the declared functions; a ``functions.<name>`` block for any other is an error.
    """
    if not isinstance(context, Mapping) or not context:
        raise InvalidPropError("stages", context, "a non-empty mapping of stage name to settings in cdk.json context")
    return {name: parse_stage(name, settings, function_names) for name, settings in context.items()}


def parse_stage(name: str, settings: Any, function_names: tuple[str, ...] | None = None) -> StageConfig:
    """One stage's settings as a ``StageConfig``; errors name the field as ``stages.<name>.<path>``."""
    path = f"stages.{name}"
    if not isinstance(settings, Mapping):
        raise InvalidPropError(path, settings, "a mapping of settings")
    try:
        # JSON mode: strict types as they appear in cdk.json (lists are accepted where tuples are kept).
        config = StageConfig.model_validate_json(json.dumps({**settings, "name": name}))
    except ValidationError as error:
        raise _to_prop_error(error, StageConfig, path) from None
    if function_names is not None:
        for function in config.functions:
            if function not in function_names:
                raise InvalidPropError(
                    f"{path}.functions.{function}", function,
                    "the name of a declared function: " + ", ".join(function_names) + " (stacks/functions.py)",
                )
    return config


def select_stages(stages: Mapping[str, StageConfig], selected: str | None) -> list[StageConfig]:
    """All stages, or the one named by ``-c stage=<name>``."""
    if selected is None:
        return list(stages.values())
    if selected not in stages:
        raise InvalidPropError("stage", selected, "one of " + ", ".join(stages) + " (from cdk.json context 'stages')")
    return [stages[selected]]

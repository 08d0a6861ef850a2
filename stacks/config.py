"""Typed per-stage configuration, read from cdk.json context ``stages``, validated once with pydantic.

Every error is an ``InvalidPropError`` whose field is the full path in cdk.json, e.g.
``stages.prod.functions.orders-api.memory_size: 64 is not allowed; expected an integer from 128 to 10240 (MB)``.

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

from catalog_constructs import lambda_limits
from catalog_constructs.arns import check_layer_version_arn, check_web_acl_arn
from catalog_constructs.deployment_configs import check_deployment_config
from catalog_constructs.errors import InvalidPropError
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

# Values CloudWatch Logs accepts for retention, in days.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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


# The operational alarm kinds a stage may turn off (cost and noise). Release alarms (a new version's
# errors and throttles, the API's 5XX rate) and not-empty alarms of dead-letter and failure queues
# cannot be: rollback and "nothing is lost" depend on them.
ALARM_KINDS = (
    "function_duration", "function_async", "stream_iterator_age", "queue_age",
    "table_throttles", "table_errors", "api_latency", "api_4xx", "file_system", "schedule",
)


class AlarmThresholds(Settings):
    """Stage defaults of the operational alarms (after AWS's recommended alarms where it gives a value)."""

    # A function's p90 duration over 15 minutes, as a share of its timeout (functions.<name> may override).
    duration_percent_of_timeout: Annotated[int, Field(ge=1, le=100)] = 90
    # A stream consumer's oldest record at the end of its batch, 5 minutes running.
    iterator_age_seconds: Annotated[int, Field(ge=1, le=604_800)] = 60
    # A queue's oldest message, 5 minutes running; null derives it from the consumer: the time in which
    # every message is either processed or dead-lettered (visibility timeout x receive count).
    queue_age_seconds: Annotated[int, Field(ge=60, le=1_209_600)] | None = None
    # Read plus write throttle events of a table (its indexes included) in 5 minutes.
    table_throttled_requests: Annotated[int, Field(ge=1, le=1_000_000)] = 10
    # The API's p90 latency over 15 minutes, in milliseconds (API Gateway gives up at 29,000).
    api_latency_p90_ms: Annotated[int, Field(ge=10, le=29_000)] = 2_500
    # The API's share of requests answered 4XX over 15 minutes: far above a normal rate of client errors.
    api_4xx_rate: Annotated[float, Field(gt=0, le=1, strict=False)] = 0.25
    # The file system's I/O against its performance mode's limit (PercentIOLimit), 15 minutes running.
    file_system_percent_io_limit: Annotated[int, Field(ge=1, le=100)] = 90
    # With bursting throughput: the burst credits left, in GiB (about an hour of bursting at 100 MiB/s is 350).
    file_system_burst_credits_gib: Annotated[int, Field(ge=1, le=10_000)] = 350


class AlarmsConfig(Settings):
    """Who is told when an alarm of the stage fires (and clears), and which alarms the stage has."""

    emails: tuple[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")], ...] = ()
    https_endpoints: tuple[Annotated[str, Field(pattern=r"^https://\S+$")], ...] = ()
    # An existing topic (e.g. the team's pager integration) instead of one of the stage's own.
    topic_arn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")] | None = None
    # The only way for a stage to tell nobody: said explicitly.
    notify_nobody: bool = False
    # Operational alarm kinds this stage goes without (e.g. api_4xx in dev).
    off: tuple[Annotated[str, _one_of(ALARM_KINDS)], ...] = ()
    thresholds: AlarmThresholds = AlarmThresholds()
    # A CloudWatch dashboard per function stack (the service stack's covers the API and tables too).
    dashboards: bool = True

    def has(self, kind: str) -> bool:
        """Whether the stage has the operational alarms of ``kind``."""
        assert kind in ALARM_KINDS, kind
        return kind not in self.off

    @model_validator(mode="after")
    def _someone_is_told(self) -> AlarmsConfig:
        told = bool(self.emails or self.https_endpoints or self.topic_arn)
        if not told and not self.notify_nobody:
            raise InvalidPropError("emails", [], "an address to notify, or https_endpoints, or a topic_arn (or notify_nobody: true)")
        if told and self.notify_nobody:
            raise InvalidPropError("notify_nobody", True, "false when emails, https_endpoints or a topic_arn are set")
        if self.topic_arn and (self.emails or self.https_endpoints):
            raise InvalidPropError("topic_arn", self.topic_arn, "alone: an existing topic's owner subscribes people to it")
        return self


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


class DataConfig(Settings):
    """How every table (and the data key) of the stage is protected; point-in-time recovery is always on."""

    deletion_protection: bool = True
    # A customer-managed KMS key for the tables (and the stage's log groups); else AWS-managed keys.
    customer_managed_key: bool = False


class TableSettings(Settings):
    """One declared table's stage settings; its keys, indexes, stream and TTL are in its declaration."""

    # Physical name (default: generated by CloudFormation). Changing it replaces the table.
    table_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{3,255}$")] | None = None
    # Provisioned capacity with autoscaling instead of the declaration's billing.
    provisioned: ProvisionedConfig | None = None


class FileSystemConfig(Settings):
    """The EFS file system (its access point's root and owner are in the service definition)."""

    automatic_backups: bool = True
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
    # The function's p90 duration alarm, as a share of its timeout (default: alarms.thresholds).
    alarm_duration_percent_of_timeout: Annotated[int, Field(ge=1, le=100)] | None = None
    # A schedule expression (cron(...)/rate(...)) replacing the declared one, or "off"; only for
    # functions declared with a schedule trigger.
    schedule: Annotated[str, Field(pattern=r"^(off|rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$")] | None = None

    def over(self, base: FunctionSettings) -> FunctionSettings:
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
    # The account's quota of resources (paths) per REST API: 300 unless AWS raised it for the account.
    resource_quota: Annotated[int, Field(ge=1, le=10_000)] = 300
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
    data: DataConfig = DataConfig()
    # Per-table settings keyed by the declared table name.
    tables: dict[str, TableSettings] = {}
    file_system: FileSystemConfig = FileSystemConfig()
    function_defaults: FunctionSettings = FunctionSettings()
    # Per-function settings keyed by the declared function name.
    functions: dict[str, FunctionSettings] = {}
    api: ApiConfig = ApiConfig()
    # Required: every alarm of the stage notifies someone, or the stage says it notifies nobody.
    alarms: AlarmsConfig

    @model_validator(mode="after")
    def _zones_are_in_the_region(self) -> StageConfig:
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
        if part not in model.model_fields:  # a key of a mapping of sections (functions.<name>, tables.<name>)
            continue
        annotation = model.model_fields[part].annotation
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


def load_stages(
    context: Any, function_names: tuple[str, ...] | None = None, table_names: tuple[str, ...] | None = None
) -> dict[str, StageConfig]:
    """Parse the ``stages`` context value: a mapping of stage name to its settings.

    :param function_names: the declared functions; a ``functions.<name>`` block for any other is an error.
    :param table_names: the declared tables; a ``tables.<name>`` block for any other is an error.
    """
    if not isinstance(context, Mapping) or not context:
        raise InvalidPropError("stages", context, "a non-empty mapping of stage name to settings in cdk.json context")
    return {name: parse_stage(name, settings, function_names, table_names) for name, settings in context.items()}


def parse_stage(
    name: str, settings: Any, function_names: tuple[str, ...] | None = None, table_names: tuple[str, ...] | None = None
) -> StageConfig:
    """One stage's settings as a ``StageConfig``; errors name the field as ``stages.<name>.<path>``."""
    path = f"stages.{name}"
    if not isinstance(settings, Mapping):
        raise InvalidPropError(path, settings, "a mapping of settings")
    try:
        # JSON mode: strict types as they appear in cdk.json (lists are accepted where tuples are kept).
        config = StageConfig.model_validate_json(json.dumps({**settings, "name": name}))
    except ValidationError as error:
        raise _to_prop_error(error, StageConfig, path) from None
    for section, declared, kind in (("functions", function_names, "function"), ("tables", table_names, "table")):
        for key in getattr(config, section) if declared is not None else ():
            if key not in declared:
                raise InvalidPropError(
                    f"{path}.{section}.{key}", key, f"the name of a declared {kind}: " + (", ".join(declared) or "none"),
                )
    return config


def select_stages(stages: Mapping[str, StageConfig], selected: str | None) -> list[StageConfig]:
    """All stages, or the one named by ``-c stage=<name>``."""
    if selected is None:
        return list(stages.values())
    if selected not in stages:
        raise InvalidPropError("stage", selected, "one of " + ", ".join(stages) + " (from cdk.json context 'stages')")
    return [stages[selected]]

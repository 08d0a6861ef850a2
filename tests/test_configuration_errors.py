"""Invalid configuration fails before synthesis with one line: field, value, what is allowed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from catalog_constructs.errors import InvalidPropError

from stacks.config import parse_stage
from tests.conftest import ROOT, cdk_context


def build(context: dict) -> None:
    from aws_cdk import App

    from app import build_app

    build_app(App(context={**context, "nag": False}, builtin_cloud_formation_validation=False))


def prod_with(section: str, **settings) -> dict:
    context = cdk_context()
    context["stage"] = "prod"
    context["stages"]["prod"].setdefault(section, {}).update(settings)
    if section == "functions":  # replace the per-function blocks rather than merge into them
        context["stages"]["prod"]["functions"] = settings
    return context


@pytest.mark.parametrize(
    ("section", "settings", "message"),
    [
        ("function_defaults", {"memory_size": 64}, "stages.prod.function_defaults.memory_size: 64 is not allowed; expected an integer from 128 to 10240 (MB)"),
        ("function_defaults", {"timeout_seconds": 1000}, "stages.prod.function_defaults.timeout_seconds: 1000 is not allowed; expected an integer from 1 to 900 (seconds)"),
        ("function_defaults", {"deployment_config": "Canary50Percent"}, "stages.prod.function_defaults.deployment_config: 'Canary50Percent' is not allowed; expected one of AllAtOnce, Canary10Percent5Minutes"),
                ("function_defaults", {"environment": {"BIG": "x" * 4100}}, "stages.prod.function_defaults.environment: '4"),
        ("function_defaults", {"layers": [f"arn:aws:lambda:eu-west-1:123456789012:layer:l{i}:1" for i in range(6)]}, "stages.prod.function_defaults.layers: '6 layers' is not allowed; expected at most 5 layers"),
        ("functions", {"product": {"reserved_concurrent_executions": 950}}, "stages.prod.functions.product.reserved_concurrent_executions: 950 is not allowed"),
        ("functions", {"prodcut": {"memory_size": 256}}, "stages.prod.functions.prodcut: 'prodcut' is not allowed; expected the name of a declared function: product"),
        ("functions", {"product": {"schedule": "rate(1 day)"}}, "stages.prod.functions.product.schedule: 'rate(1 day)' is not allowed; expected unset: product is declared without a ScheduleTrigger"),
        ("functions", {"product": {"schedule": "every day"}}, "stages.prod.functions.product.schedule: 'every day' is not allowed; expected a value matching"),
        ("tables", {"product": {"table_name": "x"}}, "stages.prod.tables.product.table_name: 'x' is not allowed; expected a value matching"),
        ("tables", {"prodcut": {"table_name": "products"}}, "stages.prod.tables.prodcut: 'prodcut' is not allowed; expected the name of a declared table: product, imports, idempotency"),
        ("tables", {"product": {"stream": "NEW_IMAGE"}}, "stages.prod.tables.product.stream: 'NEW_IMAGE' is not allowed; expected a known setting: table_name, provisioned"),
        ("data", {"customer_managed_key": "yes"}, "stages.prod.data.customer_managed_key: 'yes' is not allowed; expected true or false"),
        ("api", {"rollback_5xx_rate": 2}, "stages.prod.api.rollback_5xx_rate: 2 is not allowed"),
        ("function_defaults", {"python_version": "3.9"}, "stages.prod.function_defaults.python_version: '3.9' is not allowed; expected one of 3.12, 3.13, 3.14"),
        ("network", {"nat_gateways": 0}, "stages.prod.network.nat_gateways: 0 is not allowed; expected an integer from 1 to 3"),
        ("network", {"cidr": "8.8.0.0/16"}, "stages.prod.network.cidr: '8.8.0.0/16' is not allowed"),
        ("api", {"cors_allow_origins": ["*"]}, "stages.prod.api.cors_allow_origins: '*' is not allowed"),
        ("function_defaults", {"layers": ["arn:aws:lambda:eu-west-1:123456789012:layer:tools"]}, "stages.prod.function_defaults.layers.0: 'arn:aws:lambda:eu-west-1:123456789012:layer:tools' is not allowed; expected a layer version ARN"),
        ("api", {"web_acl_arn": "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/0a1b2c3d-0000-0000-0000-000000000000"}, "stages.prod.api.web_acl_arn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/"),
        ("file_system", {"performance_mode": "maxIO"}, "stages.prod.file_system.performance_mode: 'maxIO' is not allowed; expected generalPurpose with elastic throughput"),
        ("file_system", {"posix_uid": 1000}, "stages.prod.file_system.posix_uid: 1000 is not allowed; expected a known setting: automatic_backups"),
    ],
)
def test_invalid_setting_is_rejected_naming_field_value_and_allowed(section, settings, message):
    with pytest.raises(InvalidPropError) as error:
        build(prod_with(section, **settings))
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)


def test_an_unknown_stage_is_rejected_with_the_known_ones():
    context = {**cdk_context(), "stage": "qa"}
    with pytest.raises(InvalidPropError, match=r"^stage: 'qa' is not allowed; expected one of dev, prod"):
        build(context)


def test_missing_stages_are_rejected():
    with pytest.raises(InvalidPropError, match=r"^stages: "):
        build({"stages": {}})


NOBODY = {"notify_nobody": True}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "alarms": NOBODY, "functon": {}}, r"^stages\.qa\.functon: .* expected a known setting"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "function_defaults": {"memory_size": "512"}}, r"^stages\.qa\.function_defaults\.memory_size: '512' is not allowed; expected an integer"),
        ({"region": "eu-west-1"}, r"^stages\.qa\.network: None is not allowed; expected a value"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["us-east-1a", "us-east-1b"]}, "alarms": NOBODY}, r"^stages\.qa\.network\.availability_zones: 'us-east-1a'"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}}, r"^stages\.qa\.alarms: None is not allowed; expected a value \(this setting is required\)"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "alarms": {}}, r"^stages\.qa\.alarms\.emails: \[\] is not allowed; expected an address to notify, or https_endpoints, or a topic_arn \(or notify_nobody: true\)"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "alarms": {"emails": ["a@b.io"], "notify_nobody": True}}, r"^stages\.qa\.alarms\.notify_nobody: True is not allowed; expected false when"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "alarms": {"emails": ["oncall"]}}, r"^stages\.qa\.alarms\.emails\.0: 'oncall' is not allowed"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "alarms": {"https_endpoints": ["http://pager"]}}, r"^stages\.qa\.alarms\.https_endpoints\.0: 'http://pager' is not allowed"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "alarms": {"topic_arn": "arn:aws:sns:eu-west-1:123456789012:pager", "emails": ["a@b.io"]}}, r"^stages\.qa\.alarms\.topic_arn: 'arn:aws:sns:eu-west-1:123456789012:pager' is not allowed; expected alone"),
        ({"region": "europe", "network": {"availability_zones": ["x"]}}, r"^stages\.qa\.region: 'europe'"),
        ({"region": "eu-west-1", "account": "12345", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}}, r"^stages\.qa\.account: '12345'"),
        ({"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]}, "function_defaults": {"log_retention_days": 10}}, r"^stages\.qa\.function_defaults\.log_retention_days: 10 is not allowed; expected one of 1, 3"),
    ],
)
def test_malformed_stage_settings_name_the_field(settings, message):
    with pytest.raises(InvalidPropError, match=message):
        parse_stage("qa", settings)


def test_app_exits_with_one_line_and_no_traceback_on_bad_configuration(tmp_path):
    context = prod_with("function_defaults", memory_size=64)
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps(context),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "configuration error: stages.prod.function_defaults.memory_size: 64 is not allowed; expected an integer from 128 to 10240 (MB)"
    ]
    assert "Traceback" not in result.stdout + result.stderr

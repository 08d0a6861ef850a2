"""Stages generated from other definitions: the catalog with functions that use every declaration
option its own functions do not ("gen"), and a second service, orders (tests/fixtures/orders).

The session fixture synthesizes them next to the real stages, so cfn-lint and cdk-nag check what the
generator makes for queues, streams, schedules, asynchronous invocation, mounts, post-traffic hooks,
sort keys and indexes, and for a service that is not the catalog.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from stacks.function_declaration import (
    AsyncInvocation,
    FileSystemMount,
    FunctionDeclaration,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TrafficCheck,
)
from tests.fixtures.orders.definition import ORDERS

FIXTURE_RUNTIME = Path(__file__).resolve().parent / "fixtures" / "runtime"
STAGE = "gen"
ORDERS_STAGE = "orders-dev"

# Exactly the README's example ("Adding a function").
PRODUCT_AUDIT = FunctionDeclaration(
    name="product-audit",
    description="Logs every product change",
    package="product_audit",
    handler="product_audit.handler.lambda_handler",
    triggers=(StreamTrigger(table="product", batch_size=50, filters=({"eventName": ["INSERT", "MODIFY", "REMOVE"]},)),),
    tables={"product": "read"},
    file_system=FileSystemMount(access="read"),
)

BULK_WORKER = FunctionDeclaration(
    name="bulk-worker",
    description="Consumes the bulk queue",
    package="product_audit",
    handler="product_audit.handler.lambda_handler",
    triggers=(QueueTrigger(queue="bulk", batch_size=50, max_batching_window_seconds=5, max_concurrency=4, max_receive_count=3),),
    tables={"product": "read_write"},
    file_system=FileSystemMount(access="read_write", mount_path="/mnt/exports"),
    post_traffic_check=TrafficCheck(event={"Records": []}, expect={"batchItemFailures": []}),
)

NIGHTLY = FunctionDeclaration(
    name="nightly",
    description="Runs every night, outside the VPC",
    package="product_audit",
    handler="product_audit.handler.lambda_handler",
    triggers=(ScheduleTrigger(expression="cron(0 2 * * ? *)", time_zone="Europe/Paris", payload={"job": "nightly"}),),
    queues={"bulk": "send"},
    topics={"product-events": "publish"},
    async_invocation=AsyncInvocation(retry_attempts=1, max_event_age_seconds=600, on_success_queue="bulk"),
    in_vpc=False,
    settings={"timeout_seconds": 60, "memory_size": 256},
)

HOURLY = FunctionDeclaration(
    name="hourly",
    description="Scheduled by an EventBridge rule",
    package="product_audit",
    handler="product_audit.handler.lambda_handler",
    triggers=(ScheduleTrigger(expression="rate(1 hour)", service="rule"),),
)

GENERATED = (PRODUCT_AUDIT, BULK_WORKER, NIGHTLY, HOURLY)


def generated_stage_settings(dev: dict[str, Any]) -> dict[str, Any]:
    """The dev stage's settings plus options cdk.json never sets."""
    settings = {**dev}
    settings["api"] = {**dev["api"], "authorize_reads": True}
    settings["tables"] = {"product": {"table_name": "product-gen"}}
    settings["functions"] = {
        "hourly": {"schedule": "off"},
        "nightly": {"deployment_config": "Linear10PercentEvery1Minute", "alarm_duration_percent_of_timeout": 75},
    }
    settings["file_system"] = {**dev["file_system"], "throughput_mode": "bursting"}
    settings["alarms"] = {
        **dev["alarms"], "off": ["api_4xx", "table_errors"],
        "thresholds": {"queue_age_seconds": 1200, "api_latency_p90_ms": 1000, "iterator_age_seconds": 120},
    }
    # Every queue and topic kind under customer-managed keys (dev checks the SQS- and AWS-managed ones).
    settings["data"] = {**dev["data"], "customer_managed_key": True}
    return settings


def orders_stage_config() -> Any:
    """The dev stage's settings, for the orders service (no per-function or per-table settings of the catalog),
    with customer-managed keys: a queue of a group stack sent to from the service stack is encrypted with its key."""
    from devtools.synth import cdk_context
    from stacks.config import parse_stage

    dev = cdk_context()["stages"]["dev"]
    settings = {**dev, "tables": {}, "functions": {}, "data": {**dev["data"], "customer_managed_key": True}}
    return parse_stage(ORDERS_STAGE, settings, tuple(d.name for d in ORDERS.functions), tuple(t.name for t in ORDERS.tables))


def runtime_with_fixtures(directory: Path) -> Path:
    """The project's runtime/ plus the fixture packages, as one runtime directory."""
    from services.product_catalog.definition import RUNTIME_DIR

    runtime = directory / "runtime"
    shutil.copytree(RUNTIME_DIR, runtime, ignore=shutil.ignore_patterns("__pycache__"))
    for package in FIXTURE_RUNTIME.iterdir():
        shutil.copytree(package, runtime / package.name, ignore=shutil.ignore_patterns("__pycache__"))
    return runtime


def build_generated_app(app: Any, workdir: Path) -> Any:
    """Add the generated stage (the service's functions plus GENERATED) and the cdk-nag rule packs to ``app``."""
    from aws_cdk import Validations
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from devtools.synth import cdk_context
    from services.product_catalog.definition import DEFINITION
    from stacks.config import parse_stage
    from stacks.service_definition import ServiceDefinition
    from stacks.service_stage import ServiceStage

    definition = ServiceDefinition(**{
        **dict(DEFINITION), "runtime_dir": runtime_with_fixtures(workdir), "functions": DEFINITION.functions + GENERATED,
    })
    config = parse_stage(
        STAGE, generated_stage_settings(cdk_context()["stages"]["dev"]), tuple(d.name for d in definition.functions),
        tuple(t.name for t in definition.tables),
    )
    ServiceStage(app, definition=definition, config=config)
    ServiceStage(app, definition=ORDERS, config=orders_stage_config())
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app

"""ServiceStack: the stateless service generated from the function declarations; safe to destroy and redeploy."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import (
    CfnOutput,
    Duration,
    Stack,
    aws_codedeploy as codedeploy,
    aws_lambda as lambda_,
    aws_lambda_event_sources as event_sources,
    aws_scheduler as scheduler,
    aws_scheduler_targets as scheduler_targets,
)
from constructs import Construct

from catalog_constructs.event_topic import EventTopic
from catalog_constructs.failure_queue import FailureQueue
from catalog_constructs.logs_key import LogsKey
from catalog_constructs.nag import acknowledge, acknowledge_all
from catalog_constructs.product_api import ApiRoute, ProductApi
from catalog_constructs.python_bundle import bundled_code
from catalog_constructs.service_function import RollbackAlarms, ServiceFunction
from catalog_constructs.service_network import ServiceNetwork
from catalog_constructs.subscriber_queue import SubscriberQueue
from catalog_constructs.traffic_hook import TrafficHook
from catalog_constructs.work_queue import WorkQueue
from stacks.config import FunctionSettings, StageConfig, config_section
from stacks.function_declaration import (
    AsyncInvocation,
    FunctionDeclaration,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TopicSubscription,
    TrafficCheck,
    env_name,
    pascal,
)
from stacks.functions import FUNCTIONS, SUBSCRIPTIONS
from stacks.retention import retention
from stacks.stateful_stack import StatefulStack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNTIME_DIR = PROJECT_ROOT / "runtime"
BUNDLE_CACHE = PROJECT_ROOT / ".cache" / "lambda"
HOOK_PACKAGE = "traffic_hook"
HOOK_HANDLER = "traffic_hook.handler.lambda_handler"
SERVICE_NAME = "product-catalog"
METRICS_NAMESPACE = "ProductCatalog"


class ServiceStack(Stack):
    """Every declared function with its triggers, grants, hooks and releases; the REST API in front."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        network: ServiceNetwork,
        stateful: StatefulStack,
        functions: Sequence[FunctionDeclaration] = FUNCTIONS,
        subscriptions: Sequence[TopicSubscription] = SUBSCRIPTIONS,
        runtime_dir: Path | None = None,
        logs_key: LogsKey | None = None,
        **kwargs,
    ) -> None:
        """
        :param functions: the declarations to generate (default: the service's, stacks/functions.py).
        :param subscriptions: queues subscribed to the functions' topics (default: the service's).
        :param runtime_dir: where the declared packages live, with their pins in ``requirements/`` (default ``runtime/``).
        :param logs_key: encrypts every log group of the service, named under its prefix (default: none).
        """
        super().__init__(scope, construct_id, **kwargs)
        self._runtime_dir = runtime_dir or RUNTIME_DIR
        self._logs_key = logs_key
        self._network = network
        self._stateful = stateful
        self._tables = stateful.tables
        self._settings = {d.name: config.function_settings(d.name, d.settings) for d in functions}
        self._cors_allow_origins = config.api.cors_allow_origins
        self._application = codedeploy.LambdaApplication(self, "DeploymentApplication")
        self._hook_code: dict[tuple[str, str], lambda_.Code] = {}

        self.queues = self._work_queues(functions)
        self.topics = {
            name: EventTopic(self, f"{pascal(name)}Topic")
            for name in sorted({topic for d in functions for topic in d.topics})
        }
        self.subscriber_queues = {
            subscription.queue: SubscriberQueue(
                self,
                f"{pascal(subscription.queue)}Subscriber",
                topic=self.topics[subscription.topic].topic,
                filter_policy={name: list(values) for name, values in subscription.filter_policy.items()},
                max_receive_count=subscription.max_receive_count,
            )
            for subscription in subscriptions
        }
        self.functions: dict[str, ServiceFunction] = {}
        for declaration in functions:
            with config_section(f"functions.{declaration.name}"):
                self.functions[declaration.name] = self._generate(declaration, self._settings[declaration.name])

        self.api: ProductApi | None = None
        api_facing = [d for d in functions if d.api_routes]
        if api_facing:
            api = config.api
            with config_section("api"):
                self.api = ProductApi(
                    self,
                    "ProductApi",
                    routes=[
                        ApiRoute(method=route.method, path=route.path, handler=self.functions[d.name].alias,
                                 body_schema=route.body_schema)
                        for d in api_facing
                        for route in d.api_routes
                    ],
                    user_pool=stateful.user_pool.user_pool,
                    stage_name=api.stage_name,
                    authorize_reads=api.authorize_reads,
                    throttling_rate_limit=api.throttling_rate_limit,
                    throttling_burst_limit=api.throttling_burst_limit,
                    cors_allow_origins=api.cors_allow_origins,
                    access_log_retention=retention(api.access_log_retention_days),
                    manage_account_cloudwatch_role=api.manage_account_cloudwatch_role,
                    web_acl_arn=api.web_acl_arn,
                    rollback_5xx_rate=api.rollback_5xx_rate,
                    **self._log_group("api/access", "access_log_group_name"),
                )
            for declaration in api_facing:
                self.functions[declaration.name].add_rollback_alarm(self.api.server_error_alarm)
            CfnOutput(self, "ProductApiUrl", value=f"{self.api.url}product", description="Base URL of /product")
            CfnOutput(self, "UserPoolClientId", value=stateful.user_pool.client.user_pool_client_id)

    def _log_group(self, suffix: str, name_prop: str) -> dict[str, object]:
        """The name and key props of a log group: named under the logs key's prefix when the stage has one."""
        if self._logs_key is None:
            return {}
        return {name_prop: self._logs_key.log_group_name(suffix), "log_encryption_key": self._logs_key.key}

    def _work_queues(self, functions: Sequence[FunctionDeclaration]) -> dict[str, WorkQueue]:
        """One queue per queue trigger, its visibility timeout derived from its consumer's timeout."""
        queues = {}
        for declaration in functions:
            for trigger in declaration.triggers_of(QueueTrigger):
                queues[trigger.queue] = WorkQueue(
                    self,
                    f"{pascal(trigger.queue)}Queue",
                    consumer_timeout_seconds=self._settings[declaration.name].timeout_seconds,
                    batching_window_seconds=trigger.max_batching_window_seconds,
                    max_receive_count=trigger.max_receive_count,
                )
        return queues

    def _code(self, declaration: FunctionDeclaration, settings: FunctionSettings) -> lambda_.Code:
        return bundled_code(
            package_dir=self._runtime_dir / declaration.package,
            requirements=self._runtime_dir / "requirements" / declaration.requirements if declaration.requirements else None,
            python_version=settings.python_version,
            architecture=settings.architecture,
            cache_dir=BUNDLE_CACHE,
            extra_packages=[self._runtime_dir / package for package in declaration.extra_packages],
        )

    def _environment(self, declaration: FunctionDeclaration, settings: FunctionSettings) -> dict[str, str]:
        """What the function needs to find what it was granted, named after the declaration."""
        environment = {
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": settings.log_level,
        }
        for name in declaration.tables:
            environment[env_name(name, "TABLE_NAME")] = self._tables[name].table.table_name
            environment[env_name(name, "TABLE_KEY")] = self._tables[name].partition_key
        for name in declaration.queues:
            environment[env_name(name, "QUEUE_URL")] = self.queues[name].queue.queue_url
        for name in declaration.topics:
            environment[env_name(name, "TOPIC_ARN")] = self.topics[name].topic.topic_arn
        if declaration.file_system is not None:
            environment["FILE_SYSTEM_PATH"] = declaration.file_system.mount_path
        if declaration.api_routes and self._cors_allow_origins:
            # The function answers through a proxy integration: it must send the CORS headers itself.
            environment["CORS_ALLOW_ORIGINS"] = ",".join(self._cors_allow_origins)
        return {**environment, **declaration.environment, **settings.environment}

    def _generate(self, declaration: FunctionDeclaration, settings: FunctionSettings) -> ServiceFunction:
        cid = declaration.construct_id
        mount = declaration.file_system
        fn = ServiceFunction(
            self,
            cid,
            code=self._code(declaration, settings),
            handler=declaration.handler,
            description=declaration.description,
            vpc=self._network.vpc if declaration.in_vpc else None,
            vpc_subnets=self._network.private_subnets if declaration.in_vpc else None,
            python_version=settings.python_version,
            architecture=settings.architecture,
            memory_size=settings.memory_size,
            timeout_seconds=settings.timeout_seconds,
            ephemeral_storage_mb=settings.ephemeral_storage_mb,
            reserved_concurrent_executions=settings.reserved_concurrent_executions,
            log_retention=retention(settings.log_retention_days),
            **self._log_group(f"functions/{declaration.name}", "log_group_name"),
            environment=self._environment(declaration, settings),
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(self, f"{cid}Layer{index}", arn)
                for index, arn in enumerate(settings.layers)
            ],
            file_system=self._stateful.file_system.mount_config(mount.mount_path) if mount else None,
            deployment_config=settings.deployment_config,
            rollback_alarms=RollbackAlarms(
                errors_per_minute=settings.alarm_errors_per_minute,
                throttles_per_minute=settings.alarm_throttles_per_minute,
            ),
            application=self._application,
            invoked_asynchronously=declaration.invoked_asynchronously,
        )
        self._grant(declaration, fn)
        for trigger in declaration.triggers_of(QueueTrigger):
            fn.alias.add_event_source(
                event_sources.SqsEventSource(
                    self.queues[trigger.queue].queue,
                    batch_size=trigger.batch_size,
                    max_batching_window=_seconds(trigger.max_batching_window_seconds),
                    max_concurrency=trigger.max_concurrency,
                    report_batch_item_failures=trigger.report_batch_item_failures,
                )
            )
            acknowledge(
                fn.alias,
                "Serverless-LambdaEventSourceMappingDestination",
                "SQS mappings take no on-failure destination: the queue's redrive policy moves a message "
                f"received {trigger.max_receive_count} times to its dead-letter queue, which is alarmed.",
            )
        for trigger in declaration.triggers_of(StreamTrigger):
            self._stream_trigger(cid, fn, trigger)
        for trigger in declaration.triggers_of(ScheduleTrigger):
            self._schedule(cid, fn, trigger, settings.schedule)
        if declaration.invoked_asynchronously:
            self._async_invocation(cid, fn, declaration.async_invocation or AsyncInvocation())
        for phase, check in (("pre", declaration.pre_traffic_check), ("post", declaration.post_traffic_check)):
            if check is not None:
                self._traffic_hook(cid, fn, phase, check, settings, declaration.name)
        return fn

    def _grant(self, declaration: FunctionDeclaration, fn: ServiceFunction) -> None:
        """Exactly what the declaration asks for, through each resource's own grant methods."""
        for name, access in declaration.tables.items():
            table = self._tables[name].table
            if access == "read":
                table.grant_read_data(fn)
            else:
                table.grant_read_write_data(fn)
        for name in declaration.queues:
            self.queues[name].grant_send(fn)
        for name in declaration.topics:
            self.topics[name].grant_publish(fn)
        if declaration.file_system is not None:
            self._stateful.file_system.grant_mount(fn, read_only=declaration.file_system.access == "read")
        if self._stateful.encryption_key is not None and "read_write" in declaration.tables.values():
            acknowledge_all(fn.role, {
                f"AwsSolutions-IAM5[Action::{action}]": (
                    "Granted by Table.grant_read_write_data on the one customer-managed table key: the action "
                    f"wildcard covers the {covers} DynamoDB uses, on that key's ARN only."
                )
                for action, covers in (("kms:GenerateDataKey*", "GenerateDataKey variants"), ("kms:ReEncrypt*", "ReEncryptFrom/To"))
            })

    def _stream_trigger(self, cid: str, fn: ServiceFunction, trigger: StreamTrigger) -> None:
        failures = FailureQueue(
            self, f"{cid}StreamFailures",
            purpose=f"{trigger.table} stream batches the function gave up on (retried {trigger.retry_attempts} times)",
        )
        _acknowledge_destination(failures, "the on-failure destination of a DynamoDB stream mapping")
        fn.alias.add_event_source(
            event_sources.DynamoEventSource(
                self._tables[trigger.table].table,
                starting_position=lambda_.StartingPosition[trigger.starting_position],
                batch_size=trigger.batch_size,
                max_batching_window=_seconds(trigger.max_batching_window_seconds),
                bisect_batch_on_error=trigger.bisect_batch_on_error,
                retry_attempts=trigger.retry_attempts,
                max_record_age=Duration.seconds(trigger.max_record_age_seconds),
                parallelization_factor=trigger.parallelization_factor,
                report_batch_item_failures=trigger.report_batch_item_failures,
                on_failure=event_sources.SqsDlq(failures.queue),
                filters=[{"pattern": json.dumps(pattern, sort_keys=True)} for pattern in trigger.filters] or None,
            )
        )

    def _schedule(self, cid: str, fn: ServiceFunction, trigger: ScheduleTrigger, stage_expression: str | None) -> None:
        expression = stage_expression or trigger.expression
        enabled = expression != "off"
        if not enabled:
            expression = trigger.expression
        failures = FailureQueue(self, f"{cid}ScheduleFailures", purpose="scheduled invocations that could not be delivered")
        _acknowledge_destination(failures, "the dead-letter queue of a schedule's target")
        if trigger.service == "scheduler":
            scheduler.Schedule(
                self,
                f"{cid}Schedule",
                description=f"Invokes {fn.node.path} ({expression})",
                schedule=scheduler.ScheduleExpression.expression(expression, _time_zone(trigger.time_zone)),
                enabled=enabled,
                target=scheduler_targets.LambdaInvoke(
                    fn.alias,
                    input=scheduler.ScheduleTargetInput.from_object(trigger.payload),
                    retry_attempts=trigger.retry_attempts,
                    max_event_age=Duration.seconds(trigger.max_event_age_seconds),
                    dead_letter_queue=failures.queue,
                ),
            )
        else:
            # Imported here: only rule schedules need them, and each aws-cdk-lib module costs import time on every synth.
            from aws_cdk import aws_events as events, aws_events_targets as events_targets

            events.Rule(
                self,
                f"{cid}Schedule",
                description=f"Invokes {fn.node.path} ({expression})",
                schedule=events.Schedule.expression(expression),
                enabled=enabled,
                targets=[
                    events_targets.LambdaFunction(
                        fn.alias,
                        event=events.RuleTargetInput.from_object(trigger.payload),
                        retry_attempts=trigger.retry_attempts,
                        max_event_age=Duration.seconds(trigger.max_event_age_seconds),
                        dead_letter_queue=failures.queue,
                    )
                ],
            )

    def _async_invocation(self, cid: str, fn: ServiceFunction, settings: AsyncInvocation) -> None:
        failures = FailureQueue(
            self, f"{cid}AsyncFailures", purpose="asynchronous invocations that failed every attempt or expired"
        )
        _acknowledge_destination(failures, "the on-failure destination of the function's asynchronous invocations")
        on_success = settings.on_success_queue
        fn.configure_async_invoke(
            on_failure=failures.queue,
            retry_attempts=settings.retry_attempts,
            max_event_age=Duration.seconds(settings.max_event_age_seconds),
            on_success=self.queues[on_success].queue if on_success else None,
        )

    def _traffic_hook(
        self, cid: str, fn: ServiceFunction, phase: str, check: TrafficCheck, settings: FunctionSettings, name: str
    ) -> None:
        key = (settings.python_version, settings.architecture)
        if key not in self._hook_code:
            self._hook_code[key] = bundled_code(
                # The hook's package ships with the service's runtime (runtime/traffic_hook).
                package_dir=self._runtime_dir / HOOK_PACKAGE, requirements=None, python_version=key[0],
                architecture=key[1], cache_dir=BUNDLE_CACHE,
            )
        TrafficHook(
            self,
            f"{cid}{phase.capitalize()}TrafficHook",
            target=fn,
            code=self._hook_code[key],
            handler=HOOK_HANDLER,
            event=check.event,
            expect=check.expect,
            phase=phase,
            python_version=settings.python_version,
            architecture=settings.architecture,
            log_retention=retention(settings.log_retention_days),
            **self._log_group(f"functions/{name}-{phase}-traffic-hook", "log_group_name"),
        )


def _seconds(value: int) -> Duration | None:
    return Duration.seconds(value) if value else None


def _time_zone(name: str) -> object:
    from aws_cdk import TimeZone

    return TimeZone.of(name)


def _acknowledge_destination(failures: FailureQueue, role: str) -> None:
    acknowledge(
        failures.queue,
        "AwsSolutions-SQS3",
        f"This queue is itself {role}: it has no dead-letter queue of its own; its not-empty alarm tells "
        "people to inspect what it holds.",
    )

"""FunctionStack: the functions of one group of a service (or its ungrouped ones), generated from their declarations.

Stateless: safe to destroy and redeploy. Where a function lives follows from its own declaration
(``FunctionDeclaration.group``), never from its position or from how full a stack is, so adding one
function changes no other function's stack or logical ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from catalog_constructs.alarm_topic import AlarmTopic
from catalog_constructs.event_topic import EventTopic
from catalog_constructs.failure_queue import FailureQueue
from catalog_constructs.log_insights_queries import SavedLogQueries
from catalog_constructs.logs_key import LogsKey
from catalog_constructs.message_key import MessageKey
from catalog_constructs.nag import acknowledge, acknowledge_all
from catalog_constructs.python_bundle import bundled_code
from catalog_constructs.retained_table import RetainedTable
from catalog_constructs.service_api import ApiRoute as ApiMethod
from catalog_constructs.service_api import server_error_rate_alarm
from catalog_constructs.service_function import (
    ServiceFunction,
    deployment_service_role,
    egress_only_security_group,
)
from catalog_constructs.service_network import ServiceNetwork
from catalog_constructs.subscriber_queue import SubscriberQueue
from catalog_constructs.traffic_hook import TrafficHook
from catalog_constructs.work_queue import WorkQueue

from constructs import Construct
from stacks.config import FunctionSettings, StageConfig, config_section
from stacks.declared import env_name, pascal
from stacks.function_declaration import AsyncInvocation, FunctionDeclaration, TrafficCheck
from stacks.function_props import function_props
from stacks.retention import retention
from stacks.service_definition import ServiceDefinition
from stacks.stack_monitoring import StackMonitoring
from stacks.stateful_stack import StatefulStack
from stacks.triggers import ApiRoute

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# What the action wildcards of CDK's grants on a customer-managed key cover (Table.grant_read_write_data and
# Queue.grant_send_messages grant both, Topic.grant_publish the first).
KEY_GRANT_WILDCARDS = {"kms:GenerateDataKey*": "GenerateDataKey variants", "kms:ReEncrypt*": "ReEncryptFrom/To"}
BUNDLE_CACHE = PROJECT_ROOT / ".cache" / "lambda"


@dataclass
class SharedResources:
    """What the stage's function stacks create for each other, by declared name (a queue, a topic)."""

    queues: dict[str, WorkQueue] = field(default_factory=dict)
    topics: dict[str, EventTopic] = field(default_factory=dict)


class FunctionStack(Stack):
    """The declared functions of one group, with their triggers, grants, hooks and releases.

    It is the ``ServiceBinding`` each trigger binds itself through (stacks/triggers/base.py). The
    queues its functions consume and the topics of its group live here too; API routes are collected
    in ``routes`` for the service's one REST API. In a stage with a customer-managed key, the stack's
    queues are encrypted with a ``MessageKey`` of its own and its topics with the stage's data key
    (a topic cannot share the key of the queues subscribed to it: see ``MessageKey``).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: ServiceDefinition,
        group: str | None,
        config: StageConfig,
        network: ServiceNetwork,
        stateful: StatefulStack,
        shared: SharedResources,
        logs_key: LogsKey | None = None,
        api_name: str | None = None,
        alarm_topic: AlarmTopic | None = None,
        finish: bool = True,
        **kwargs,
    ) -> None:
        """
        :param definition: the service the functions belong to.
        :param group: the group whose functions (and topics) this stack holds; None for the ungrouped ones.
        :param config: the stage's settings.
        :param network: the VPC functions declared ``in_vpc`` are placed in.
        :param stateful: the stack holding the definition's tables, file system and user pool.
        :param shared: queues and topics by name, across the stage's function stacks.
        :param logs_key: encrypts every log group of the service, named under its prefix (default: none).
        :param api_name: the service's REST API name, whose 5XX rate rolls back this group's API
            functions (default none: the stack holds the API, which brings its own alarm).
        :param alarm_topic: told when any alarm of this stack fires and clears (default none: the stage
            said it notifies nobody).
        :param finish: notify and show the stack's alarms once built (default); a subclass that adds
            more calls ``_finish`` itself.
        """
        super().__init__(scope, construct_id, **kwargs)
        functions = [d for d in definition.functions if d.group == group]
        self._alarm_topic = alarm_topic
        self._group = group
        self._own_queues: list[WorkQueue] = []
        self._failure_queues: list[FailureQueue] = []
        self._definition = definition
        self._config = config
        self._logs_key = logs_key
        self._network = network
        self._stateful = stateful
        self._message_key: MessageKey | None = None
        self._acknowledged_key_wildcards: set[tuple[str, str]] = set()
        self._settings = {d.name: config.function_settings(d.name, d.settings) for d in functions}
        self._application = codedeploy.LambdaApplication(self, "DeploymentApplication")
        # One CodeDeploy service role for the stack's deployment groups instead of one each.
        self._deployment_role = deployment_service_role(self, "DeploymentRole")
        self._security_group: ec2.SecurityGroup | None = None
        self._routes: list[ApiMethod] = []
        self._api_facing: list[ServiceFunction] = []

        # The name of the stack's dashboard and schedule group: dashboards are global to an account.
        self.monitoring_name = "-".join((config.name, definition.name, *((group,) if group else ())))
        self.monitoring = StackMonitoring(
            self, "Monitoring", config=config.alarms, dashboard_name=self.monitoring_name,
            description=(
                f"Functions of group **{group}** of {definition.name} ({config.name})" if group
                else f"The API, tables and ungrouped functions of {definition.name} ({config.name})"
            ),
        )
        self._schedule_group: Any = None
        self.queues = shared.queues
        for declaration in functions:
            for trigger in declaration.triggers:
                trigger.provision(self, declaration, self._settings[declaration.name].timeout_seconds)
        self.topics = shared.topics
        own_topics = [topic for topic in definition.topics if topic.group == group]
        self.topics.update({
            topic.name: EventTopic(self, f"{pascal(topic.name)}Topic", encryption_key=stateful.encryption_key)
            for topic in own_topics
        })
        self.subscriber_queues = {
            subscription.queue: SubscriberQueue(
                self,
                f"{pascal(subscription.queue)}Subscriber",
                topic=self.topics[subscription.topic].topic,
                filter_policy={name: list(values) for name, values in subscription.filter_policy.items()},
                max_receive_count=subscription.max_receive_count,
                encryption_key=self.queue_key(),
            )
            for subscription in definition.subscriptions
            if subscription.topic in {topic.name for topic in own_topics}
        }
        self.functions: dict[str, ServiceFunction] = {}
        for declaration in functions:
            with config_section(f"functions.{declaration.name}"):
                self.functions[declaration.name] = self._generate(declaration, self._settings[declaration.name])
        self._release_alarms: list[cloudwatch.Alarm] = []
        if api_name is not None and self._api_facing:
            # The API lives in the service stack; this group's functions watch its 5XX rate by name.
            alarm = server_error_rate_alarm(
                self, "ApiServerErrorRateAlarm", api_name=api_name, stage_name=config.api.stage_name,
                rate=config.api.rollback_5xx_rate, described_as=api_name,
            )
            for fn in self._api_facing:
                fn.add_rollback_alarm(alarm)
            self._release_alarms.append(alarm)
        for declaration in functions:
            settings = self._settings[declaration.name]
            self.monitoring.watch_function(
                declaration, self.functions[declaration.name], timeout=Duration.seconds(settings.timeout_seconds),
                duration_percent=settings.alarm_duration_percent_of_timeout,
            )
        for name, queue in self.queues.items():
            if queue in self._own_queues:
                self.monitoring.watch_queue(name, queue)
        consumed = {trigger.consumed_queue() for d in definition.functions for trigger in d.triggers}
        for name, subscriber in self.subscriber_queues.items():
            self.monitoring.watch_queue(name, subscriber, consumed=name in consumed)
        if finish:
            self._finish()

    def _finish(self) -> None:
        """Notify the stage's topic of every alarm of the stack, and show them all on its dashboard."""
        failure_alarms = [
            *(queue.dead_letter.alarm for queue in self._own_queues),
            *(subscriber.dead_letter.alarm for subscriber in self.subscriber_queues.values()),
            *(failures.alarm for failures in self._failure_queues),
        ]
        release_alarms = [*self._release_alarms, *(alarm for fn in self.functions.values() for alarm in fn.alarms)]
        self.notify(*release_alarms, *failure_alarms, *self.monitoring.alarms)
        self.monitoring.finish(other_alarms=[*release_alarms, *failure_alarms])
        if self.functions:
            # Per stack, like the dashboard: no cross-stack reference per function, and a group's
            # operators find its queries in a folder of its own. Declaration order keeps the parts stable.
            SavedLogQueries(
                self, "LogQueries", folder="/".join((self._definition.name, self._config.name, *((self._group,) if self._group else ()))),
                log_groups=[fn.log_group for fn in self.functions.values()],
            )

    def notify(self, *alarms: cloudwatch.Alarm) -> None:
        """Tell the stage's alarm topic when these alarms fire and clear."""
        if self._alarm_topic is not None:
            self._alarm_topic.notify(*alarms)

    def _queue_key_owner(self) -> MessageKey | None:
        """This stack's ``MessageKey`` in a stage with a customer-managed key, created with the first queue; else none."""
        if not self._config.data.customer_managed_key:
            return None
        if self._message_key is None:
            self._message_key = MessageKey(self, "MessageKey", description=f"Encrypts the queues of {self.node.path}")
        return self._message_key

    def queue_key(self) -> kms.IKey | None:
        """The key of this stack's queues (default none: SQS-managed encryption, in a stage without a customer-managed key)."""
        owner = self._queue_key_owner()
        return owner.key if owner is not None else None

    @property
    def routes(self) -> list[ApiMethod]:
        """The API routes of this stack's functions, each served by its function's ``live`` alias."""
        return list(self._routes)

    # -- ServiceBinding: what triggers ask for -------------------------------------------------------
    def add_work_queue(
        self, name: str, *, consumer_timeout_seconds: int, batching_window_seconds: int, max_receive_count: int
    ) -> WorkQueue:
        """The queue a queue trigger consumes; its visibility timeout derived from its consumer's timeout."""
        self.queues[name] = WorkQueue(
            self,
            f"{pascal(name)}Queue",
            consumer_timeout_seconds=consumer_timeout_seconds,
            batching_window_seconds=batching_window_seconds,
            max_receive_count=max_receive_count,
            encryption_key=self.queue_key(),
        )
        self._own_queues.append(self.queues[name])
        return self.queues[name]

    def work_queue(self, name: str) -> WorkQueue:
        return self.queues[name]

    def table(self, name: str) -> RetainedTable:
        return self._stateful.tables[name]

    def failure_queue(self, fn: ServiceFunction, suffix: str, *, purpose: str, role: str) -> FailureQueue:
        """A queue of ``fn``'s own for what a trigger gives up on (``<Function><suffix>``), alarmed when not empty."""
        failures = FailureQueue(self, f"{fn.node.id}{suffix}", purpose=purpose, encryption_key=self.queue_key())
        self._failure_queues.append(failures)
        if failures.queue.encryption_master_key is not None:
            # fn's role is granted to send to it: it is the destination of a stream mapping or of the async
            # invocations (a scheduled function has the latter too).
            self._acknowledge_key_wildcards(fn, *KEY_GRANT_WILDCARDS)
        acknowledge(
            failures.queue,
            "AwsSolutions-SQS3",
            f"This queue is itself {role}: it has no dead-letter queue of its own; its not-empty alarm tells "
            "people to inspect what it holds.",
        )
        return failures

    def admit_event_rules(self) -> None:
        """EventBridge rules write to this stack's queues (dead letters): its queue key, if any, must admit them."""
        owner = self._queue_key_owner()
        if owner is not None:
            owner.admit_event_rules()

    def add_api_routes(self, fn: ServiceFunction, routes: tuple[ApiRoute, ...]) -> None:
        self._api_facing.append(fn)
        self._routes += [
            ApiMethod(method=route.method, path=route.path, handler=fn.alias, body_schema=route.body_schema)
            for route in routes
        ]

    def stage_schedule(self, function: FunctionDeclaration) -> str | None:
        return self._settings[function.name].schedule

    def schedule_group(self) -> Any:
        """The stack's own schedule group, named as its dashboard: Scheduler reports its metrics per group."""
        if self._schedule_group is None:
            from aws_cdk import RemovalPolicy
            from aws_cdk import aws_scheduler as scheduler

            # Stateless: deleting the group deletes its schedules, which are this stack's anyway (and a
            # retained group would block the next deploy of the same name).
            self._schedule_group = scheduler.ScheduleGroup(
                self, "ScheduleGroup", schedule_group_name=self.monitoring_name, removal_policy=RemovalPolicy.DESTROY,
            )
            self.monitoring.watch_schedule_group(self._schedule_group, described_as=f"the schedules of {self.monitoring_name}")
        return self._schedule_group

    def watch_schedule_rule(self, function: FunctionDeclaration, rule_name: str) -> None:
        self.monitoring.watch_schedule_rule(function, rule_name)

    # -- generation ---------------------------------------------------------------------------------
    def _shared_security_group(self) -> ec2.SecurityGroup:
        """The egress-only security group of the stack's functions that mount nothing.

        They reach only AWS APIs, so they share one (HTTPS out, nothing in); a function that mounts
        the file system keeps its own, so EFS admits exactly the functions that mount it.
        """
        if self._security_group is None:
            self._security_group = egress_only_security_group(
                self, "FunctionsSecurityGroup", vpc=self._network.vpc,
                description=f"{self.node.path} functions that mount nothing: HTTPS to AWS APIs only",
            )
        return self._security_group

    def _log_group(self, suffix: str, name_prop: str) -> dict[str, object]:
        """The name and key props of a log group: named under the logs key's prefix when the stage has one."""
        if self._logs_key is None:
            return {}
        return {name_prop: self._logs_key.log_group_name(suffix), "log_encryption_key": self._logs_key.key}

    def _code(self, declaration: FunctionDeclaration, settings: FunctionSettings) -> lambda_.Code:
        runtime_dir = self._definition.runtime_dir
        return bundled_code(
            package_dir=runtime_dir / declaration.package,
            requirements=runtime_dir / "requirements" / declaration.requirements if declaration.requirements else None,
            python_version=settings.python_version,
            architecture=settings.architecture,
            cache_dir=BUNDLE_CACHE,
            extra_packages=[runtime_dir / package for package in declaration.extra_packages],
        )

    def _environment(self, declaration: FunctionDeclaration, settings: FunctionSettings) -> dict[str, str]:
        """What the function needs to find what it was granted, named after the declaration."""
        environment = {
            "POWERTOOLS_SERVICE_NAME": self._definition.name,
            "POWERTOOLS_METRICS_NAMESPACE": self._definition.namespace,
            "POWERTOOLS_LOG_LEVEL": settings.log_level,
        }
        for name in declaration.tables:
            table = self.table(name)
            environment[env_name(name, "TABLE_NAME")] = table.table.table_name
            environment[env_name(name, "TABLE_KEY")] = table.partition_key
            if table.sort_key:
                environment[env_name(name, "TABLE_SORT_KEY")] = table.sort_key
        for name in declaration.queues:
            environment[env_name(name, "QUEUE_URL")] = self.queues[name].queue.queue_url
        for name in declaration.topics:
            environment[env_name(name, "TOPIC_ARN")] = self.topics[name].topic.topic_arn
        if declaration.file_system is not None:
            environment["FILE_SYSTEM_PATH"] = declaration.file_system.mount_path
        if declaration.api_routes and self._config.api.cors_allow_origins:
            # The function answers through a proxy integration: it must send the CORS headers itself.
            environment["CORS_ALLOW_ORIGINS"] = ",".join(self._config.api.cors_allow_origins)
        return {**environment, **declaration.environment, **settings.environment}

    def _generate(self, declaration: FunctionDeclaration, settings: FunctionSettings) -> ServiceFunction:
        cid = declaration.construct_id
        mount = declaration.file_system
        file_system = self._stateful.file_system
        fn = ServiceFunction(
            self,
            cid,
            code=self._code(declaration, settings),
            handler=declaration.handler,
            description=declaration.description,
            vpc=self._network.vpc if declaration.in_vpc else None,
            vpc_subnets=self._network.private_subnets if declaration.in_vpc else None,
            **function_props(settings),
            **self._log_group(f"functions/{declaration.name}", "log_group_name"),
            environment=self._environment(declaration, settings),
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(self, f"{cid}Layer{index}", arn)
                for index, arn in enumerate(settings.layers)
            ],
            file_system=file_system.mount_config(mount.mount_path) if mount and file_system else None,
            application=self._application,
            deployment_role=self._deployment_role,
            security_group=self._shared_security_group() if declaration.in_vpc and mount is None else None,
            invoked_asynchronously=declaration.invoked_asynchronously,
        )
        self._grant(declaration, fn)
        for trigger in declaration.triggers:
            trigger.bind(self, declaration, fn)
        if declaration.invoked_asynchronously:
            self._async_invocation(fn, declaration.async_invocation or AsyncInvocation())
        for phase, check in (("pre", declaration.pre_traffic_check), ("post", declaration.post_traffic_check)):
            if check is not None:
                self._traffic_hook(cid, fn, phase, check, settings, declaration.name)
        return fn

    def _grant(self, declaration: FunctionDeclaration, fn: ServiceFunction) -> None:
        """Exactly what the declaration asks for, through each resource's own grant methods."""
        for name, access in declaration.tables.items():
            if access == "read":
                self.table(name).grant_read_data(fn)
            else:
                self.table(name).grant_read_write_data(fn)
        for name in declaration.queues:
            self.queues[name].grant_send(fn)
            if self.queues[name].queue.encryption_master_key is not None:
                self._acknowledge_key_wildcards(fn, *KEY_GRANT_WILDCARDS)
        for name in declaration.topics:
            self.topics[name].grant_publish(fn)
            if self._stateful.encryption_key is not None:  # the topics' key
                self._acknowledge_key_wildcards(fn, "kms:GenerateDataKey*")
        if declaration.file_system is not None and self._stateful.file_system is not None:
            self._stateful.file_system.grant_mount(fn, read_only=declaration.file_system.access == "read")
        if self._stateful.encryption_key is not None and "read_write" in declaration.tables.values():
            self._acknowledge_key_wildcards(fn, *KEY_GRANT_WILDCARDS)

    def _acknowledge_key_wildcards(self, fn: ServiceFunction, *actions: str) -> None:
        """Acknowledge, once per role, the action wildcards CDK's grants on the stage's customer-managed keys add."""
        new = [action for action in actions if (fn.node.id, action) not in self._acknowledged_key_wildcards]
        if not new:
            return
        self._acknowledged_key_wildcards.update((fn.node.id, action) for action in new)
        acknowledge_all(fn.role, {
            f"AwsSolutions-IAM5[Action::{action}]": (
                "Granted by CDK's grants on the stage's customer-managed keys (Table.grant_read_write_data, "
                f"Queue.grant_send_messages, Topic.grant_publish): the action wildcard covers the {KEY_GRANT_WILDCARDS[action]} "
                "DynamoDB, SQS and SNS use, on those keys' ARNs only."
            )
            for action in new
        })

    def _async_invocation(self, fn: ServiceFunction, settings: AsyncInvocation) -> None:
        failures = self.failure_queue(
            fn, "AsyncFailures", purpose="asynchronous invocations that failed every attempt or expired",
            role="the on-failure destination of the function's asynchronous invocations",
        )
        on_success = settings.on_success_queue
        if on_success and self.queues[on_success].queue.encryption_master_key is not None:
            self._acknowledge_key_wildcards(fn, *KEY_GRANT_WILDCARDS)  # SqsDestination grants send on it
        fn.configure_async_invoke(
            on_failure=failures.queue,
            retry_attempts=settings.retry_attempts,
            max_event_age=Duration.seconds(settings.max_event_age_seconds),
            on_success=self.queues[on_success].queue if on_success else None,
        )

    def _traffic_hook(
        self, cid: str, fn: ServiceFunction, phase: str, check: TrafficCheck, settings: FunctionSettings, name: str
    ) -> None:
        TrafficHook(
            self,
            f"{cid}{phase.capitalize()}TrafficHook",
            target=fn,
            event=check.event,
            expect=check.expect,
            phase=phase,
            log_retention=retention(settings.log_retention_days),
            **self._log_group(f"functions/{name}-{phase}-traffic-hook", "log_group_name"),
        )

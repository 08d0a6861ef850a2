"""ServiceStage: one deployable copy of a service (network, stateful, service stacks)."""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags

from constructs import Construct
from stacks.alarms_stack import AlarmsStack
from stacks.budgets import RESOURCES_PER_TEMPLATE, STACK_RESOURCE_LIMIT_CONTEXT
from stacks.config import StageConfig, config_section
from stacks.declaration_checks import check_stage_settings
from stacks.declared import pascal
from stacks.function_stack import FunctionStack, SharedResources
from stacks.network_stack import NetworkStack
from stacks.service_definition import ServiceDefinition
from stacks.service_stack import ServiceStack, api_name
from stacks.stateful_stack import StatefulStack


class ServiceStage(Stage):
    """Network, stateful, group and service stacks of ``definition`` for one stage, deployed in that order."""

    def __init__(self, scope: Construct, *, definition: ServiceDefinition, config: StageConfig) -> None:
        """
        :param definition: the service: its tables, topics, API and functions.
        :param config: the stage's validated settings.
        """
        check_stage_settings(definition, config)
        super().__init__(
            scope, config.name, env=Environment(account=config.account, region=config.region)
        )
        # CDK's own count, with headroom: a stack over the budget fails synth before CloudFormation would.
        # (A lower limit set by the app is kept; a higher one is not: CloudFormation's 500 is not negotiable.)
        configured = self.node.try_get_context(STACK_RESOURCE_LIMIT_CONTEXT)
        limit = min(int(configured), RESOURCES_PER_TEMPLATE) if configured is not None else RESOURCES_PER_TEMPLATE
        self.node.set_context(STACK_RESOURCE_LIMIT_CONTEXT, limit)
        with config_section(f"stages.{config.name}"):
            # A stage with a customer-managed key encrypts its log groups with one too (LogsKey).
            logs_prefix = definition.log_group_prefix(config.name) if config.data.customer_managed_key else None
            self.network = NetworkStack(self, "Network", config=config.network, logs_key_prefix=logs_prefix)
            self.stateful = StatefulStack(
                self, "Stateful", definition=definition, config=config, network=self.network.network,
            )
            # Deployed first: every stack with alarms notifies its topic.
            self.alarms = (
                None if config.alarms.notify_nobody
                else AlarmsStack(
                    self, "Alarms", config=config.alarms, topic_name=f"{config.name}-{definition.name}-alarms",
                    customer_managed_key=config.data.customer_managed_key,
                )
            )
            shared = SharedResources()
            common = {
                "definition": definition, "config": config, "network": self.network.network, "stateful": self.stateful,
                "shared": shared, "logs_key": self.network.logs_key,
                "alarm_topic": self.alarms.topic if self.alarms else None,
            }
            # A group's stack is named after the group alone: adding, removing or reordering other
            # declarations never moves a function (stacks/function_stack.py).
            self.groups = {
                group: FunctionStack(
                    self, f"{pascal(group)}Functions", group=group,
                    api_name=api_name(config.name, definition) if definition.api else None, **common,
                )
                for group in definition.groups
            }
            self.service = ServiceStack(self, "Service", group_stacks=self.groups, **common)
        Tags.of(self).add("service", definition.name)
        Tags.of(self).add("stage", config.name)

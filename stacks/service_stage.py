"""ServiceStage: one deployable copy of a service (network, stateful, service stacks)."""

from __future__ import annotations

from aws_cdk import Environment, Stage, Tags

from constructs import Construct
from stacks.config import StageConfig, config_section
from stacks.declaration_checks import check_stage_settings
from stacks.network_stack import NetworkStack
from stacks.service_definition import ServiceDefinition
from stacks.service_stack import ServiceStack
from stacks.stateful_stack import StatefulStack


class ServiceStage(Stage):
    """Network, stateful and service stacks of ``definition`` for one stage, deployed in that order."""

    def __init__(self, scope: Construct, *, definition: ServiceDefinition, config: StageConfig) -> None:
        """
        :param definition: the service: its tables, topics, API and functions.
        :param config: the stage's validated settings.
        """
        check_stage_settings(definition, config)
        super().__init__(
            scope, config.name, env=Environment(account=config.account, region=config.region)
        )
        with config_section(f"stages.{config.name}"):
            # A stage with a customer-managed key encrypts its log groups with one too (LogsKey).
            logs_prefix = definition.log_group_prefix(config.name) if config.data.customer_managed_key else None
            self.network = NetworkStack(self, "Network", config=config.network, logs_key_prefix=logs_prefix)
            self.stateful = StatefulStack(
                self, "Stateful", definition=definition, config=config, network=self.network.network,
            )
            self.service = ServiceStack(
                self, "Service", definition=definition, config=config, network=self.network.network,
                stateful=self.stateful, logs_key=self.network.logs_key,
            )
        Tags.of(self).add("service", definition.name)
        Tags.of(self).add("stage", config.name)

"""ProductServiceStage: one deployable copy of the service (network, stateful, service stacks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from aws_cdk import Environment, Stage, Tags
from constructs import Construct

from stacks.config import StageConfig, config_section
from stacks.declaration_checks import check_declarations, check_stage_settings, check_subscriptions, stream_views
from stacks.function_declaration import FunctionDeclaration, TopicSubscription
from stacks.functions import FUNCTIONS, SUBSCRIPTIONS
from stacks.network_stack import NetworkStack
from stacks.service_stack import ServiceStack
from stacks.stateful_stack import StatefulStack


class ProductServiceStage(Stage):
    """Network, stateful and service stacks for one stage, deployed in that order."""

    def __init__(
        self,
        scope: Construct,
        *,
        config: StageConfig,
        functions: Sequence[FunctionDeclaration] = FUNCTIONS,
        subscriptions: Sequence[TopicSubscription] = SUBSCRIPTIONS,
        runtime_dir: Path | None = None,
    ) -> None:
        """
        :param config: the stage's validated settings.
        :param functions: the function declarations to generate (default: the service's, stacks/functions.py).
        :param subscriptions: queues subscribed to the functions' topics (default: the service's).
        :param runtime_dir: where the declared packages live (default ``runtime/``).
        """
        check_declarations(functions)
        check_subscriptions(functions, subscriptions)
        check_stage_settings(functions, config)
        super().__init__(
            scope, config.name, env=Environment(account=config.account, region=config.region)
        )
        with config_section(f"stages.{config.name}"):
            # A stage with a customer-managed key encrypts its log groups with one too (LogsKey).
            logs_prefix = f"/product-catalog/{config.name}/" if config.table.customer_managed_key else None
            self.network = NetworkStack(self, "Network", config=config.network, logs_key_prefix=logs_prefix)
            self.stateful = StatefulStack(
                self, "Stateful", config=config, network=self.network.network,
                product_stream=stream_views(functions).get("product"),
            )
            self.service = ServiceStack(
                self, "Service", config=config, network=self.network.network, stateful=self.stateful,
                functions=functions, subscriptions=subscriptions, runtime_dir=runtime_dir, logs_key=self.network.logs_key,
            )
        Tags.of(self).add("service", "product-catalog")
        Tags.of(self).add("stage", config.name)

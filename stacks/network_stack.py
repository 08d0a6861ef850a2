"""NetworkStack: the VPC, deployed first and changed rarely."""

from __future__ import annotations

from aws_cdk import Stack
from catalog_constructs.logs_key import LogsKey
from catalog_constructs.service_network import ServiceNetwork

from constructs import Construct
from stacks.config import NetworkConfig, config_section
from stacks.retention import retention


class NetworkStack(Stack):
    """Holds the service's VPC."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: NetworkConfig, logs_key_prefix: str | None = None, **kwargs
    ) -> None:
        """
        :param logs_key_prefix: when given, a customer-managed key encrypts the stage's log groups, all
            named under this prefix (the flow logs here; the service's functions and API access logs).
        """
        super().__init__(scope, construct_id, **kwargs)
        # Here, not in the stateful stack: this stack is deployed first, and the flow logs need the key.
        self.logs_key = LogsKey(self, "LogsKey", log_group_prefix=logs_key_prefix) if logs_key_prefix else None
        with config_section("network"):
            self.network = ServiceNetwork(
                self,
                "Network",
                availability_zones=config.availability_zones,
                nat_gateways=config.nat_gateways,
                cidr=config.cidr,
                flow_log_retention=retention(config.flow_log_retention_days),
                flow_log_group_name=self.logs_key.log_group_name("network/flow-logs") if self.logs_key else None,
                flow_log_encryption_key=self.logs_key.key if self.logs_key else None,
            )

"""NetworkStack: the VPC, deployed first and changed rarely."""

from __future__ import annotations

from aws_cdk import Stack
from constructs import Construct

from catalog_constructs.service_network import ServiceNetwork
from stacks.config import NetworkConfig, config_section
from stacks.retention import retention


class NetworkStack(Stack):
    """Holds the service's VPC."""

    def __init__(self, scope: Construct, construct_id: str, *, config: NetworkConfig, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        with config_section("network"):
            self.network = ServiceNetwork(
                self,
                "Network",
                availability_zones=config.availability_zones,
                nat_gateways=config.nat_gateways,
                cidr=config.cidr,
                flow_log_retention=retention(config.flow_log_retention_days),
            )

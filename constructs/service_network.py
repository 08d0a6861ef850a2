"""ServiceNetwork: the VPC the service's functions and file systems live in."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from catalog_constructs.errors import InvalidPropError

from constructs import Construct

# Public subnets only hold NAT gateways: 64 addresses each is plenty.
PUBLIC_SUBNET_MASK = 26


class ServiceNetwork(Construct):
    """A VPC over 2-3 AZs: public subnets for NAT, private-with-egress subnets for ENIs and mount targets.

    DynamoDB and S3 are reached through gateway endpoints so table traffic never crosses the NAT;
    all traffic is recorded in VPC flow logs; the default security group admits nothing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        availability_zones: Sequence[str],
        nat_gateways: int,
        cidr: str = "10.0.0.0/16",
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        flow_log_group_name: str | None = None,
        flow_log_encryption_key: kms.IKey | None = None,
        private_subnet_mask: int = 22,
    ) -> None:
        """
        :param availability_zones: AZ names (2 or 3); given, never looked up, so synthesis stays hermetic.
        :param nat_gateways: NAT gateways (1 to one per AZ); the private subnets need egress for AWS APIs.
        :param cidr: VPC IPv4 range, /16 to /24 (default 10.0.0.0/16). Changing it replaces the VPC.
        :param flow_log_retention: how long flow logs are kept (default one year).
        :param flow_log_group_name: name of the flow log group (default: generated). Changing it replaces the group.
        :param flow_log_encryption_key: customer-managed key for the flow logs (default: CloudWatch Logs' own encryption).
        :param private_subnet_mask: prefix length of each private subnet (default /22: ~1,000 ENIs per AZ).
        """
        azs = list(availability_zones)
        if not 2 <= len(azs) <= 3 or len(set(azs)) != len(azs):
            raise InvalidPropError("availability_zones", azs, "2 or 3 distinct availability zone names")
        if isinstance(nat_gateways, bool) or not isinstance(nat_gateways, int) or not 1 <= nat_gateways <= len(azs):
            raise InvalidPropError(
                "nat_gateways",
                nat_gateways,
                f"an integer from 1 to {len(azs)} (private subnets with egress need at least one NAT gateway)",
            )
        try:
            network = ipaddress.IPv4Network(cidr)
        except (ValueError, TypeError):
            raise InvalidPropError("cidr", cidr, "an IPv4 network such as 10.0.0.0/16") from None
        if not 16 <= network.prefixlen <= 24 or not network.is_private:
            raise InvalidPropError("cidr", cidr, "a private IPv4 network with a prefix from /16 to /24")
        if not network.prefixlen < private_subnet_mask <= 28:
            raise InvalidPropError("private_subnet_mask", private_subnet_mask, f"{network.prefixlen + 1} to 28")
        needed = len(azs) * (2 ** (32 - private_subnet_mask) + 2 ** (32 - PUBLIC_SUBNET_MASK))
        if needed > network.num_addresses:
            raise InvalidPropError(
                "cidr", cidr, f"a network of at least {needed} addresses for {len(azs)} AZs of /{private_subnet_mask} private subnets"
            )
        super().__init__(scope, construct_id)

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=azs,
            nat_gateways=nat_gateways,
            restrict_default_security_group=True,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=PUBLIC_SUBNET_MASK
                ),
                ec2.SubnetConfiguration(
                    name="Private",
                    subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                    cidr_mask=private_subnet_mask,
                ),
            ],
            gateway_endpoints={
                name: ec2.GatewayVpcEndpointOptions(service=service, subnets=[self.private_subnets])
                for name, service in (
                    ("DynamoDb", ec2.GatewayVpcEndpointAwsService.DYNAMODB),
                    ("S3", ec2.GatewayVpcEndpointAwsService.S3),
                )
            },
        )
        flow_log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            retention=flow_log_retention,
            log_group_name=flow_log_group_name,
            encryption_key=flow_log_encryption_key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

    @property
    def private_subnets(self) -> ec2.SubnetSelection:
        """Where function ENIs and EFS mount targets go."""
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

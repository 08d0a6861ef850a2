"""Constructs reject props they cannot honour, before creating anything, naming the prop."""

from __future__ import annotations

import pytest
from aws_cdk import App, Duration, Size, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.lambda_limits import environment_size
from catalog_constructs.retained_table import ProvisionedCapacity, RetainedTable
from catalog_constructs.service_api import ApiRoute, ServiceApi
from catalog_constructs.service_function import ServiceFunction
from catalog_constructs.service_network import ServiceNetwork
from catalog_constructs.shared_file_system import SharedFileSystem


@pytest.fixture(scope="module")
def stack() -> Stack:
    return Stack(App(), "PropsTest", env={"region": "eu-west-1"})


@pytest.fixture(scope="module")
def vpc(stack: Stack) -> ec2.Vpc:
    return ServiceNetwork(stack, "Net", availability_zones=["eu-west-1a", "eu-west-1b"], nat_gateways=1).vpc


def function(stack, vpc, name, **props):
    return ServiceFunction(
        stack, name, code=lambda_.Code.from_inline("x"), handler="index.handler", vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS), **props,
    )


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"memory_size": 64}, "memory_size"),
        ({"memory_size": 10_241}, "memory_size"),
        ({"timeout": Duration.seconds(0)}, "timeout"),
        ({"timeout": Duration.minutes(16)}, "timeout"),
        ({"ephemeral_storage": Size.mebibytes(256)}, "ephemeral_storage"),
        ({"runtime": lambda_.Runtime.NODEJS_22_X}, "runtime"),
        ({"environment": {"AWS_REGION": "x"}}, "environment"),
        ({"environment": {"1BAD": "x"}}, "environment"),
        ({"architecture": "arm64"}, "architecture"),
        ({"alias_name": "9lives"}, "alias_name"),
    ],
)
def test_service_function_rejects_values_outside_lambda_limits(stack, vpc, props, field):
    with pytest.raises(InvalidPropError) as error:
        function(stack, vpc, f"Fn{field}{len(str(props))}", **props)
    assert error.value.field == field


def test_environment_limit_counts_the_whole_variable_map():
    assert environment_size({"A": "b"}) == len('{"A":"b"}')


def test_environment_at_exactly_4_kb_is_accepted(stack, vpc):
    value = "x" * (4096 - len('{"K":""}'))
    function(stack, vpc, "FnAtLimit", environment={"K": value})


def test_product_api_refuses_the_unqualified_function(stack, vpc):
    fn = function(stack, vpc, "FnForApi")
    with pytest.raises(InvalidPropError, match=r"^routes.handler: .* expected a lambda Alias or Version"):
        ServiceApi(stack, "Api", description="x", routes=[ApiRoute(method="GET", path="/x", handler=fn.function)], user_pool=None)  # type: ignore[arg-type]


def test_network_needs_two_or_three_distinct_zones(stack):
    with pytest.raises(InvalidPropError, match=r"^availability_zones: "):
        ServiceNetwork(stack, "Net4", availability_zones=["a", "b", "c", "d"], nat_gateways=1)
    with pytest.raises(InvalidPropError, match=r"^availability_zones: "):
        ServiceNetwork(stack, "NetDup", availability_zones=["eu-west-1a", "eu-west-1a"], nat_gateways=1)


def test_network_needs_room_for_its_subnets(stack):
    with pytest.raises(InvalidPropError, match=r"^private_subnet_mask: 22"):
        ServiceNetwork(stack, "NetSmall", availability_zones=["eu-west-1a", "eu-west-1b"], nat_gateways=1, cidr="10.0.0.0/24")


def test_file_system_root_permissions_must_be_octal(stack, vpc):
    with pytest.raises(InvalidPropError, match=r"^root_permissions: '0x7'"):
        SharedFileSystem(stack, "Fs", vpc=vpc, vpc_subnets=ec2.SubnetSelection(), root_permissions="0x7")


def test_provisioned_capacity_max_must_not_be_below_min(stack):
    with pytest.raises(InvalidPropError, match=r"^provisioned.max_read: 1 .* at least min_read \(5\)"):
        RetainedTable(stack, "Table", partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING), provisioned=ProvisionedCapacity(min_read=5, max_read=1))


def test_network_cidr_must_hold_every_subnet(stack):
    with pytest.raises(InvalidPropError, match=r"^cidr: '10.0.0.0/21' .* at least 3264 addresses"):
        ServiceNetwork(stack, "NetTight", availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"], nat_gateways=1, cidr="10.0.0.0/21")

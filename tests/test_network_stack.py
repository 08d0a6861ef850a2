"""NetworkStack: VPC, subnets, NAT, endpoints, flow logs."""

from __future__ import annotations

import pytest

from tests.conftest import only, resources_of


@pytest.mark.parametrize(("stage", "azs", "nats"), [("dev", 2, 1), ("prod", 3, 3)])
def test_vpc_spans_the_configured_azs_with_the_configured_nat_gateways(templates, stage, azs, nats):
    template = templates[f"{stage}/Network"]
    subnets = resources_of(template, "AWS::EC2::Subnet").values()
    assert len({s["Properties"]["AvailabilityZone"] for s in subnets}) == azs
    assert len(resources_of(template, "AWS::EC2::NatGateway")) == nats


def test_private_subnets_do_not_map_public_ips(templates):
    subnets = resources_of(templates["prod/Network"], "AWS::EC2::Subnet")
    private = [s for s in subnets.values() if {"Key": "aws-cdk:subnet-type", "Value": "Private"} in s["Properties"]["Tags"]]
    assert len(private) == 3
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in private)


@pytest.mark.parametrize("service", ["dynamodb", "s3"])
def test_gateway_endpoint_keeps_aws_traffic_off_the_nat(synthesized, assertions, service):
    assertions(synthesized, "prod", "Network").has_resource_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcEndpointType": "Gateway",
            "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, f".{service}"]]},
        },
    )


def test_dynamodb_endpoint_is_routed_from_every_private_subnet_only(templates):
    template = templates["prod/Network"]
    endpoint = next(
        e for e in resources_of(template, "AWS::EC2::VPCEndpoint").values()
        if "dynamodb" in str(e["Properties"]["ServiceName"])
    )
    routes = endpoint["Properties"]["RouteTableIds"]
    assert len(routes) == 3
    assert all("Private" in route["Ref"] for route in routes)


def test_flow_logs_capture_all_traffic_to_a_retained_log_group(templates):
    template = templates["prod/Network"]
    assert only(template, "AWS::EC2::FlowLog")["Properties"]["TrafficType"] == "ALL"
    log_group = only(template, "AWS::Logs::LogGroup")
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"


def test_default_security_group_is_stripped_of_rules(templates):
    assert resources_of(templates["prod/Network"], "Custom::VpcRestrictDefaultSG")


def test_vpc_cidr_comes_from_configuration(templates):
    assert only(templates["dev/Network"], "AWS::EC2::VPC")["Properties"]["CidrBlock"] == "10.10.0.0/16"
    assert only(templates["prod/Network"], "AWS::EC2::VPC")["Properties"]["CidrBlock"] == "10.20.0.0/16"

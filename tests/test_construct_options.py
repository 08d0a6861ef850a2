"""Construct options that cdk.json never sets, each synthesized on a bare Stack and asserted on."""

from __future__ import annotations

import json

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.failure_queue import FailureQueue
from catalog_constructs.retained_table import GlobalIndex, ProvisionedCapacity, RetainedTable
from catalog_constructs.service_api import ApiRoute, ServiceApi
from catalog_constructs.service_function import ServiceFunction
from catalog_constructs.service_network import ServiceNetwork
from catalog_constructs.shared_file_system import SharedFileSystem
from catalog_constructs.traffic_hook import TrafficHook
from catalog_constructs.work_queue import WorkQueue

KEY = dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/catalog/0a1b2c3d-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def built() -> dict:
    """One bare stack holding every construct with the options under test; synthesized once."""
    stack = Stack(App(), "Options", env={"region": "eu-west-1", "account": "123456789012"})
    network = ServiceNetwork(stack, "Net", availability_zones=["eu-west-1a", "eu-west-1b"], nat_gateways=1)
    code = lambda_.Code.from_inline("def handler(event, context): return {}")
    fn = ServiceFunction(stack, "Fn", code=code, handler="index.handler", vpc=network.vpc, vpc_subnets=network.private_subnets)
    outside = ServiceFunction(stack, "Outside", code=code, handler="index.handler")
    files = SharedFileSystem(stack, "Files", vpc=network.vpc, vpc_subnets=network.private_subnets)
    files.grant_mount(fn, read_only=True)
    pool = cognito.UserPool(stack, "Pool")
    ServiceApi(
        stack, "Api", description="Things", routes=[ApiRoute(method="GET", path="/thing/{thing_id}", handler=fn.alias)], user_pool=pool,
        authorize_reads=True, web_acl_arn=WEB_ACL, rollback_5xx_rate=0.2,
    )
    RetainedTable(
        stack, "Table", table_name="things", partition_key=KEY, sort_key=dynamodb.Attribute(name="at", type=dynamodb.AttributeType.NUMBER),
        global_indexes=[GlobalIndex(name="by-owner", partition_key=dynamodb.Attribute(name="owner", type=dynamodb.AttributeType.STRING),
                                    projection=dynamodb.ProjectionType.KEYS_ONLY)], provisioned=ProvisionedCapacity(min_read=2, max_read=20, min_write=1, max_write=10),
        stream=dynamodb.StreamViewType.NEW_IMAGE,
    )
    TrafficHook(stack, "Hook", target=fn, event={"ping": True}, expect={"ok": True}, phase="post")
    WorkQueue(stack, "Work", consumer_timeout_seconds=30, batching_window_seconds=10, max_receive_count=7)
    return {"template": Template.from_stack(stack), "fn": fn, "outside": outside}


def test_reads_can_require_a_token(built):
    built["template"].has_resource_properties("AWS::ApiGateway::Method", {"HttpMethod": "GET", "AuthorizationType": "COGNITO_USER_POOLS"})


def test_path_parameters_are_required_by_name(built):
    built["template"].has_resource_properties(
        "AWS::ApiGateway::Method", {"HttpMethod": "GET", "RequestParameters": {"method.request.path.thing_id": True}}
    )


def test_a_web_acl_is_associated_with_the_stage(built):
    built["template"].has_resource_properties("AWS::WAFv2::WebACLAssociation", {"WebACLArn": WEB_ACL})


def test_the_5xx_rollback_threshold_is_the_configured_share(built):
    built["template"].has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "5XXError", "Threshold": 0.2, "Statistic": "Average",
                                   "Dimensions": Match.array_with([{"Name": "ApiName", "Value": "Options-Api"}])},
    )


def test_provisioned_capacity_scales_reads_and_writes_between_their_bounds(built):
    template = built["template"]
    template.has_resource_properties("AWS::DynamoDB::Table", {"TableName": "things", "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1}})
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 20})
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 1, "MaxCapacity": 10})


def test_a_table_can_have_a_typed_sort_key(built):
    built["template"].has_resource_properties("AWS::DynamoDB::Table", {
        "TableName": "things",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
        "AttributeDefinitions": Match.array_with([{"AttributeName": "at", "AttributeType": "N"}]),
    })


def test_a_global_index_on_a_provisioned_table_gets_the_tables_capacity(built):
    built["template"].has_resource_properties("AWS::DynamoDB::Table", {"TableName": "things", "GlobalSecondaryIndexes": [{
        "IndexName": "by-owner", "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"}, "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 1},
    }]})


def test_a_table_stream_has_the_view_asked_for(built):
    built["template"].has_resource_properties("AWS::DynamoDB::Table", {"TableName": "things", "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}})


def test_a_read_only_mount_opens_nfs_from_the_function_only_and_grants_no_write(built):
    template = built["template"].to_json()
    (ingress,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    assert (ingress["FromPort"], ingress["SourceSecurityGroupId"]["Fn::GetAtt"][0][:15]) == (2049, "FnSecurityGroup")
    statements = [s for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy" for s in r["Properties"]["PolicyDocument"]["Statement"]]
    assert [s["Action"] for s in statements if "elasticfilesystem" in json.dumps(s)] == ["elasticfilesystem:ClientMount"]


def test_a_post_traffic_hook_runs_after_the_shift(built):
    built["template"].has_resource(
        "AWS::Lambda::Alias", {"UpdatePolicy": {"CodeDeployLambdaAliasUpdate": Match.object_like({"AfterAllowTrafficHook": Match.any_value()})}}
    )


def test_a_work_queue_visibility_covers_six_consumer_timeouts_and_the_window(built):
    built["template"].has_resource_properties("AWS::SQS::Queue", {"VisibilityTimeout": 190, "RedrivePolicy": Match.object_like({"maxReceiveCount": 7})})


def test_a_function_outside_a_vpc_has_no_connections_to_manage(built):
    with pytest.raises(InvalidPropError, match=r"^vpc: None is not allowed; expected a VPC for Options/Outside"):
        built["outside"].connections  # noqa: B018


def test_a_function_is_a_grantable_principal_for_other_resources_grants(built):
    assert built["fn"].grant_principal is built["fn"].role


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda s: WorkQueue(s, "Q1", consumer_timeout_seconds=900 * 10), "consumer_timeout_seconds"),
        (lambda s: WorkQueue(s, "Q2", consumer_timeout_seconds=10, batching_window_seconds=301), "batching_window_seconds"),
        (lambda s: WorkQueue(s, "Q3", consumer_timeout_seconds=10, max_receive_count=0), "max_receive_count"),
        (lambda s: FailureQueue(s, "F1", purpose="x", retention_days=15), "retention_days"),
    ],
)
def test_queues_reject_what_sqs_would_refuse(make, field):
    with pytest.raises(InvalidPropError) as error:
        make(Stack(App(), "Bad"))
    assert error.value.field == field


def test_an_api_route_is_served_by_one_function_only():
    stack = Stack(App(), "Dup")
    fn = ServiceFunction(stack, "Fn", code=lambda_.Code.from_inline("x"), handler="index.handler")
    route = ApiRoute(method="GET", path="/x", handler=fn.alias)
    with pytest.raises(InvalidPropError, match=r"^routes: 'GET /x' is not allowed"):
        ServiceApi(stack, "Api", description="x", routes=[route, route], user_pool=cognito.UserPool(stack, "Pool"))


def test_max_io_with_elastic_throughput_is_one_line_not_a_jsii_traceback():
    from aws_cdk import aws_efs as efs

    stack = Stack(App(), "Efs")
    vpc = ServiceNetwork(stack, "Net", availability_zones=["eu-west-1a", "eu-west-1b"], nat_gateways=1)
    with pytest.raises(InvalidPropError, match=r"^performance_mode: 'maxIO' is not allowed; expected generalPurpose with elastic"):
        SharedFileSystem(stack, "Fs", vpc=vpc.vpc, vpc_subnets=vpc.private_subnets,
                         performance_mode=efs.PerformanceMode.MAX_IO, throughput_mode=efs.ThroughputMode.ELASTIC)


def test_a_web_acl_arn_must_be_a_regional_wafv2_acl():
    stack = Stack(App(), "Waf")
    fn = ServiceFunction(stack, "Fn", code=lambda_.Code.from_inline("x"), handler="index.handler")
    with pytest.raises(InvalidPropError, match=r"^web_acl_arn: 'arn:aws:waf::123456789012:webacl/x' is not allowed"):
        ServiceApi(stack, "Api", description="x", routes=[ApiRoute(method="GET", path="/x", handler=fn.alias)],
                   user_pool=cognito.UserPool(stack, "Pool"), web_acl_arn="arn:aws:waf::123456789012:webacl/x")

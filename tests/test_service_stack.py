"""ServiceStack: the product function, its role, network, file system, version, alias and deployments."""

from __future__ import annotations

import json

import pytest

from tests.conftest import only, resources_of


def function(template):
    functions = resources_of(template, "AWS::Lambda::Function")
    assert len(functions) == 1
    return next(iter(functions.items()))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_function_runs_python_313_on_arm64_with_active_tracing(templates, stage):
    _, fn = function(templates[f"{stage}/Service"])
    props = fn["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Handler"] == "product_api.handler.lambda_handler"
    assert props["LoggingConfig"]["LogFormat"] == "JSON"


def test_memory_and_concurrency_follow_the_stage(templates):
    prod = function(templates["prod/Service"])[1]["Properties"]
    dev = function(templates["dev/Service"])[1]["Properties"]
    assert (prod["MemorySize"], prod["ReservedConcurrentExecutions"]) == (1024, 200)
    assert dev["MemorySize"] == 512
    assert "ReservedConcurrentExecutions" not in dev


def test_function_environment_names_the_table_and_key(templates):
    env = function(templates["prod/Service"])[1]["Properties"]["Environment"]["Variables"]
    assert env["PRIMARY_KEY"] == "id"
    # Read from the stateful stack's outputs at deploy time, not copied as a literal.
    assert env["DYNAMODB_TABLE_NAME"]["Fn::GetStackOutput"]["StackName"] == "prod-Stateful"
    assert env["POWERTOOLS_SERVICE_NAME"] == "product-catalog"


def test_function_has_its_own_role_used_by_nothing_else(templates):
    template = templates["prod/Service"]
    _, fn = function(template)
    role_id = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    users = [lid for lid, r in template["Resources"].items() if f'"{role_id}"' in json.dumps(r.get("Properties", {}))]
    # The role is referenced by the function and by its own policy, nothing else.
    assert sorted(r["Type"] for lid, r in template["Resources"].items() if lid in users) == [
        "AWS::IAM::Policy", "AWS::Lambda::Function",
    ]
    assert "ManagedPolicyArns" not in template["Resources"][role_id]["Properties"]


def test_function_enis_are_in_the_private_subnets_behind_its_own_security_group(templates):
    template = templates["prod/Service"]
    vpc_config = function(template)[1]["Properties"]["VpcConfig"]
    assert len(vpc_config["SubnetIds"]) == 3
    assert all("PrivateSubnet" in json.dumps(subnet) for subnet in vpc_config["SubnetIds"])
    (group_ref,) = vpc_config["SecurityGroupIds"]
    group = template["Resources"][group_ref["Fn::GetAtt"][0]]["Properties"]
    egress = {(rule["IpProtocol"], rule["FromPort"]) for rule in group["SecurityGroupEgress"]}
    assert egress == {("tcp", 443), ("tcp", 2049)}


def test_efs_is_mounted_under_mnt_through_the_access_point(templates):
    config = function(templates["prod/Service"])[1]["Properties"]["FileSystemConfigs"]
    assert len(config) == 1
    assert config[0]["LocalMountPath"] == "/mnt/product"
    assert "AccessPoint" in json.dumps(config[0]["Arn"])


def test_nfs_ingress_is_opened_only_from_the_function_security_group(templates):
    ingress = only(templates["prod/Service"], "AWS::EC2::SecurityGroupIngress")["Properties"]
    assert (ingress["FromPort"], ingress["ToPort"], ingress["IpProtocol"]) == (2049, 2049, "tcp")
    assert "SourceSecurityGroupId" in ingress and "CidrIp" not in ingress


def policy_statements(template):
    return [s for policy in resources_of(template, "AWS::IAM::Policy").values() for s in policy["Properties"]["PolicyDocument"]["Statement"]]


def test_efs_mount_grant_names_the_file_system_through_the_access_point(templates):
    statements = policy_statements(templates["prod/Service"])
    mount = next(s for s in statements if "elasticfilesystem:ClientMount" in s["Action"])
    assert mount["Resource"] != "*"
    assert "elasticfilesystem:AccessPointArn" in mount["Condition"]["StringEquals"]


def test_table_access_is_scoped_to_the_two_tables(templates):
    statements = policy_statements(templates["prod/Service"])
    dynamo = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
    assert dynamo
    for statement in dynamo:
        assert "*" != statement["Resource"]
        assert "dynamodb:DeleteTable" not in statement["Action"]


def test_only_eni_and_xray_actions_use_a_wildcard_resource(templates):
    statements = policy_statements(templates["prod/Service"])
    wildcard_actions = {
        action
        for s in statements if s["Resource"] == "*"
        for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert wildcard_actions and all(a.startswith(("ec2:", "xray:")) for a in wildcard_actions), wildcard_actions


def test_function_logs_to_its_own_retained_log_group(templates):
    template = templates["prod/Service"]
    log_group_ref = function(template)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = template["Resources"][log_group_ref]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"


def test_a_version_is_published_and_retained_for_rollback(templates):
    version = only(templates["prod/Service"], "AWS::Lambda::Version")
    assert version["DeletionPolicy"] == "Retain"


def test_live_alias_points_at_the_current_version_and_is_updated_by_codedeploy(templates):
    template = templates["prod/Service"]
    alias = only(template, "AWS::Lambda::Alias")
    version_id = next(iter(resources_of(template, "AWS::Lambda::Version")))
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"]


@pytest.mark.parametrize(
    ("stage", "config"),
    [("dev", "CodeDeployDefault.LambdaAllAtOnce"), ("prod", "CodeDeployDefault.LambdaCanary10Percent5Minutes")],
)
def test_deployment_config_follows_the_stage(templates, stage, config):
    group = only(templates[f"{stage}/Service"], "AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["DeploymentConfigName"] == config


def test_deployment_rolls_back_on_failure_stop_and_alarm(templates):
    group = only(templates["prod/Service"], "AWS::CodeDeploy::DeploymentGroup")["Properties"]
    assert group["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert group["AlarmConfiguration"]["Enabled"] is True
    assert len(group["AlarmConfiguration"]["Alarms"]) == 2


def test_rollback_alarms_watch_errors_and_throttles_on_the_alias(templates):
    template = templates["prod/Service"]
    function_id, _ = function(template)
    alarms = resources_of(template, "AWS::CloudWatch::Alarm").values()
    assert {a["Properties"]["MetricName"] for a in alarms} == {"Errors", "Throttles"}
    for alarm in alarms:
        dimensions = {d["Name"]: d["Value"] for d in alarm["Properties"]["Dimensions"]}
        assert dimensions["Resource"] == {"Fn::Join": ["", [{"Ref": function_id}, ":live"]]}
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_code_asset_is_a_content_hashed_s3_zip(templates):
    code = function(templates["prod/Service"])[1]["Properties"]["Code"]
    assert code["S3Key"].endswith(".zip")

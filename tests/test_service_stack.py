"""ServiceStack: the product function generated from its declaration, its role, network, version, alias,
deployments and pre-traffic hook, as the stages synthesize them."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources_of

PRODUCT = "ProductFunction"  # the construct id of the product API function: every logical id of it starts so


def of_product(template, resource_type):
    """The product API function's resources of one type (not its hook's, not other functions')."""
    return {
        lid: r for lid, r in resources_of(template, resource_type).items()
        if lid.startswith(PRODUCT) and not lid.startswith(PRODUCT + "PreTrafficHook")
    }


def one_of_product(template, resource_type):
    found = of_product(template, resource_type)
    assert len(found) == 1, sorted(found)
    return next(iter(found.items()))


def function(template):
    return one_of_product(template, "AWS::Lambda::Function")


def hook(template):
    (found,) = [(lid, r) for lid, r in resources_of(template, "AWS::Lambda::Function").items() if "PreTrafficHook" in lid]
    return found


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


def test_function_environment_names_each_declared_table_and_its_key(templates):
    env = function(templates["prod/Service"])[1]["Properties"]["Environment"]["Variables"]
    assert env["PRODUCT_TABLE_KEY"] == "id"
    # Read from the stateful stack's outputs at deploy time, not copied as a literal.
    assert env["PRODUCT_TABLE_NAME"]["Fn::GetStackOutput"]["StackName"] == "prod-Stateful"
    assert env["IDEMPOTENCY_TABLE_NAME"]["Fn::GetStackOutput"]["StackName"] == "prod-Stateful"
    assert env["POWERTOOLS_SERVICE_NAME"] == "product-catalog"
    assert env["POWERTOOLS_LOG_LEVEL"] == "INFO"


@pytest.mark.parametrize("pick", [function, hook], ids=["product", "hook"])
def test_each_function_has_its_own_role_used_by_nothing_else(templates, pick):
    template = templates["prod/Service"]
    _, fn = pick(template)
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
    assert egress == {("tcp", 443)}


def test_the_product_api_function_does_not_mount_the_file_system(templates):
    # It reads no files: no mount, no NFS path to the file system, no EFS permission.
    template = templates["prod/Service"]
    assert "FileSystemConfigs" not in function(template)[1]["Properties"]
    ingress_sources = json.dumps([r["Properties"] for r in resources_of(template, "AWS::EC2::SecurityGroupIngress").values()])
    assert f'"{PRODUCT}SecurityGroup' not in ingress_sources
    assert "elasticfilesystem:" not in json.dumps(policy_statements(template))


def policy_statements(template):
    """The statements of the product API function's own role."""
    role = function(template)[1]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s for policy in resources_of(template, "AWS::IAM::Policy").values() if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_table_access_is_scoped_to_the_declared_tables(templates):
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


@pytest.mark.parametrize("pick", [function, hook], ids=["product", "hook"])
def test_each_function_logs_to_its_own_retained_log_group(templates, pick):
    template = templates["prod/Service"]
    log_group_ref = pick(template)[1]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = template["Resources"][log_group_ref]
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain"


def test_a_version_is_published_and_retained_for_rollback(templates):
    version = one_of_product(templates["prod/Service"], "AWS::Lambda::Version")[1]
    assert version["DeletionPolicy"] == "Retain"


def test_live_alias_points_at_the_current_version_and_is_updated_by_codedeploy(templates):
    template = templates["prod/Service"]
    alias = one_of_product(template, "AWS::Lambda::Alias")[1]
    version_id = one_of_product(template, "AWS::Lambda::Version")[0]
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"]


@pytest.mark.parametrize(
    ("stage", "config"),
    [("dev", "CodeDeployDefault.LambdaAllAtOnce"), ("prod", "CodeDeployDefault.LambdaCanary10Percent5Minutes")],
)
def test_deployment_config_follows_the_stage(templates, stage, config):
    group = one_of_product(templates[f"{stage}/Service"], "AWS::CodeDeploy::DeploymentGroup")[1]["Properties"]
    assert group["DeploymentConfigName"] == config


def test_deployment_rolls_back_on_failure_stop_and_alarm(templates):
    group = one_of_product(templates["prod/Service"], "AWS::CodeDeploy::DeploymentGroup")[1]["Properties"]
    assert group["AutoRollbackConfiguration"] == {
        "Enabled": True,
        "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_REQUEST", "DEPLOYMENT_STOP_ON_ALARM"],
    }
    assert group["AlarmConfiguration"]["Enabled"] is True
    # Errors and throttles of the new version, and the API's 5XX rate.
    assert len(group["AlarmConfiguration"]["Alarms"]) == 3


def test_rollback_alarms_watch_errors_and_throttles_of_the_new_version_only(templates):
    template = templates["prod/Service"]
    function_id, _ = function(template)
    version_id = one_of_product(template, "AWS::Lambda::Version")[0]
    alarms = [a for a in of_product(template, "AWS::CloudWatch::Alarm").values() if a["Properties"]["Namespace"] == "AWS/Lambda"]
    assert {a["Properties"]["MetricName"] for a in alarms} == {"Errors", "Throttles"}
    for alarm in alarms:
        dimensions = {d["Name"]: d["Value"] for d in alarm["Properties"]["Dimensions"]}
        assert dimensions["Resource"] == {"Fn::Join": ["", [{"Ref": function_id}, ":live"]]}
        assert dimensions["ExecutedVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching"


def test_pre_traffic_hook_runs_before_traffic_shifts(templates):
    template = templates["prod/Service"]
    hook_id, _ = hook(template)
    alias = one_of_product(template, "AWS::Lambda::Alias")[1]
    assert alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"] == {"Ref": hook_id}


def test_pre_traffic_hook_invokes_the_new_version_with_a_list_request(templates):
    template = templates["prod/Service"]
    _, fn = hook(template)
    env = fn["Properties"]["Environment"]["Variables"]
    version_id = one_of_product(template, "AWS::Lambda::Version")[0]
    assert env["TARGET_VERSION_ARN"] == {"Ref": version_id}
    event = json.loads(env["CHECK_EVENT"])
    assert (event["httpMethod"], event["path"], event["queryStringParameters"]) == ("GET", "/product", {"limit": "1"})
    assert json.loads(env["CHECK_EXPECT"]) == {"statusCode": 200}
    assert "VpcConfig" not in fn["Properties"]


def test_pre_traffic_hook_may_invoke_only_the_new_version_and_report_only_to_its_group(templates):
    template = templates["prod/Service"]
    _, fn = hook(template)
    role_id = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    version_id = one_of_product(template, "AWS::Lambda::Version")[0]
    group_id = one_of_product(template, "AWS::CodeDeploy::DeploymentGroup")[0]
    (policy,) = [p for p in resources_of(template, "AWS::IAM::Policy").values() if p["Properties"]["Roles"] == [{"Ref": role_id}]]
    by_action = {}
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
            by_action[action] = statement["Resource"]
    assert by_action["lambda:InvokeFunction"] == {"Ref": version_id}
    assert group_id in json.dumps(by_action["codedeploy:PutLifecycleEventHookExecutionStatus"])
    assert {a.split(":")[0] for a in by_action} == {"lambda", "codedeploy", "logs", "xray"}


def test_code_asset_is_a_content_hashed_s3_zip(templates):
    template = templates["prod/Service"]
    code, hook_code = function(template)[1]["Properties"]["Code"], hook(template)[1]["Properties"]["Code"]
    assert code["S3Key"].endswith(".zip") and hook_code["S3Key"].endswith(".zip")
    assert code["S3Key"] != hook_code["S3Key"]  # each function its own asset

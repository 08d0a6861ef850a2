"""make review's Risks section and release plan: each weakened safeguard is named, nothing else is.

Each test makes one change to the committed snapshots, as a one-line change to cdk.json or a construct
would, and asserts on the risk found (or that none is).
"""

from __future__ import annotations

import copy
import json

import pytest

from devtools.review import snapshots
from devtools.review.cli import review
from devtools.review.release_plan import describe_config, release_plan
from devtools.review.risks import all_risks, unacknowledged
from tests.conftest import cdk_context, logical_id_of, synthesize


@pytest.fixture(scope="module")
def committed():
    return snapshots.load_snapshots()


def changed(committed, stack, edit):
    current = copy.deepcopy(committed)
    edit(current[stack])
    return all_risks(committed, current)


def resource(template, name, resource_type=None):
    """The resource whose logical id, without CDK's path hash, is ``name`` (as declarations derive it)."""
    (found,) = [r for lid, r in template["Resources"].items() if lid[:-8] == name and (resource_type is None or r["Type"] == resource_type)]
    return found


def product_table_id(committed):
    return logical_id_of(committed["prod/Stateful"], "ProductTable", "AWS::DynamoDB::Table")


def method(template, http_method, path_fragment):
    for lid, r in template["Resources"].items():
        if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"]["HttpMethod"] == http_method and path_fragment in lid:
            return r
    raise AssertionError((http_method, path_fragment))


def only(risks):
    assert len(risks) == 1, [r.line() for r in risks]
    return risks[0]


def test_the_current_change_carries_no_risk(committed):
    assert all_risks(committed, copy.deepcopy(committed)) == []


# --- Data protection ------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["DeletionPolicy", "UpdateReplacePolicy"])
def test_a_table_no_longer_retained_is_a_risk(committed, policy):
    risk = only(changed(committed, "prod/Stateful", lambda t: resource(t, "ProductTable").update({policy: "Delete"})))
    assert (risk.kind, risk.logical_id, risk.property, risk.old, risk.new) == ("data-protection", product_table_id(committed), policy, "Retain", "Delete")


@pytest.mark.parametrize(("edit", "prop"), [
    (lambda p: p.update(DeletionProtectionEnabled=False), "DeletionProtectionEnabled"),
    (lambda p: p.pop("PointInTimeRecoverySpecification"), "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled"),
    (lambda p: p.update(SSESpecification={"SSEEnabled": True}), "SSESpecification.KMSMasterKeyId"),
])
def test_weakened_table_protection_is_a_risk(committed, edit, prop):
    risk = only(changed(committed, "prod/Stateful", lambda t: edit(resource(t, "ProductTable")["Properties"])))
    assert (risk.kind, risk.property) == ("data-protection", prop)


def test_file_system_backups_off_is_a_risk(committed):
    risk = only(changed(committed, "prod/Stateful", lambda t: resource(t, "FileSystem", "AWS::EFS::FileSystem")["Properties"].update(BackupPolicy={"Status": "DISABLED"})))
    assert (risk.property, risk.old, risk.new) == ("BackupPolicy.Status", "ENABLED", "DISABLED")


@pytest.mark.parametrize(("edit", "prop"), [
    (lambda p: p.update(EnableKeyRotation=False), "EnableKeyRotation"),
    (lambda p: p.update(PendingWindowInDays=7), "PendingWindowInDays"),
])
def test_a_weakened_key_is_a_risk(committed, edit, prop):
    assert only(changed(committed, "prod/Stateful", lambda t: edit(resource(t, "DataKey")["Properties"]))).property == prop


def test_user_pool_deletion_protection_off_is_a_risk(committed):
    risk = only(changed(committed, "prod/Stateful", lambda t: resource(t, "UserPool", "AWS::Cognito::UserPool")["Properties"].update(DeletionProtection="INACTIVE")))
    assert (risk.kind, risk.property) == ("data-protection", "DeletionProtection")


def test_stack_termination_protection_off_is_a_risk(committed):
    risk = only(changed(committed, "prod/Stateful", lambda t: t["Deployment"].update(TerminationProtection=False)))
    assert (risk.logical_id, risk.property, risk.old, risk.new) == ("(stack)", "TerminationProtection", True, False)


# --- Access ---------------------------------------------------------------------------------------

def test_a_write_method_open_to_anyone_is_a_risk(committed):
    def open_post(t):
        props = method(t, "POST", "productPOST")["Properties"]
        props["AuthorizationType"] = "NONE"
        props.pop("AuthorizerId")

    risk = only(changed(committed, "prod/Service", open_post))
    assert (risk.kind, risk.property, risk.old, risk.new) == ("access", "AuthorizationType", "COGNITO_USER_POOLS", "NONE")


def test_a_removed_authorizer_is_a_risk(committed):
    risk = only(changed(committed, "prod/Service", lambda t: method(t, "PUT", "")["Properties"].pop("AuthorizerId")))
    assert risk.property == "AuthorizerId"


def test_widened_cors_origins_are_a_risk(committed):
    def widen(t):
        for r in t["Resources"].values():
            if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"]["HttpMethod"] == "OPTIONS":
                r["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"] = "'*'"

    risks = changed(committed, "dev/Service", widen)
    assert risks and {(r.property, tuple(r.new)) for r in risks} == {("Access-Control-Allow-Origin", ("*",))}


def test_a_new_origin_among_several_is_a_risk(committed):
    def add_origin(t):
        for r in t["Resources"].values():
            if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"]["HttpMethod"] == "OPTIONS":
                r["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseTemplates"] = {
                    "application/json": '#set($origin = $input.params().header.get("Origin"))\n#if($origin == "")\n#end\n'
                                        '#if($origin == "https://shop.example.com")\n#end'}

    risks = changed(committed, "dev/Service", add_origin)
    assert risks and {tuple(r.new) for r in risks} == {("http://localhost:3000", "https://shop.example.com")}


def test_a_removed_web_acl_association_is_a_risk(committed):
    base = copy.deepcopy(committed)
    base["prod/Service"]["Resources"]["ApiWebAcl"] = {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {"WebACLArn": "arn:acl"}}
    risk = only(all_risks(base, committed))
    assert (risk.kind, risk.logical_id) == ("access", "ApiWebAcl")


def test_anyone_may_invoke_a_function_is_a_risk(committed):
    def anyone(t):
        next(r for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::Permission")["Properties"]["Principal"] = "*"

    assert only(changed(committed, "prod/Service", anyone)).property == "Principal"


@pytest.mark.parametrize(("edit", "prop"), [
    (lambda p: p.update(AdminCreateUserConfig={"AllowAdminCreateUserOnly": False}), "AdminCreateUserConfig.AllowAdminCreateUserOnly"),
    (lambda p: p.update(MfaConfiguration="OPTIONAL"), "MfaConfiguration"),
    (lambda p: p["Policies"]["PasswordPolicy"].update(MinimumLength=8), "Policies.PasswordPolicy.MinimumLength"),
    (lambda p: p["Policies"]["PasswordPolicy"].update(RequireSymbols=False), "Policies.PasswordPolicy.RequireSymbols"),
])
def test_weakened_sign_in_is_a_risk(committed, edit, prop):
    risk = only(changed(committed, "prod/Stateful", lambda t: edit(resource(t, "UserPool", "AWS::Cognito::UserPool")["Properties"])))
    assert (risk.kind, risk.property) == ("access", prop)


# --- IAM --------------------------------------------------------------------------------------------

def product_policy(template):
    return resource(template, "ProductFunctionExecutionRoleDefaultPolicy")["Properties"]["PolicyDocument"]["Statement"]


def test_a_statement_whose_resource_becomes_star_is_a_risk(committed):
    def widen(t):
        statement = next(s for s in product_policy(t) if "dynamodb:PutItem" in s["Action"])
        statement["Resource"] = "*"

    risks = changed(committed, "prod/Service", widen)
    assert risks and {(r.kind, r.property) for r in risks} == {("iam", "Resource")}


def test_an_action_wildcard_is_a_risk(committed):
    risks = changed(committed, "prod/Service", lambda t: product_policy(t).append({"Effect": "Allow", "Action": "dynamodb:*", "Resource": {"Fn::GetAtt": ["X", "Arn"]}}))
    assert only(risks).property == "Action"


def test_a_policy_admitting_anyone_is_a_risk(committed):
    def anyone(t):
        policy = next(r for r in t["Resources"].values() if r["Type"] == "AWS::SQS::QueuePolicy")
        policy["Properties"]["PolicyDocument"]["Statement"].append({"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "arn:q"})

    assert only(changed(committed, "prod/Service", anyone)).property == "Principal"


def test_an_admin_managed_policy_is_a_risk(committed):
    def admin(t):
        role = next(r for lid, r in t["Resources"].items() if r["Type"] == "AWS::IAM::Role" and lid.startswith("ProductFunctionExecutionRole"))
        role["Properties"]["ManagedPolicyArns"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]

    assert only(changed(committed, "prod/Service", admin)).property == "ManagedPolicyArns"


def test_reordered_statements_and_actions_are_not_a_risk(committed):
    def reorder(t):
        statements = product_policy(t)
        statements.reverse()
        for statement in statements:
            if isinstance(statement["Action"], list):
                statement["Action"].reverse()

    assert changed(committed, "prod/Service", reorder) == []


def test_a_new_scoped_grant_for_a_new_function_is_not_a_risk(committed):
    def new_function_grant(t):
        t["Resources"]["AuditFunctionExecutionRoleDefaultPolicy"] = {
            "Type": "AWS::IAM::Policy",
            "Properties": {"Roles": [{"Ref": "AuditFunctionExecutionRole"}], "PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:Query"], "Resource": {"Fn::GetAtt": ["T", "Arn"]}},
                {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"},
            ]}},
        }

    assert changed(committed, "prod/Service", new_function_grant) == []


# --- Network ----------------------------------------------------------------------------------------

def test_ingress_from_the_internet_is_a_risk(committed):
    def open_ingress(t):
        t["Resources"]["Open"] = {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
            "GroupId": {"Ref": "G"}, "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}}

    assert only(changed(committed, "prod/Service", open_ingress)).property == "SecurityGroupIngress"


def test_egress_on_every_port_is_a_risk(committed):
    def all_ports(t):
        group = resource(t, "FunctionsSecurityGroup")
        group["Properties"]["SecurityGroupEgress"].append({"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"})

    assert only(changed(committed, "prod/Service", all_ports)).property == "SecurityGroupEgress"


def test_a_function_leaving_the_vpc_is_a_risk(committed):
    risk = only(changed(committed, "prod/Service", lambda t: resource(t, "ProductFunction", "AWS::Lambda::Function")["Properties"].pop("VpcConfig")))
    assert (risk.kind, risk.property) == ("network", "VpcConfig")


# --- Messaging ------------------------------------------------------------------------------------

def imports_queue(t):
    return next(r for lid, r in t["Resources"].items() if lid.startswith("ImportsQueue") and "DeadLetter" not in lid and r["Type"] == "AWS::SQS::Queue")


def unencrypted(queue):
    """The queue with no server-side encryption at all (prod's is under its stack's message key)."""
    queue["Properties"].pop("KmsMasterKeyId", None)
    queue["Properties"].pop("SqsManagedSseEnabled", None)


@pytest.mark.parametrize(("edit", "prop"), [
    (lambda t: unencrypted(imports_queue(t)), "SqsManagedSseEnabled/KmsMasterKeyId"),
    (lambda t: imports_queue(t)["Properties"].pop("RedrivePolicy"), "RedrivePolicy"),
    (lambda t: next(r for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::EventSourceMapping" and "DestinationConfig" in r["Properties"])["Properties"].pop("DestinationConfig"), "DestinationConfig.OnFailure.Destination"),
    (lambda t: next(r for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::EventInvokeConfig")["Properties"].pop("DestinationConfig"), "DestinationConfig.OnFailure.Destination"),
    (lambda t: next(r for r in t["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule")["Properties"]["Target"].pop("DeadLetterConfig"), "Target.DeadLetterConfig.Arn"),
    (lambda t: next(r for r in t["Resources"].values() if r["Type"] == "AWS::SNS::Topic")["Properties"].pop("KmsMasterKeyId"), "KmsMasterKeyId"),
])
def test_weakened_messaging_is_a_risk(committed, edit, prop):
    risk = only(changed(committed, "prod/Service", edit))
    assert (risk.kind, risk.property) == ("messaging", prop)


def test_a_queue_leaving_its_customer_managed_key_for_sqs_managed_encryption_is_a_risk(committed):
    def sqs_managed(t):
        imports_queue(t)["Properties"].pop("KmsMasterKeyId")
        imports_queue(t)["Properties"]["SqsManagedSseEnabled"] = True

    risk = only(changed(committed, "prod/Service", sqs_managed))
    assert (risk.kind, risk.property, risk.new) == ("messaging", "KmsMasterKeyId", "SQS-managed")


def test_a_topic_leaving_its_customer_managed_key_for_the_aws_managed_one_is_a_risk(committed):
    def aws_managed(t):
        topic = next(r for r in t["Resources"].values() if r["Type"] == "AWS::SNS::Topic")
        topic["Properties"]["KmsMasterKeyId"] = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kms:eu-west-1:", {"Ref": "AWS::AccountId"}, ":alias/aws/sns"]]}

    risk = only(changed(committed, "prod/Service", aws_managed))
    assert (risk.kind, risk.property, risk.new) == ("messaging", "KmsMasterKeyId", "alias/aws/sns")


def test_a_dev_queue_keeping_sqs_managed_encryption_is_no_risk(committed):
    assert changed(committed, "dev/Service", lambda t: imports_queue(t)["Properties"].update(SqsManagedSseEnabled=True)) == []


def test_a_removed_tls_only_policy_is_a_risk(committed):
    def drop_tls(t):
        lid = next(lid for lid, r in t["Resources"].items() if r["Type"] == "AWS::SQS::QueuePolicy")
        del t["Resources"][lid]

    assert only(changed(committed, "prod/Service", drop_tls)).kind == "messaging"


# --- Added and removed resources: the rules see them too --------------------------------------------

SHOP = "https://shop.example.com"


@pytest.fixture(scope="module")
def prod_with_cors_for_the_shop(tmp_path_factory):
    """The prod stage synthesized after the one-line cdk.json change that turns CORS on for a new origin."""
    context = cdk_context()
    context["stage"] = "prod"
    context["stages"]["prod"]["api"]["cors_allow_origins"] = [SHOP]
    assembly = synthesize(tmp_path_factory.mktemp("prod-cors"), context)
    return {name: snapshots.snapshot(t, assembly.deployments[name]) for name, t in assembly.templates.items()}


def added_as(template, lid, resource, **properties):
    """``resource`` copied under a new logical id (as a new route or function would add it), properties changed."""
    template["Resources"][lid] = copy.deepcopy(resource)
    template["Resources"][lid].setdefault("Properties", {}).update(properties)


def new_policy(statement):
    return {"Type": "AWS::IAM::Policy", "Properties": {
        "PolicyName": "p", "Roles": [{"Ref": "AuditFunctionExecutionRole"}], "PolicyDocument": {"Statement": [statement]}}}


def test_turning_cors_on_in_prod_for_a_new_origin_is_a_risk_on_each_new_preflight(committed, prod_with_cors_for_the_shop):
    base = {name: t for name, t in committed.items() if name.startswith("prod/")}
    resources = prod_with_cors_for_the_shop["prod/Service"]["Resources"]
    preflights = {lid for lid, r in resources.items() if lid not in base["prod/Service"]["Resources"] and r["Type"] == "AWS::ApiGateway::Method"}
    assert preflights and {resources[lid]["Properties"]["HttpMethod"] for lid in preflights} == {"OPTIONS"}
    risks = all_risks(base, prod_with_cors_for_the_shop)
    assert {(r.kind, r.logical_id, r.property) for r in risks} == {("access", lid, "Access-Control-Allow-Origin") for lid in preflights}
    assert {(r.old, tuple(r.new)) for r in risks} == {(None, (SHOP,))}


def test_a_new_preflight_for_an_origin_the_api_did_not_trust_is_a_risk(committed):
    def new_route(t):
        preflight = method(t, "OPTIONS", "productOPTIONS")
        added_as(t, "ProductApiRestApiproductsearchOPTIONS0A1B2C3D", preflight, ResourceId={"Ref": "ProductApiRestApiproductsearch"})
        parameters = t["Resources"]["ProductApiRestApiproductsearchOPTIONS0A1B2C3D"]["Properties"]["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        parameters["method.response.header.Access-Control-Allow-Origin"] = f"'{SHOP}'"

    risk = only(changed(committed, "dev/Service", new_route))
    assert (risk.kind, risk.logical_id, risk.property, risk.old, risk.new) == (
        "access", "ProductApiRestApiproductsearchOPTIONS0A1B2C3D", "Access-Control-Allow-Origin", None, [SHOP])


def test_a_new_preflight_for_an_origin_the_api_already_trusts_is_not_a_risk(committed):
    def new_route(t):
        added_as(t, "ProductApiRestApiproductsearchOPTIONS0A1B2C3D", method(t, "OPTIONS", "productOPTIONS"),
                 ResourceId={"Ref": "ProductApiRestApiproductsearch"})

    assert changed(committed, "dev/Service", new_route) == []


def test_a_new_public_method_is_a_risk(committed):
    def new_public_read(t):
        added_as(t, "ProductApiRestApiproductsearchGET0A1B2C3D", method(t, "GET", "productGET"), ResourceId={"Ref": "ProductApiRestApiproductsearch"})

    risk = only(changed(committed, "prod/Service", new_public_read))
    assert (risk.kind, risk.logical_id, risk.property, risk.old, risk.new) == (
        "access", "ProductApiRestApiproductsearchGET0A1B2C3D", "AuthorizationType", None, "NONE")


def test_a_new_authorized_method_is_not_a_risk(committed):
    def new_write(t):
        added_as(t, "ProductApiRestApiproductsearchPOST0A1B2C3D", method(t, "POST", "productPOST"), ResourceId={"Ref": "ProductApiRestApiproductsearch"})

    assert changed(committed, "prod/Service", new_write) == []


def test_a_removed_authorized_method_is_not_a_risk(committed):
    def remove_write(t):
        del t["Resources"][next(lid for lid, r in t["Resources"].items() if r is method(t, "POST", "productPOST"))]

    assert changed(committed, "prod/Service", remove_write) == []


def test_anyone_may_invoke_a_new_permission_is_a_risk(committed):
    def anyone(t):
        permission = next(r for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::Permission")
        added_as(t, "AuditFunctionInvokeAnyone", permission, Principal="*")

    risk = only(changed(committed, "prod/Service", anyone))
    assert (risk.kind, risk.logical_id, risk.property, risk.old, risk.new) == ("access", "AuditFunctionInvokeAnyone", "Principal", None, "*")


def test_a_new_permission_for_api_gateway_is_not_a_risk(committed):
    def for_the_api(t):
        added_as(t, "AuditFunctionApiPermission", next(r for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::Permission"))

    assert changed(committed, "prod/Service", for_the_api) == []


def test_a_new_function_url_without_auth_is_a_risk(committed):
    def open_url(t):
        t["Resources"]["AuditFunctionUrl"] = {"Type": "AWS::Lambda::Url", "Properties": {
            "AuthType": "NONE", "TargetFunctionArn": {"Fn::GetAtt": ["AuditFunction", "Arn"]}}}

    risk = only(changed(committed, "prod/Service", open_url))
    assert (risk.kind, risk.logical_id, risk.property, risk.old) == ("access", "AuditFunctionUrl", "AuthType", None)


def test_a_new_policy_with_a_wildcard_action_is_a_risk(committed):
    def wildcard(t):
        t["Resources"]["AuditFunctionExecutionRoleDefaultPolicy"] = new_policy(
            {"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::GetAtt": ["ExportBucket", "Arn"]}})

    risk = only(changed(committed, "prod/Service", wildcard))
    assert (risk.kind, risk.logical_id, risk.property) == ("iam", '{"Ref": "AuditFunctionExecutionRole"}', "Action")


def test_a_new_role_whose_inline_policy_grants_on_star_is_a_risk(committed):
    def new_role(t):
        t["Resources"]["AuditRole"] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]},
            "Policies": [{"PolicyName": "read", "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}],
        }}

    risk = only(changed(committed, "prod/Service", new_role))
    assert (risk.kind, risk.logical_id, risk.property, risk.old) == ("iam", "AuditRole", "Resource", None)


def test_a_new_grant_on_an_arn_pattern_that_names_none_of_our_resources_is_a_risk(committed):
    every_table = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":dynamodb:", {"Ref": "AWS::Region"}, ":",
                                     {"Ref": "AWS::AccountId"}, ":table/*"]]}

    def pattern(t):
        t["Resources"]["AuditFunctionExecutionRoleDefaultPolicy"] = new_policy({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": every_table})

    risk = only(changed(committed, "prod/Service", pattern))
    assert (risk.kind, risk.logical_id, risk.property, risk.old) == ("iam", '{"Ref": "AuditFunctionExecutionRole"}', "Resource", None)


def test_a_new_grant_on_a_pattern_under_one_of_our_resources_is_not_a_risk(committed):
    indexes = {"Fn::Join": ["", [{"Fn::GetAtt": ["ProductTable", "Arn"]}, "/index/*"]]}  # what CDK's grantReadData writes

    def scoped(t):
        t["Resources"]["AuditFunctionExecutionRoleDefaultPolicy"] = new_policy({"Effect": "Allow", "Action": "dynamodb:Query", "Resource": indexes})

    assert changed(committed, "prod/Service", scoped) == []


def test_a_safeguard_a_new_resource_never_had_is_not_reported_as_weakened(committed):
    def new_key(t):
        t["Resources"]["AuditKey"] = {"Type": "AWS::KMS::Key", "Properties": {"PendingWindowInDays": 7, "KeyPolicy": {}}}

    assert changed(committed, "prod/Service", new_key) == []


def test_a_logical_id_that_changes_type_is_a_removal_and_an_addition(committed):
    base = copy.deepcopy(committed)
    base["prod/Service"]["Resources"]["ApiWebAcl"] = {"Type": "AWS::WAFv2::WebACLAssociation", "Properties": {"WebACLArn": "arn:acl"}}
    current = copy.deepcopy(committed)
    current["prod/Service"]["Resources"]["ApiWebAcl"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
    risk = only(all_risks(base, current))
    assert (risk.kind, risk.logical_id, risk.property, risk.new) == ("access", "ApiWebAcl", "(resource)", None)


# --- What is not a risk, and what makes one pass ----------------------------------------------------

def test_raising_memory_or_changing_a_schedule_is_not_a_risk(committed):
    def routine(t):
        resource(t, "ProductFunction", "AWS::Lambda::Function")["Properties"]["MemorySize"] = 2048
        next(r for r in t["Resources"].values() if r["Type"] == "AWS::Scheduler::Schedule")["Properties"]["ScheduleExpression"] = "rate(12 hours)"

    assert changed(committed, "prod/Service", routine) == []


def test_a_risk_blocks_the_review_until_acknowledged_with_a_reason(committed, monkeypatch):
    current = copy.deepcopy(committed)
    resource(current["prod/Stateful"], "ProductTable")["Properties"]["DeletionProtectionEnabled"] = False
    _, data, blocking = review(committed, current, base_label="test", raw_base=None, raw_current={})
    assert blocking and [r["acknowledged"] for r in data["risks"]] == [False]
    entry = {"stack": "prod/Stateful", "logical_id": product_table_id(committed), "property": "DeletionProtectionEnabled",
             "reason": "Table being migrated to a new account by runbook RB-7; re-enabled after cut-over"}
    monkeypatch.setattr("devtools.review.cli.acknowledgement_entries", lambda: [entry])
    markdown, data, blocking = review(committed, current, base_label="test", raw_base=None, raw_current={})
    assert not blocking and data["risks"][0]["acknowledged"] is True
    assert markdown.index("## Risks") < markdown.index("## Changes")


def test_an_acknowledgement_for_another_property_does_not_cover_a_risk(committed):
    current = copy.deepcopy(committed)
    resource(current["prod/Stateful"], "ProductTable")["Properties"]["DeletionProtectionEnabled"] = False
    entry = {"stack": "prod/Stateful", "logical_id": product_table_id(committed), "property": "DeletionPolicy", "reason": "x" * 30}
    assert len(unacknowledged(all_risks(committed, current), [entry])) == 1


def test_the_json_report_carries_the_same_findings(committed):
    current = copy.deepcopy(committed)
    current["prod/Stateful"]["Deployment"]["TerminationProtection"] = False
    _, data, _ = review(committed, current, base_label="test", raw_base=None, raw_current={})
    assert json.loads(json.dumps(data))["risks"][0]["property"] == "TerminationProtection"


# --- Release plan -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("config", "words", "minutes"), [
    ("CodeDeployDefault.LambdaCanary10Percent5Minutes", "10 % for 5 minutes, then 100 %", 5),
    ("CodeDeployDefault.LambdaLinear10PercentEvery3Minutes", "10 % more every 3 minutes (10 steps)", 27),
    ("CodeDeployDefault.LambdaAllAtOnce", "all traffic at once", 0),
])
def test_deployment_configs_in_words(config, words, minutes):
    assert describe_config(config) == (words, minutes)


def test_an_unchanged_synth_releases_nothing(synthesized):
    plan = release_plan(synthesized.templates, synthesized.templates)
    assert plan == {"dev": [], "prod": []}


def test_a_code_change_releases_exactly_that_function_with_its_config_alarms_and_hook(synthesized):
    head = copy.deepcopy(synthesized.templates)
    resources = head["prod/Service"]["Resources"]
    function_id = next(lid for lid, r in resources.items() if lid.startswith("ProductFunction") and r["Type"] == "AWS::Lambda::Function")
    alias = next(r for r in resources.values() if r["Type"] == "AWS::Lambda::Alias" and r["Properties"]["FunctionName"] == {"Ref": function_id})
    old_version = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    resources[old_version + "new"] = resources.pop(old_version)  # what a new code hash does to the version's logical id
    alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0] = old_version + "new"
    plan = release_plan(synthesized.templates, head)
    assert plan["dev"] == []
    (release,) = plan["prod"]
    assert (release.function, release.deployment_config, release.shift_minutes) == (function_id, "Canary10Percent5Minutes", 5)
    assert len(release.alarms) == 3 and release.hooks[0].startswith("before traffic: ProductFunctionPreTrafficHook")

"""ProductApi: the declared /product routes, every method proxied to the live alias; writes authorized."""

from __future__ import annotations

import json

import pytest
from product_api.routes import ROUTES

from services.product_catalog.definition import DEFINITION

FUNCTIONS = DEFINITION.functions

# Every route any declared function serves, and which function serves it.
DECLARED = {(route.method, route.path): d.construct_id for d in FUNCTIONS for route in d.api_routes}
from tests.conftest import logical_id_of, only, resources_of


def methods(template):
    resources = resources_of(template, "AWS::ApiGateway::Resource")
    paths = {}

    def path_of(ref):
        if isinstance(ref, dict) and "Ref" in ref and ref["Ref"] in resources:
            props = resources[ref["Ref"]]["Properties"]
            return f"{path_of(props['ParentId'])}/{props['PathPart']}"
        return ""

    for method in resources_of(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            continue
        paths[(props["HttpMethod"], path_of(props["ResourceId"]))] = props
    return paths


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_api_exposes_exactly_the_product_crud_routes(templates, stage):
    assert set(methods(templates[f"{stage}/Service"])) == set(DECLARED)
    assert {(r.method, r.path) for r in ROUTES} <= set(DECLARED)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_method_is_a_lambda_proxy_to_the_live_alias_of_the_function_declaring_it(templates, stage):
    template = templates[f"{stage}/Service"]
    aliases = resources_of(template, "AWS::Lambda::Alias")
    for route, props in methods(template).items():
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY", route
        (alias_id,) = [lid for lid in aliases if lid.startswith(DECLARED[route] + "Alias")]
        assert {"Ref": alias_id} in integration["Uri"]["Fn::Join"][1], route


def test_api_gateway_may_invoke_only_the_aliases(templates):
    template = templates["prod/Service"]
    aliases = [{"Ref": lid} for lid in resources_of(template, "AWS::Lambda::Alias")]
    permissions = [
        p for p in resources_of(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    # One permission per API function (not per method), each naming its alias.
    assert len(permissions) == len(DEFINITION.api_functions)
    assert all(p["Properties"]["FunctionName"] in aliases for p in permissions)


def test_api_gateway_may_invoke_only_from_this_apis_stage(templates):
    template = templates["prod/Service"]
    (api_id,) = resources_of(template, "AWS::ApiGateway::RestApi")
    for permission in resources_of(template, "AWS::Lambda::Permission").values():
        parts = permission["Properties"]["SourceArn"]["Fn::Join"][1]
        assert {"Ref": api_id} in parts
        assert parts[-1] == "/prod/*/*"


def test_api_functions_that_mount_nothing_share_one_egress_only_security_group(templates):
    template = templates["prod/Service"]
    groups = {lid: g for lid, g in resources_of(template, "AWS::EC2::SecurityGroup").items()}
    shared = logical_id_of(template, "FunctionsSecurityGroup", "AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in groups[shared]["Properties"]
    assert [rule["FromPort"] for rule in groups[shared]["Properties"]["SecurityGroupEgress"]] == [443]
    for declaration in DEFINITION.functions:
        function = template["Resources"][logical_id_of(template, declaration.construct_id, "AWS::Lambda::Function")]
        security_groups = function["Properties"].get("VpcConfig", {}).get("SecurityGroupIds", [])
        if declaration.in_vpc and declaration.file_system is None:
            assert security_groups == [{"Fn::GetAtt": [shared, "GroupId"]}], declaration.name
        elif declaration.file_system is not None:
            assert security_groups and security_groups != [{"Fn::GetAtt": [shared, "GroupId"]}], declaration.name


def test_the_stacks_deployment_groups_share_one_codedeploy_role(templates):
    template = templates["prod/Service"]
    roles = {g["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0] for g in resources_of(template, "AWS::CodeDeploy::DeploymentGroup").values()}
    assert roles == {logical_id_of(template, "DeploymentRole", "AWS::IAM::Role")}


def test_writes_require_a_cognito_token_and_reads_are_public(templates):
    for (method, path), props in methods(templates["prod/Service"]).items():
        expected = "NONE" if method == "GET" else "COGNITO_USER_POOLS"
        assert props["AuthorizationType"] == expected, (method, path)


def test_stage_is_named_prod_so_the_api_lives_at_prod_product(templates):
    for stage in ("dev", "prod"):
        assert only(templates[f"{stage}/Service"], "AWS::ApiGateway::Stage")["Properties"]["StageName"] == "prod"


def test_stage_has_json_access_logs_tracing_and_throttling(templates):
    stage = only(templates["prod/Service"], "AWS::ApiGateway::Stage")["Properties"]
    assert stage["TracingEnabled"] is True
    assert json.loads(stage["AccessLogSetting"]["Format"])["requestId"] == "$context.requestId"
    (settings,) = stage["MethodSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (500, 1000)
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["DataTraceEnabled"] is False


def test_gateway_errors_use_the_service_error_shape(templates):
    responses = resources_of(templates["prod/Service"], "AWS::ApiGateway::GatewayResponse").values()
    assert {r["Properties"]["ResponseType"] for r in responses} == {"DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS"}
    for response in responses:
        assert '"error"' in response["Properties"]["ResponseTemplates"]["application/json"]


def test_cors_preflight_only_where_origins_are_configured(templates):
    def options(stage):
        return [m for m in resources_of(templates[f"{stage}/Service"], "AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] == "OPTIONS"]

    assert options("dev")
    assert not options("prod")


def test_routes_served_by_the_handler_are_the_api_routes_of_its_function(templates):
    from product_api.handler import app

    openapi_paths = json.loads(app.get_openapi_json_schema())["paths"]
    handler_routes = {(method.upper(), path) for path, ops in openapi_paths.items() for method in ops}
    served_by_product = {route for route, construct_id in DECLARED.items() if construct_id == "ProductFunction"}
    assert handler_routes == served_by_product == {(r.method, r.path) for r in ROUTES}


def test_a_5xx_rate_above_the_stage_setting_rolls_back_the_api_function(templates):
    template = templates["prod/Service"]
    alarm_id, alarm = next(
        (lid, a) for lid, a in resources_of(template, "AWS::CloudWatch::Alarm").items() if a["Properties"].get("MetricName") == "5XXError"
    )
    assert (alarm["Properties"]["Statistic"], alarm["Properties"]["Threshold"]) == ("Average", 0.05)
    groups = {lid: g["Properties"] for lid, g in resources_of(template, "AWS::CodeDeploy::DeploymentGroup").items()}
    api_facing = {construct_id for construct_id in DECLARED.values()}
    for logical_id, group in groups.items():
        watches_5xx = {"Name": {"Ref": alarm_id}} in group["AlarmConfiguration"]["Alarms"]
        assert watches_5xx == any(logical_id.startswith(f"{c}DeploymentGroup") for c in api_facing), logical_id


def test_gateway_errors_carry_the_cors_headers_where_cors_is_configured(templates):
    for response in resources_of(templates["dev/Service"], "AWS::ApiGateway::GatewayResponse").values():
        parameters = response["Properties"]["ResponseParameters"]
        assert parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'http://localhost:3000'"
        assert parameters["gatewayresponse.header.Vary"] == "'Origin'"
    for response in resources_of(templates["prod/Service"], "AWS::ApiGateway::GatewayResponse").values():
        assert "ResponseParameters" not in response["Properties"]


def test_api_functions_are_told_the_allowed_origins_and_others_are_not(templates):
    for stage, expected in (("dev", "http://localhost:3000"), ("prod", None)):
        template = templates[f"{stage}/Service"]
        api_facing = {logical_id_of(template, d.construct_id, "AWS::Lambda::Function") for d in DEFINITION.api_functions}
        assert len(api_facing) == 2
        for lid, function in resources_of(template, "AWS::Lambda::Function").items():
            origins = function["Properties"].get("Environment", {}).get("Variables", {}).get("CORS_ALLOW_ORIGINS")
            assert origins == (expected if lid in api_facing else None), (stage, lid)


def test_every_body_is_validated_by_a_model_generated_from_the_handler_schema(templates):
    from product_api.routes import ROUTES

    template = templates["prod/Service"]
    models = resources_of(template, "AWS::ApiGateway::Model")
    with_body = {(r.method, r.path): r for r in ROUTES if r.body}
    for route_key, props in methods(template).items():
        model = (props.get("RequestModels") or {}).get("application/json")
        assert (model is not None) == (route_key in with_body), route_key
        if model:
            schema = models[model["Ref"]]["Properties"]["Schema"]
            assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
            assert set(schema["properties"]) == set(with_body[route_key].body_schema["properties"])


def test_a_body_the_model_rejects_is_answered_in_the_service_error_shape(templates):
    responses = {r["Properties"]["ResponseType"]: r["Properties"] for r in resources_of(templates["prod/Service"], "AWS::ApiGateway::GatewayResponse").values()}
    body = responses["BAD_REQUEST_BODY"]
    assert body["StatusCode"] == "422"
    template = body["ResponseTemplates"]["application/json"]
    assert '"code": "validation_failed"' in template and "responseOverride.status = 400" in template
    assert responses["BAD_REQUEST_PARAMETERS"]["StatusCode"] == "400"

"""What moto's CloudFormation lacks for this project's templates, added without touching the templates.

moto 5.2 deploys most resource types we use, but (measured on our dev stage):
- it does not know ``Fn::GetStackOutput``, the intrinsic CDK now uses for cross-stack references;
- it has no CloudFormation model for ``AWS::Lambda::Alias``, ``AWS::ApiGateway::Stage``,
  ``AWS::Cognito::UserPool``/``UserPoolClient``, and skips ``AWS::ApiGateway::Account``/``Authorizer``/
  ``GatewayResponse``/``RequestValidator``, ``AWS::CloudWatch::Alarm``, ``AWS::CodeDeploy::*``;
- it cannot run the Lambda behind a custom resource (that needs Docker).

``install()`` adds, in the process that hosts the moto server:
- ``Fn::GetStackOutput`` resolution from the named stack's outputs;
- models that create the real emulated object where moto has an API for it (alias, stage, user pool,
  user pool client), so the smoke test can read them back;
- "recorded" models for the rest: CloudFormation tracks them with a physical id and attributes, and
  nothing is emulated behind them (alarms, CodeDeploy, authorizer, gateway responses, ...);
- custom resources complete at once as no-ops (the default security group stays as moto made it).
"""

from __future__ import annotations

import uuid
from typing import Any

from moto.core.common_models import CloudFormationModel

_installed = False


def _get_stack_output(spec: dict[str, Any], resources_map: Any) -> Any:
    from moto.cloudformation import cloudformation_backends

    region = spec.get("Region") or resources_map._region_name
    backend = cloudformation_backends[resources_map._account_id][region]
    for stack in backend.stacks.values():
        if stack.name == spec["StackName"] and stack.status not in ("DELETE_COMPLETE",):
            output = stack.output_map[spec["OutputName"]]
            if output is not None:
                return output.value
    raise KeyError(f"Fn::GetStackOutput: stack {spec['StackName']} has no output {spec['OutputName']}")


class _Recorded(CloudFormationModel):
    """A resource CloudFormation tracks (id, attributes) with nothing emulated behind it."""

    TYPE = "?"

    def __init__(self, logical_id: str, properties: dict[str, Any], account_id: str, region_name: str) -> None:
        self.logical_id = logical_id
        self.properties = properties
        self.account_id = account_id
        self.region_name = region_name
        self.id = f"{logical_id.lower()[:20]}-{uuid.uuid4().hex[:8]}"

    @property
    def physical_resource_id(self) -> str:
        return self.id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            service = self.TYPE.split("::")[1].lower()
            return f"arn:aws:{service}:{self.region_name}:{self.account_id}:{self.id}"
        return self.id

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[override]
        return cls(kwargs.get("LogicalId", resource_name), cloudformation_json.get("Properties", {}), account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[override]
        original_resource.properties = cloudformation_json.get("Properties", {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[override]
        return None

    def is_created(self) -> bool:
        return True


def _recorded(resource_type: str) -> type[_Recorded]:
    return type(
        "Recorded" + resource_type.replace("::", ""),
        (_Recorded,),
        {"TYPE": resource_type, "cloudformation_type": staticmethod(lambda: resource_type)},
    )


RECORDED_TYPES = (
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::RequestValidator",
    "AWS::CloudWatch::Alarm",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
)


class LambdaAlias(_Recorded):
    """AWS::Lambda::Alias, created in moto's Lambda backend (Ref is the alias ARN)."""

    TYPE = "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[override]
        from moto.awslambda.models import lambda_backends

        props = cloudformation_json["Properties"]
        resource = cls(kwargs.get("LogicalId", resource_name), props, account_id, region_name)
        alias = lambda_backends[account_id][region_name].create_alias(
            props["Name"], props["FunctionName"], str(props["FunctionVersion"]), props.get("Description", ""), None
        )
        resource.id = alias.arn
        return resource

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        return self.id


class ApiGatewayStage(_Recorded):
    """AWS::ApiGateway::Stage, created in moto's API Gateway backend (Ref is the stage name)."""

    TYPE = "AWS::ApiGateway::Stage"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[override]
        from moto.apigateway.models import apigateway_backends

        props = cloudformation_json["Properties"]
        resource = cls(kwargs.get("LogicalId", resource_name), props, account_id, region_name)
        apigateway_backends[account_id][region_name].create_stage(
            props["RestApiId"], props["StageName"], props["DeploymentId"],
            tracing_enabled=props.get("TracingEnabled"),
        )
        resource.id = props["StageName"]
        return resource


class CognitoUserPool(_Recorded):
    """AWS::Cognito::UserPool, created in moto's Cognito backend (Ref is the pool id)."""

    TYPE = "AWS::Cognito::UserPool"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPool"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[override]
        from moto.cognitoidp.models import cognitoidp_backends

        props = cloudformation_json.get("Properties", {})
        resource = cls(kwargs.get("LogicalId", resource_name), props, account_id, region_name)
        pool = cognitoidp_backends[account_id][region_name].create_user_pool(
            props.get("UserPoolName", resource_name), {k: v for k, v in props.items() if k != "UserPoolName"}
        )
        resource.id = pool.id
        resource.arn = pool.arn
        return resource

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return self.arn
        if attribute_name == "ProviderName":
            return f"cognito-idp.{self.region_name}.amazonaws.com/{self.id}"
        return self.id


class CognitoUserPoolClient(_Recorded):
    """AWS::Cognito::UserPoolClient, created in moto's Cognito backend (Ref is the client id)."""

    TYPE = "AWS::Cognito::UserPoolClient"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Cognito::UserPoolClient"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[override]
        from moto.cognitoidp.models import cognitoidp_backends

        props = cloudformation_json["Properties"]
        resource = cls(kwargs.get("LogicalId", resource_name), props, account_id, region_name)
        client = cognitoidp_backends[account_id][region_name].create_user_pool_client(
            props["UserPoolId"], bool(props.get("GenerateSecret")), {"ClientName": props.get("ClientName", resource_name)}
        )
        resource.id = client.id
        return resource


class NoOpCustomResource(_Recorded):
    """A custom resource that completes at once: moto cannot run its provider Lambda without Docker."""

    TYPE = "Custom::NoOp"


def install() -> None:
    """Patch moto (in this process) with everything above. Idempotent."""
    global _installed
    if _installed:
        return
    from moto.cloudformation import parsing

    original_clean_json = parsing.clean_json

    def clean_json(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and set(resource_json) == {"Fn::GetStackOutput"}:
            spec = original_clean_json(resource_json["Fn::GetStackOutput"], resources_map)
            return _get_stack_output(spec, resources_map)
        return original_clean_json(resource_json, resources_map)

    parsing.clean_json = clean_json
    for resource_type in RECORDED_TYPES:
        _recorded(resource_type)  # defining the subclass registers it with moto
    original_class_from_type = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type.startswith("Custom::"):
            return NoOpCustomResource
        return original_class_from_type(resource_type)

    parsing.resource_class_from_type = resource_class_from_type
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
    _installed = True

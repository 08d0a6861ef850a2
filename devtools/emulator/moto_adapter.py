"""What moto's CloudFormation lacks for this project's templates, added without touching the templates.

moto 5.2 deploys most resource types we use, but (measured on our dev stage):
- it does not know ``Fn::GetStackOutput``, the intrinsic CDK now uses for cross-stack references;
- it has no CloudFormation model for ``AWS::Lambda::Alias``, ``AWS::ApiGateway::Stage``,
  ``AWS::Cognito::UserPool``/``UserPoolClient``, and skips ``AWS::ApiGateway::Account``/``Authorizer``/
  ``GatewayResponse``/``RequestValidator``, ``AWS::CodeDeploy::*``;
- it cannot run the Lambda behind a custom resource (that needs Docker);
- it requires ``IntegrationHttpMethod``/``Uri`` on every API method (CORS ``MOCK`` methods have none);
- its DynamoDB table model ignores ``PointInTimeRecoverySpecification``, and its Lambda function
  model drops ``Architectures``, ``TracingConfig`` and ``FileSystemConfigs``;
- deleting a stack, it leaves route tables, NAT/internet gateways and VPC endpoints in place, so the
  VPC can never be deleted;
- it deletes stacks that have termination protection;
- its KMS key model passes tags in the wrong shape (KeyError 'TagKey');
- it has no CloudFormation model for ``AWS::CloudWatch::Alarm``, ``AWS::SNS::Subscription``, ``AWS::SQS::QueuePolicy``,
  ``AWS::SNS::TopicPolicy``, ``AWS::Scheduler::Schedule``/``ScheduleGroup`` and ``AWS::Lambda::EventInvokeConfig``
  (created here through moto's own APIs, so the smoke test can read them back), and an EFS access
  point has no ``Ref``; an event source mapping on an alias reports the version's ARN;
- its EFS file system, access point and Lambda version answer no ``Fn::GetAtt`` (``Arn``, ids, ``Version``),
  and a Lambda version has no ``Ref`` (CloudFormation's is the qualified ARN a traffic hook invokes);
- nested stacks (``AWS::CloudFormation::Stack``, a function group's routes) it does deploy: it reads
  the TemplateURL from its own S3 (where `cdk deploy` published the ``.nested.template.json`` asset),
  resolves the parameters the parent passes, creates the nested resources (``Fn::GetStackOutput``
  in them resolved as below) and deletes the nested stack with its parent. But the nested stack
  has no ``ParentId``/``RootId`` in DescribeStacks and drops the ``Tags`` of its resource, and its
  ``Outputs.<Name>`` are not attributes for ``Fn::GetAtt``.

``install()`` adds, in the process that hosts the moto server:
- ``Fn::GetStackOutput`` resolution from the named stack's outputs (its ``StackName`` and ``Region`` are
  resolved first, so a name built from a parameter, as a packaged template's ``${StackNamePrefix}Network``, works);
- models that create the real emulated object where moto has an API for it (alias, stage, user pool,
  user pool client), so the smoke test can read them back;
- "recorded" models for the rest: CloudFormation tracks them with a physical id and attributes, and
  nothing is emulated behind them (alarms, CodeDeploy, authorizer, gateway responses, ...);
- custom resources complete at once as no-ops (the default security group stays as moto made it).
"""

from __future__ import annotations

import json
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

    @classmethod
    def cloudformation_type(cls) -> str:  # type: ignore[override]
        return cls.TYPE

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
        {"TYPE": resource_type},
    )


RECORDED_TYPES = (
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::RequestValidator",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
)


class LambdaAlias(_Recorded):
    """AWS::Lambda::Alias, created in moto's Lambda backend (Ref is the alias ARN)."""

    TYPE = "AWS::Lambda::Alias"

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


class _Emulated(_Recorded):
    """A resource created through moto's own API, so the emulator can be asked about it afterwards."""

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[override]
        props = cloudformation_json.get("Properties", {})
        resource = cls(kwargs.get("LogicalId", resource_name), props, account_id, region_name)
        resource.id = cls.create(props, account_id, region_name, resource.id) or resource.id
        return resource

    @staticmethod
    def create(props: dict[str, Any], account_id: str, region_name: str, default_id: str) -> str | None:
        raise NotImplementedError


class SnsSubscription(_Emulated):
    """AWS::SNS::Subscription, subscribed in moto's SNS with its delivery, filter and redrive attributes."""

    TYPE = "AWS::SNS::Subscription"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(props["TopicArn"], props["Endpoint"], props["Protocol"])
        for name in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy"):
            if name in props:
                value = props[name]
                value = json.dumps(value) if isinstance(value, dict) else str(value).lower() if isinstance(value, bool) else value
                backend.set_subscription_attributes(subscription.arn, name, value)
        return subscription.arn


class CloudWatchAlarm(_Emulated):
    """AWS::CloudWatch::Alarm, put in moto's CloudWatch with its actions (Ref is the alarm's name).

    A metric-math alarm keeps its actions and thresholds there but not its expression: nothing
    evaluates alarms in the emulator, and what is read back is who is told.
    """

    TYPE = "AWS::CloudWatch::Alarm"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.cloudwatch.models import cloudwatch_backends

        name = props.get("AlarmName") or default_id
        cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=name, namespace=props.get("Namespace", ""), metric_name=props.get("MetricName", ""),
            comparison_operator=props["ComparisonOperator"], evaluation_periods=int(props["EvaluationPeriods"]),
            period=int(props.get("Period", 60)), threshold=float(props.get("Threshold", 0)),
            statistic=props.get("Statistic"), extended_statistic=props.get("ExtendedStatistic"),
            description=props.get("AlarmDescription", ""), dimensions=[
                {"Name": d["Name"], "Value": str(d["Value"])} for d in props.get("Dimensions", [])
            ],
            alarm_actions=list(props.get("AlarmActions", [])), ok_actions=list(props.get("OKActions", [])),
            treat_missing_data=props.get("TreatMissingData"),
        )
        return name

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[override]
        original_resource.properties = cloudformation_json.get("Properties", {})
        cls.create(original_resource.properties, account_id, region_name, original_resource.id)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[override]
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return f"arn:aws:cloudwatch:{self.region_name}:{self.account_id}:alarm:{self.id}"
        return self.id


class SqsQueuePolicy(_Emulated):
    """AWS::SQS::QueuePolicy, set as each queue's Policy attribute in moto's SQS."""

    TYPE = "AWS::SQS::QueuePolicy"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.sqs.models import sqs_backends

        for url in props["Queues"]:
            sqs_backends[account_id][region_name].set_queue_attributes(url.rsplit("/", 1)[1], {"Policy": json.dumps(props["PolicyDocument"])})


class SnsTopicPolicy(_Emulated):
    """AWS::SNS::TopicPolicy, set as each topic's Policy attribute in moto's SNS."""

    TYPE = "AWS::SNS::TopicPolicy"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.sns.models import sns_backends

        for arn in props["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(arn, "Policy", json.dumps(props["PolicyDocument"]))


class SchedulerSchedule(_Emulated):
    """AWS::Scheduler::Schedule, created in moto's EventBridge Scheduler (Ref is the schedule name)."""

    TYPE = "AWS::Scheduler::Schedule"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.scheduler.models import scheduler_backends

        name = props.get("Name") or default_id
        scheduler_backends[account_id][region_name].create_schedule(
            description=props.get("Description"), end_date=None, flexible_time_window=props["FlexibleTimeWindow"],
            group_name=props.get("GroupName", "default"), kms_key_arn=None, name=name,
            schedule_expression=props["ScheduleExpression"],
            schedule_expression_timezone=props.get("ScheduleExpressionTimezone"), start_date=None,
            state=props.get("State", "ENABLED"), target=props["Target"], action_after_completion=None,
        )
        return name

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            group = self.properties.get("GroupName", "default")
            return f"arn:aws:scheduler:{self.region_name}:{self.account_id}:schedule/{group}/{self.id}"
        return self.id


class SchedulerScheduleGroup(_Emulated):
    """AWS::Scheduler::ScheduleGroup, created in moto's EventBridge Scheduler (Ref is the group's name)."""

    TYPE = "AWS::Scheduler::ScheduleGroup"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.scheduler.models import scheduler_backends

        name = props.get("Name") or default_id
        scheduler_backends[account_id][region_name].create_schedule_group(name=name, tags=[])
        return name

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[override]
        from moto.scheduler.models import scheduler_backends

        backend = scheduler_backends[account_id][region_name]
        if resource_name in backend.schedule_groups:
            backend.delete_schedule_group(resource_name)

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "Arn":
            return f"arn:aws:scheduler:{self.region_name}:{self.account_id}:schedule-group/{self.id}"
        return self.id


class LambdaEventInvokeConfig(_Emulated):
    """AWS::Lambda::EventInvokeConfig, put in moto's Lambda (retries, event age, destinations)."""

    TYPE = "AWS::Lambda::EventInvokeConfig"

    @staticmethod
    def create(props, account_id, region_name, default_id):  # type: ignore[override]
        from moto.awslambda.models import lambda_backends

        config = {k: props[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig") if k in props}
        lambda_backends[account_id][region_name].put_function_event_invoke_config(props["FunctionName"], config)


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
    # moto finds models among CloudFormationModel's direct subclasses only: ours are looked up here.
    emulated = (LambdaAlias, ApiGatewayStage, CognitoUserPool, CognitoUserPoolClient, SnsSubscription, SqsQueuePolicy,
                CloudWatchAlarm, SchedulerScheduleGroup,
                SnsTopicPolicy, SchedulerSchedule, LambdaEventInvokeConfig)
    models = {model.cloudformation_type(): model for model in emulated}
    models.update({resource_type: _recorded(resource_type) for resource_type in RECORDED_TYPES})
    original_class_from_type = parsing.resource_class_from_type

    def resource_class_from_type(resource_type: str) -> Any:
        if resource_type.startswith("Custom::"):
            return NoOpCustomResource
        return models.get(resource_type) or original_class_from_type(resource_type)

    parsing.resource_class_from_type = resource_class_from_type
    _add_efs_attributes()
    from moto.awslambda import models as awslambda

    awslambda.LambdaVersion.get_cfn_attribute = lambda self, name: {"Version": self.version}[name]  # type: ignore[attr-defined]
    _version_ref_is_its_arn(awslambda)
    _mappings_keep_their_alias(awslambda)
    _default_mock_integration_fields()
    _apply_table_point_in_time_recovery()
    _keep_function_properties()
    _delete_vpc_dependencies_first()
    _kms_tags_in_api_shape()
    _enforce_termination_protection()
    _nested_stacks_know_their_parent()
    _nested_stack_outputs_by_get_att()
    _installed = True


def _nested_stack_outputs_by_get_att() -> None:
    """``Fn::GetAtt <NestedStack>.Outputs.<Name>`` is the nested stack's output (the package's stage template
    passes one member's outputs to another so); moto's stack answers no attribute."""
    from moto.cloudformation.models import Stack

    def get_cfn_attribute(self, attribute_name: str) -> Any:  # type: ignore[no-untyped-def]
        if not attribute_name.startswith("Outputs."):
            raise NotImplementedError(f"Fn::GetAtt {attribute_name} of a nested stack")
        return self.output_map[attribute_name.removeprefix("Outputs.")].value

    Stack.get_cfn_attribute = get_cfn_attribute


def _nested_stacks_know_their_parent() -> None:
    """A nested stack reports ParentId and RootId (DescribeStacks) and carries its resource's Tags, as in
    CloudFormation; moto creates it as one more top-level stack. (Only at creation: moto replaces a
    nested stack on update, which `make deploy-local` never does.)"""
    from moto.cloudformation.models import Stack, cloudformation_backends

    original = Stack.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        nested = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        # The parent is registered before its resources are created; DescribeStacks picks up these attributes.
        parent = cloudformation_backends[account_id][region_name].stacks.get(kwargs.get("StackId"))
        if parent is not None:
            nested.parent_id = parent.stack_id
            nested.root_id = getattr(parent, "root_id", None) or parent.stack_id
        tags = cloudformation_json.get("Properties", {}).get("Tags", [])
        nested.tags = {**nested.tags, **{tag["Key"]: tag["Value"] for tag in tags}}
        return nested

    Stack.create_from_cloudformation_json = classmethod(create)


def _version_ref_is_its_arn(awslambda: Any) -> None:
    """``Ref`` of an ``AWS::Lambda::Version`` is its qualified ARN in CloudFormation; moto's has no Ref at all."""
    original = awslambda.LambdaVersion.create_from_cloudformation_json.__func__

    def create(cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any) -> Any:
        version = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        function = awslambda.lambda_backends[account_id][region_name].get_function(cloudformation_json["Properties"]["FunctionName"])
        version.arn = f"arn:aws:lambda:{region_name}:{account_id}:function:{function.function_name}:{version.version}"
        return version

    awslambda.LambdaVersion.create_from_cloudformation_json = classmethod(create)
    awslambda.LambdaVersion.physical_resource_id = property(lambda self: self.arn)


def _mappings_keep_their_alias(awslambda: Any) -> None:
    """An event source mapping on ``name:alias`` invokes the alias in AWS (its FunctionArn ends ``:alias``);
    moto resolves the alias to its version and reports that version's ARN instead."""
    original = awslambda.LambdaBackend.create_event_source_mapping

    def create(self: Any, spec: dict[str, Any]) -> Any:
        mapping = original(self, spec)
        qualifier = str(spec.get("FunctionName", "")).rpartition(":")[2]
        if ":" in str(spec.get("FunctionName", "")) and not qualifier.isdigit() and qualifier != "$LATEST":
            unqualified = mapping.function_arn.rsplit(":", 1)[0] if mapping.function_arn.rsplit(":", 1)[1].isdigit() else mapping.function_arn
            mapping.function_arn = f"{unqualified}:{qualifier}"
        return mapping

    awslambda.LambdaBackend.create_event_source_mapping = create


def _enforce_termination_protection() -> None:
    """moto records EnableTerminationProtection but deletes such stacks anyway; CloudFormation refuses."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend.delete_stack

    def delete_stack(self, name_or_stack_id: str) -> None:  # type: ignore[no-untyped-def]
        for stack in self.stacks.values():
            if name_or_stack_id in (stack.stack_id, stack.name) and stack.enable_termination_protection:
                raise ValidationError(
                    name_or_stack_id,
                    message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled",
                )
        return original(self, name_or_stack_id)

    CloudFormationBackend.delete_stack = delete_stack


def _kms_tags_in_api_shape() -> None:
    """moto's KMS key model hands CloudFormation's {Key, Value} tags to a tagger expecting {TagKey, TagValue}."""
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        props = cloudformation_json.get("Properties", {})
        if props.get("Tags"):
            props["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]]
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Key.create_from_cloudformation_json = classmethod(create)


def _delete_vpc_dependencies_first() -> None:
    """moto's CloudFormation "deletes" route tables, NAT and internet gateways and VPC endpoints as no-ops
    (their models have no delete), so the VPC still has dependencies when its turn comes. Real
    CloudFormation has deleted them by then: once the stack's subnets are gone, remove what is left in
    the VPC, then delete it."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.vpcs import VPC

    def delete(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        backend = ec2_backends[account_id][region_name]
        vpc_id = resource_name
        if backend.describe_subnets(filters={"vpc-id": vpc_id}):
            backend.delete_vpc(vpc_id)  # raises DependencyViolation: moto retries after the subnets are gone
        for gateway in list(backend.nat_gateways.values()):
            if gateway.vpc_id == vpc_id:
                backend.nat_gateways.pop(gateway.id, None)
        endpoints = [e.id for e in backend.vpc_end_points.values() if e.vpc_id == vpc_id]
        if endpoints:
            backend.delete_vpc_endpoints(endpoints)
        for gateway in list(backend.internet_gateways.values()):
            if gateway.vpc and gateway.vpc.id == vpc_id:
                backend.detach_internet_gateway(gateway.id, vpc_id)
                backend.delete_internet_gateway(gateway.id)
        for table in list(backend.route_tables.values()):
            if table.vpc_id == vpc_id and table.main_association_id is None:
                for association in list(table._associations):
                    backend.disassociate_route_table(association)
                backend.delete_route_table(table.id)
        for interface in list(backend.enis.values()):
            if interface.subnet and interface.subnet.vpc_id == vpc_id:
                backend.delete_network_interface(interface.id)
        backend.delete_vpc(vpc_id)

    VPC.delete_from_cloudformation_json = classmethod(delete)


def _keep_function_properties() -> None:
    """moto's Lambda function model drops Architectures, TracingConfig and FileSystemConfigs from a template."""
    from moto.awslambda.models import LambdaFunction

    original_create = LambdaFunction.create_from_cloudformation_json.__func__
    original_configuration = LambdaFunction.get_configuration

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        function = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties", {})
        function.architectures = props.get("Architectures", function.architectures)
        function.tracing_config = props.get("TracingConfig", function.tracing_config)
        function.file_system_configs = props.get("FileSystemConfigs", [])
        return function

    def get_configuration(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        configuration = original_configuration(self, *args, **kwargs)
        if getattr(self, "file_system_configs", None):
            configuration["FileSystemConfigs"] = self.file_system_configs
        return configuration

    LambdaFunction.create_from_cloudformation_json = classmethod(create)
    LambdaFunction.get_configuration = get_configuration


def _apply_table_point_in_time_recovery() -> None:
    """moto's DynamoDB table model ignores PointInTimeRecoverySpecification (the API supports it)."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table

    original = Table.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        table = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        spec = cloudformation_json.get("Properties", {}).get("PointInTimeRecoverySpecification")
        if spec and spec.get("PointInTimeRecoveryEnabled"):
            dynamodb_backends[account_id][region_name].update_continuous_backups(table.name, spec)
        return table

    Table.create_from_cloudformation_json = classmethod(create)


def _default_mock_integration_fields() -> None:
    """moto requires IntegrationHttpMethod and Uri on every method; a MOCK integration (CORS) has neither."""
    from moto.apigateway import models as apigateway

    original = apigateway.Method.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        integration = cloudformation_json.get("Properties", {}).get("Integration")
        if integration is not None:
            integration.setdefault("IntegrationHttpMethod", cloudformation_json["Properties"]["HttpMethod"])
            integration.setdefault("Uri", "")
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    apigateway.Method.create_from_cloudformation_json = classmethod(create)


def _add_efs_attributes() -> None:
    """moto's EFS models can be created by CloudFormation but answer no Fn::GetAtt."""
    from moto.efs import models as efs

    efs.FileSystem.get_cfn_attribute = lambda self, name: {  # type: ignore[attr-defined]
        "Arn": self.file_system_arn, "FileSystemId": self.file_system_id,
    }[name]
    efs.AccessPoint.get_cfn_attribute = lambda self, name: {  # type: ignore[attr-defined]
        "Arn": self.access_point_arn, "AccessPointId": self.access_point_id,
    }[name]
    # CloudFormation's Ref of an access point is its id; moto's model has none (a mounted function's
    # FileSystemConfigs ARN is built from it).
    efs.AccessPoint.physical_resource_id = property(lambda self: self.access_point_id)  # type: ignore[attr-defined]

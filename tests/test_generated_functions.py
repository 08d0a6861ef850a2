"""What the generator makes from a declaration, for the README's example and for every trigger kind.

The functions are declared in tests/generated_stage.py and synthesized once per session into the
``gen`` stage (cfn-lint and cdk-nag check it with the real stages).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import resources_of


@pytest.fixture(scope="module")
def service(synthesized) -> dict:
    return synthesized.generated.templates["gen/Service"]


@pytest.fixture(scope="module")
def stateful(synthesized) -> dict:
    return synthesized.generated.templates["gen/Stateful"]


def one(template: dict, resource_type: str, prefix: str, excluding: str = "Hook") -> tuple[str, dict]:
    found = [(lid, r) for lid, r in resources_of(template, resource_type).items() if lid.startswith(prefix) and excluding not in lid[len(prefix):]]
    assert len(found) == 1, (resource_type, prefix, [lid for lid, _ in found])
    return found[0]


def function_of(template: dict, prefix: str) -> tuple[str, dict]:
    return one(template, "AWS::Lambda::Function", prefix)


def statements_of(template: dict, prefix: str) -> list[dict]:
    _, fn = function_of(template, prefix)
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in resources_of(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def actions_of(statements: list[dict]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def alias_of(template: dict, prefix: str) -> str:
    return one(template, "AWS::Lambda::Alias", prefix)[0]


def mapping_of(template: dict, prefix: str) -> dict:
    alias = alias_of(template, prefix)
    # The mapping names the function qualified with the alias: <function name from the alias ARN>:live.
    (mapping,) = [
        m["Properties"] for m in resources_of(template, "AWS::Lambda::EventSourceMapping").values()
        if json.dumps({"Ref": alias}) in json.dumps(m["Properties"]["FunctionName"]) and m["Properties"]["FunctionName"]["Fn::Join"][1][-1] == ":live"
    ]
    return mapping


# --- The README's example: ten lines of declaration give a production-grade function ---------------

def test_the_example_gets_a_role_of_its_own(service):
    _, fn = function_of(service, "ProductAuditFunction")
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    users = [lid for lid, r in service["Resources"].items() if f'"{role}"' in json.dumps(r.get("Properties", {}))]
    assert sorted(service["Resources"][lid]["Type"] for lid in users) == ["AWS::IAM::Policy", "AWS::Lambda::Function"]


def test_the_example_logs_to_its_own_group_with_the_stage_retention(service):
    _, fn = function_of(service, "ProductAuditFunction")
    group = service["Resources"][fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]]
    assert group["Properties"]["RetentionInDays"] == 30  # dev's function_defaults.log_retention_days


def test_the_example_runs_in_the_vpc_behind_its_own_security_group(service):
    _, fn = function_of(service, "ProductAuditFunction")
    (group,) = fn["Properties"]["VpcConfig"]["SecurityGroupIds"]
    assert group["Fn::GetAtt"][0].startswith("ProductAuditFunctionSecurityGroup")


def test_the_example_has_a_version_and_a_live_alias_released_by_codedeploy(service):
    alias = service["Resources"][alias_of(service, "ProductAuditFunction")]
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0].startswith("ProductAuditFunctionCurrentVersion")
    _, group = one(service, "AWS::CodeDeploy::DeploymentGroup", "ProductAuditFunction")
    assert group["Properties"]["DeploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
    assert group["Properties"]["AutoRollbackConfiguration"]["Enabled"] is True


def test_the_example_rolls_back_on_errors_and_throttles_of_its_new_version(service):
    _, group = one(service, "AWS::CodeDeploy::DeploymentGroup", "ProductAuditFunction")
    alarms = [service["Resources"][a["Name"]["Ref"]]["Properties"] for a in group["Properties"]["AlarmConfiguration"]["Alarms"]]
    assert sorted(a["MetricName"] for a in alarms) == ["Errors", "Throttles"]
    for alarm in alarms:
        dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert dimensions["ExecutedVersion"]["Fn::GetAtt"][0].startswith("ProductAuditFunctionCurrentVersion")


def test_the_example_stream_mapping_invokes_the_alias_with_its_settings(service):
    mapping = mapping_of(service, "ProductAuditFunction")
    assert (mapping["StartingPosition"], mapping["BatchSize"]) == ("TRIM_HORIZON", 50)
    assert (mapping["BisectBatchOnFunctionError"], mapping["MaximumRetryAttempts"], mapping["MaximumRecordAgeInSeconds"]) == (True, 3, 3600)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert json.loads(mapping["FilterCriteria"]["Filters"][0]["Pattern"]) == {"eventName": ["INSERT", "MODIFY", "REMOVE"]}


def test_what_the_example_stream_mapping_gives_up_on_goes_to_an_alarmed_queue(service):
    destination = mapping_of(service, "ProductAuditFunction")["DestinationConfig"]["OnFailure"]["Destination"]
    queue_id = destination["Fn::GetAtt"][0]
    assert queue_id.startswith("ProductAuditFunctionStreamFailuresQueue")
    alarms = [a["Properties"] for a in resources_of(service, "AWS::CloudWatch::Alarm").values()]
    assert any(a.get("MetricName") == "ApproximateNumberOfMessagesVisible" and queue_id in json.dumps(a["Dimensions"]) for a in alarms)


def test_the_streamed_table_gets_the_view_the_trigger_asks_for(stateful):
    (table,) = [t for lid, t in resources_of(stateful, "AWS::DynamoDB::Table").items() if lid.startswith("ProductTable")]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_example_reads_the_table_and_writes_nothing(service):
    actions = actions_of(statements_of(service, "ProductAuditFunction"))
    assert "dynamodb:GetItem" in actions and "dynamodb:GetRecords" in actions
    assert not {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} & actions


def test_a_read_only_mount_grants_client_mount_without_client_write(service):
    (mount,) = [s for s in statements_of(service, "ProductAuditFunction") if "elasticfilesystem" in json.dumps(s["Action"])]
    assert mount["Action"] == "elasticfilesystem:ClientMount"
    assert "elasticfilesystem:AccessPointArn" in mount["Condition"]["StringEquals"]
    _, fn = function_of(service, "ProductAuditFunction")
    assert fn["Properties"]["FileSystemConfigs"][0]["LocalMountPath"] == "/mnt/files"


def test_nfs_is_admitted_only_from_the_functions_that_mount(service):
    ingress = [r["Properties"] for r in resources_of(service, "AWS::EC2::SecurityGroupIngress").values()]
    sources = sorted(rule["SourceSecurityGroupId"]["Fn::GetAtt"][0] for rule in ingress)
    assert [s.split("SecurityGroup")[0] for s in sources] == ["BulkWorkerFunction", "CatalogExportFunction", "ExportListingFunction", "ProductAuditFunction"]
    assert all((rule["FromPort"], rule["ToPort"]) == (2049, 2049) for rule in ingress)


def test_the_example_ships_its_own_code_asset_without_the_api_dependencies(synthesized, service):
    _, fn = function_of(service, "ProductAuditFunction")
    _, api = function_of(service, "ProductFunction")
    assert fn["Properties"]["Code"]["S3Key"] != api["Properties"]["Code"]["S3Key"]
    asset = Path(synthesized.generated.outdir) / f"asset.{fn['Properties']['Code']['S3Key'].removesuffix('.zip')}"
    assert sorted(p.name for p in asset.iterdir()) == ["product_audit"]


# --- Queue trigger --------------------------------------------------------------------------------

def test_the_queue_mapping_invokes_the_alias_with_its_settings(service):
    mapping = mapping_of(service, "BulkWorkerFunction")
    assert (mapping["BatchSize"], mapping["MaximumBatchingWindowInSeconds"]) == (50, 5)
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 4}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_queue_visibility_is_six_times_its_consumers_timeout_plus_the_window(service):
    _, queue = one(service, "AWS::SQS::Queue", "BulkQueue", excluding="DeadLetter")
    assert queue["Properties"]["VisibilityTimeout"] == 6 * 10 + 5


def test_a_message_received_max_receive_count_times_goes_to_the_dead_letter_queue(service):
    _, queue = one(service, "AWS::SQS::Queue", "BulkQueue", excluding="DeadLetter")
    policy = queue["Properties"]["RedrivePolicy"]
    assert policy["maxReceiveCount"] == 3
    assert policy["deadLetterTargetArn"]["Fn::GetAtt"][0].startswith("BulkQueueDeadLetterQueue")


def test_every_queue_is_encrypted_with_the_stacks_message_key_retained_and_refuses_plain_http(service):
    queues = resources_of(service, "AWS::SQS::Queue")
    assert len(queues) >= 6
    tls_only = {
        ref["Ref"]
        for policy in resources_of(service, "AWS::SQS::QueuePolicy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Deny" and statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for ref in policy["Properties"]["Queues"]
    }
    for logical_id, queue in queues.items():
        assert queue["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("MessageKey"), logical_id
        assert queue["DeletionPolicy"] == "Retain", logical_id
        assert logical_id in tls_only, logical_id


def test_a_read_write_mount_grants_client_write(service):
    (mount,) = [s for s in statements_of(service, "BulkWorkerFunction") if "elasticfilesystem" in json.dumps(s["Action"])]
    assert sorted(mount["Action"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]


def test_a_post_traffic_check_runs_after_traffic_has_shifted(service):
    alias = service["Resources"][alias_of(service, "BulkWorkerFunction")]
    hooks = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert hooks["AfterAllowTrafficHook"]["Ref"].startswith("BulkWorkerFunctionPostTrafficHook")
    assert "BeforeAllowTrafficHook" not in hooks


# --- Schedules and asynchronous invocation --------------------------------------------------------

def test_a_scheduler_schedule_invokes_the_alias_with_retries_and_a_dead_letter_queue(service):
    _, schedule = one(service, "AWS::Scheduler::Schedule", "NightlyFunctionSchedule")
    props = schedule["Properties"]
    assert (props["ScheduleExpression"], props["ScheduleExpressionTimezone"], props["State"]) == ("cron(0 2 * * ? *)", "Europe/Paris", "ENABLED")
    target = props["Target"]
    assert target["Arn"] == {"Ref": alias_of(service, "NightlyFunction")}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("NightlyFunctionScheduleFailuresQueue")
    assert json.loads(target["Input"]) == {"job": "nightly"}


def test_asynchronous_invocations_of_the_alias_retry_then_go_to_the_failure_queue(service):
    (config,) = [c["Properties"] for c in resources_of(service, "AWS::Lambda::EventInvokeConfig").values() if "Nightly" in json.dumps(c)]
    assert json.dumps({"Ref": alias_of(service, "NightlyFunction")}) in json.dumps(config["Qualifier"])  # the live alias
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (1, 600)
    destinations = config["DestinationConfig"]
    assert destinations["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith("NightlyFunctionAsyncFailuresQueue")
    assert destinations["OnSuccess"]["Destination"]["Fn::GetAtt"][0] == one(service, "AWS::SQS::Queue", "BulkQueue", excluding="DeadLetter")[0]


def test_a_function_outside_the_vpc_has_no_network_interfaces_or_security_group(service):
    _, fn = function_of(service, "NightlyFunction")
    assert "VpcConfig" not in fn["Properties"]
    assert not [lid for lid in resources_of(service, "AWS::EC2::SecurityGroup") if lid.startswith("NightlyFunction")]
    assert not [a for a in actions_of(statements_of(service, "NightlyFunction")) if a.startswith("ec2:")]


def test_declaration_settings_and_per_function_stage_settings_apply(service):
    _, fn = function_of(service, "NightlyFunction")
    assert (fn["Properties"]["MemorySize"], fn["Properties"]["Timeout"]) == (256, 60)
    _, group = one(service, "AWS::CodeDeploy::DeploymentGroup", "NightlyFunction")
    assert group["Properties"]["DeploymentConfigName"] == "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"


def test_publish_and_send_grants_name_only_the_topic_and_the_queue(service):
    statements = statements_of(service, "NightlyFunction")
    (publish,) = [s for s in statements if s["Action"] == "sns:Publish"]
    assert publish["Resource"]["Ref"].startswith("ProductEventsTopic")
    imports = one(service, "AWS::SQS::Queue", "BulkQueue", excluding="DeadLetter")[0]
    assert [s for s in statements if "sqs:SendMessage" in s["Action"] and imports in json.dumps(s["Resource"])]
    # And the keys of the two: the stack's message key (queues) and the stage's data key (topics), nothing else.
    keys = {json.dumps(s["Resource"]): sorted(s["Action"]) for s in statements if "kms:" in json.dumps(s["Action"])}
    (message_key, data_key) = sorted(keys, key=lambda resource: "DataKey" in resource)
    assert "MessageKey" in message_key and "DataKey" in data_key
    assert keys[data_key] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    env = function_of(service, "NightlyFunction")[1]["Properties"]["Environment"]["Variables"]
    assert set(env) >= {"BULK_QUEUE_URL", "PRODUCT_EVENTS_TOPIC_ARN"}


def test_the_event_topic_is_encrypted_with_the_stage_data_key_and_refuses_plain_http(service):
    _, topic = one(service, "AWS::SNS::Topic", "ProductEventsTopic")
    reference = topic["Properties"]["KmsMasterKeyId"]["Fn::GetStackOutput"]
    assert reference["StackName"] == "gen-Stateful" and "DataKey" in reference["OutputName"]
    policies = json.dumps(resources_of(service, "AWS::SNS::TopicPolicy"))
    assert '"aws:SecureTransport": "false"' in policies


def test_a_rule_schedule_turned_off_by_the_stage_stays_declared_but_disabled(service):
    _, rule = one(service, "AWS::Events::Rule", "HourlyFunctionSchedule")
    props = rule["Properties"]
    assert (props["ScheduleExpression"], props["State"]) == ("rate(1 hour)", "DISABLED")
    (target,) = props["Targets"]
    assert target["Arn"] == {"Ref": alias_of(service, "HourlyFunction")}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}
    assert "DeadLetterConfig" in target


def test_reads_need_a_token_when_the_stage_authorizes_reads(service):
    methods = [m["Properties"] for m in resources_of(service, "AWS::ApiGateway::Method").values() if m["Properties"]["HttpMethod"] == "GET"]
    assert methods and all(m["AuthorizationType"] == "COGNITO_USER_POOLS" for m in methods)

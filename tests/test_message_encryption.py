"""In a stage with a customer-managed key, every queue and topic is encrypted with one, and each key admits
only what writes to it; a stage without one keeps SQS-managed encryption and the AWS-managed SNS key."""

from __future__ import annotations

import json

import pytest

from devtools.synth import cdk_context
from tests.conftest import resources_of

# The generated stages (tests/generated_stage.py) turn the key on: every queue and topic kind under it.
GENERATED_STAGES = {"gen": True, "orders-dev": True}


@pytest.fixture(scope="module")
def stages(synthesized):
    """Stage -> its templates by stack name, over cdk.json's stages and the generated ones."""
    found: dict[str, dict[str, dict]] = {}
    for name, template in {**synthesized.templates, **synthesized.generated.templates}.items():
        stage, stack = name.split("/", 1)
        found.setdefault(stage, {})[stack] = template
    return found


@pytest.fixture(scope="module")
def customer_managed(stages):
    """Stage -> whether it has a customer-managed key (data.customer_managed_key), for every synthesized stage."""
    configured = {name: bool(s.get("data", {}).get("customer_managed_key")) for name, s in cdk_context()["stages"].items()}
    flags = {**configured, **GENERATED_STAGES}
    assert set(flags) == set(stages)  # a new stage is classified here, or this test fails
    return flags


def key_behind(reference, stage, stage_templates, template):
    """The AWS::KMS::Key resource a KmsMasterKeyId refers to (in its own template or a stack of its stage), or None."""
    if "Fn::GetAtt" in reference:
        resource = template["Resources"].get(reference["Fn::GetAtt"][0], {})
        return resource if resource.get("Type") == "AWS::KMS::Key" else None
    if "Fn::GetStackOutput" in reference:
        output = reference["Fn::GetStackOutput"]
        other = stage_templates[output["StackName"].removeprefix(f"{stage}-")]
        return key_behind(other["Outputs"][output["OutputName"]]["Value"], stage, stage_templates, other)
    return None


def encrypted_resources(stage_templates):
    for stack, template in stage_templates.items():
        for resource_type in ("AWS::SQS::Queue", "AWS::SNS::Topic"):
            for lid, resource in resources_of(template, resource_type).items():
                yield stack, template, lid, resource


def test_with_a_customer_managed_key_every_queue_and_topic_of_every_stack_uses_a_customer_managed_key(stages, customer_managed):
    checked = 0
    for stage, stage_templates in stages.items():
        if not customer_managed[stage]:
            continue
        for stack, template, lid, resource in encrypted_resources(stage_templates):
            reference = resource["Properties"].get("KmsMasterKeyId")
            assert reference is not None and key_behind(reference, stage, stage_templates, template), (stage, stack, lid, reference)
            assert "SqsManagedSseEnabled" not in resource["Properties"], (stage, stack, lid)
            checked += 1
    assert checked >= 30  # queues and topics of prod, gen and orders, in service, group and alarm stacks


def test_without_one_queues_are_sqs_managed_and_topics_use_the_aws_managed_sns_key(stages, customer_managed):
    plain = [stage for stage, flag in customer_managed.items() if not flag]
    assert plain == ["dev"]
    for stack, template, lid, resource in encrypted_resources(stages["dev"]):
        props = resource["Properties"]
        if resource["Type"] == "AWS::SQS::Queue":
            assert props["SqsManagedSseEnabled"] is True and "KmsMasterKeyId" not in props, (stack, lid)
        elif stack != "Alarms":  # the alarm topic always has a key of its own: CloudWatch cannot use alias/aws/sns
            assert json.dumps(props["KmsMasterKeyId"]).endswith(':alias/aws/sns"]]}'), (stack, lid)
    assert not [lid for t in stages["dev"].values() for lid in resources_of(t, "AWS::KMS::Key") if lid.startswith("MessageKey")]


def test_each_function_stack_with_queues_has_one_retained_rotated_message_key(stages, customer_managed):
    for stage, stage_templates in stages.items():
        for stack, template in stage_templates.items():
            keys = {lid: k for lid, k in resources_of(template, "AWS::KMS::Key").items() if lid.startswith("MessageKey")}
            has_queues = bool(resources_of(template, "AWS::SQS::Queue")) and stack != "Alarms"
            assert len(keys) == (1 if customer_managed[stage] and has_queues else 0), (stage, stack, sorted(keys))
            for key in keys.values():
                assert key["Properties"]["EnableKeyRotation"] is True
                assert key["DeletionPolicy"] == key["UpdateReplacePolicy"] == "Retain"


def service_statements(key):
    return [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "Service" in s.get("Principal", {})]


def test_every_key_statement_for_an_aws_service_is_scoped_to_its_source(stages):
    scoped_by = ("aws:SourceArn", "aws:SourceAccount", "kms:EncryptionContext:")
    checked = 0
    for stage, stage_templates in stages.items():
        for stack, template in stage_templates.items():
            for lid, key in resources_of(template, "AWS::KMS::Key").items():
                for statement in service_statements(key):
                    conditions = json.dumps(list(statement.get("Condition", {}).values()))
                    assert any(f'"{name}' in conditions for name in scoped_by), (stage, stack, lid, statement)
                    checked += 1
    assert checked >= 8


def test_sns_may_use_a_message_key_only_for_the_topic_its_queues_subscribe_to(stages):
    service = stages["prod"]["Service"]
    (key,) = [k for lid, k in resources_of(service, "AWS::KMS::Key").items() if lid.startswith("MessageKey")]
    (sns,) = [s for s in service_statements(key) if s["Principal"] == {"Service": "sns.amazonaws.com"}]
    (topic_id,) = resources_of(service, "AWS::SNS::Topic")
    assert sns["Condition"] == {"ArnEquals": {"aws:SourceArn": {"Ref": topic_id}}}
    assert sorted(sns["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    # The topic itself is encrypted with the data key: with this key, the key and the topic would name each other.
    assert "DataKey" in json.dumps(service["Resources"][topic_id]["Properties"]["KmsMasterKeyId"])


def events_statements(template):
    (key,) = [k for lid, k in resources_of(template, "AWS::KMS::Key").items() if lid.startswith("MessageKey")]
    return [s for s in service_statements(key) if s["Principal"] == {"Service": "events.amazonaws.com"}]


def test_eventbridge_rules_of_the_account_may_write_dead_letters_with_the_key_of_a_stack_with_a_rule(stages):
    assert resources_of(stages["gen"]["Service"], "AWS::Events::Rule")
    (statement,) = events_statements(stages["gen"]["Service"])
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":rule/*" in json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"])


def test_a_stack_without_a_rule_admits_no_eventbridge(stages):
    assert not resources_of(stages["prod"]["Service"], "AWS::Events::Rule")  # its schedule is EventBridge Scheduler's
    assert events_statements(stages["prod"]["Service"]) == []


def policy_statements(template, role_prefix):
    return [
        s for lid, policy in resources_of(template, "AWS::IAM::Policy").items()
        if any(ref.get("Ref", "").startswith(role_prefix) for ref in policy["Properties"]["Roles"])
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_a_schedules_role_may_use_the_key_of_its_dead_letter_queue(stages):
    service = stages["prod"]["Service"]
    statements = policy_statements(service, "SchedulerRoleForTarget")
    (kms,) = [s for s in statements if "kms:" in json.dumps(s["Action"])]
    assert sorted(kms["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert kms["Resource"]["Fn::GetAtt"][0].startswith("MessageKey")


def test_a_queue_consumer_may_only_decrypt_with_the_message_key(stages):
    service = stages["prod"]["Service"]
    (worker,) = [lid for lid in resources_of(service, "AWS::IAM::Role") if lid.startswith("ImportWorkerFunction")]
    on_message_key = [s for s in policy_statements(service, worker) if "MessageKey" in json.dumps(s["Resource"])]
    assert [s["Action"] for s in on_message_key] == ["kms:Decrypt"]


def test_a_sender_in_the_service_stack_is_granted_the_key_of_a_group_stacks_queue(stages):
    orders = stages["orders-dev"]
    (group_key,) = [lid for lid in resources_of(orders["FulfilmentFunctions"], "AWS::KMS::Key") if lid.startswith("MessageKey")]
    (api_role,) = [lid for lid in resources_of(orders["Service"], "AWS::IAM::Role") if lid.startswith("OrdersApiFunction")]
    (grant,) = [s for s in policy_statements(orders["Service"], api_role)
                if "kms:GenerateDataKey*" in s["Action"] and "FulfilmentFunctions" in json.dumps(s["Resource"])]
    output = grant["Resource"]["Fn::GetStackOutput"]
    assert output["StackName"] == "orders-dev-FulfilmentFunctions"
    assert orders["FulfilmentFunctions"]["Outputs"][output["OutputName"]]["Value"] == {"Fn::GetAtt": [group_key, "Arn"]}


def test_undeliverable_alarm_notifications_are_kept_with_the_alarm_topics_key_which_admits_sns_for_it_only(stages):
    alarms = stages["prod"]["Alarms"]
    (key_id, key), = resources_of(alarms, "AWS::KMS::Key").items()
    (queue,) = resources_of(alarms, "AWS::SQS::Queue").values()
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    (sns,) = [s for s in service_statements(key) if s["Principal"] == {"Service": "sns.amazonaws.com"}]
    assert "prod-product-catalog-alarms" in json.dumps(sns["Condition"]["ArnEquals"]["aws:SourceArn"])

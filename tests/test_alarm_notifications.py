"""Every alarm reaches a person: each stage's alarms notify its alarm topic on ALARM and on OK."""

from __future__ import annotations

import pytest

from tests.conftest import only, resources_of


def all_templates(synthesized):
    return {**synthesized.templates, **synthesized.generated.templates}


def stage_of(name):
    return name.split("/", 1)[0]


def test_every_alarm_in_every_template_notifies_its_stages_topic_on_alarm_and_ok(synthesized):
    templates = all_templates(synthesized)
    topics = {stage_of(name): lid for name, t in templates.items() if name.endswith("/Alarms")
              for lid in resources_of(t, "AWS::SNS::Topic")}
    assert set(topics) == {stage_of(name) for name in templates}  # every stage here notifies someone
    checked = 0
    for name, template in templates.items():
        for lid, alarm in resources_of(template, "AWS::CloudWatch::Alarm").items():
            for actions in ("AlarmActions", "OKActions"):
                (action,) = alarm["Properties"].get(actions, [None])
                assert action is not None, (name, lid, actions)
                reference = action.get("Fn::GetStackOutput", {}).get("StackName") or action.get("Ref")
                assert reference in (f"{stage_of(name)}-Alarms", topics[stage_of(name)]), (name, lid, action)
            checked += 1
    assert checked > 50  # functions, queues, the API, the undelivered notifications, in four stages


@pytest.fixture(scope="module")
def alarms(templates):
    return templates["prod/Alarms"]


def test_the_alarm_topic_is_encrypted_with_a_key_of_its_own_and_tls_only(alarms):
    topic = only(alarms, "AWS::SNS::Topic")["Properties"]
    (key_id,) = resources_of(alarms, "AWS::KMS::Key")
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert topic["TopicName"] == "prod-product-catalog-alarms"
    policy = only(alarms, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in policy)


def test_cloudwatch_may_use_the_key_for_the_alarm_topic_only(alarms):
    key = only(alarms, "AWS::KMS::Key")
    (statement,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    (topic_arn,) = statement["Condition"]["StringEquals"].values()
    assert "prod-product-catalog-alarms" in str(topic_arn)
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain"


def test_only_this_accounts_alarms_may_publish(alarms):
    policy = only(alarms, "AWS::SNS::TopicPolicy")["Properties"]["PolicyDocument"]["Statement"]
    (publish,) = [s for s in policy if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def test_the_configured_address_is_subscribed_and_undeliverable_notifications_are_kept(alarms):
    subscription = only(alarms, "AWS::SNS::Subscription")["Properties"]
    assert (subscription["Protocol"], subscription["Endpoint"]) == ("email", "catalog-oncall@example.com")
    (dead_letter,) = [lid for lid, q in resources_of(alarms, "AWS::SQS::Queue").items() if lid.startswith("AlarmTopicUndelivered")]
    assert dead_letter in str(subscription["RedrivePolicy"])


def test_a_stage_that_notifies_nobody_says_so_and_has_no_alarm_topic():
    from aws_cdk import App

    from devtools.synth import cdk_context
    from stacks.config import parse_stage
    from stacks.service_stage import ServiceStage
    from tests.fixtures.orders.definition import ORDERS

    settings = {**cdk_context()["stages"]["dev"], "tables": {}, "functions": {}, "alarms": {"notify_nobody": True}}
    stage = ServiceStage(App(), definition=ORDERS, config=parse_stage("quiet", settings))
    assert stage.alarms is None


def test_an_existing_topic_is_notified_instead_of_an_own_one():
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template
    from catalog_constructs.alarm_topic import AlarmTopic

    stack = Stack(App(), "Existing", env={"region": "eu-west-1", "account": "123456789012"})
    AlarmTopic(stack, "Alarms", topic_name="x", existing_topic_arn="arn:aws:sns:eu-west-1:123456789012:pager")
    assert Template.from_stack(stack).to_json().get("Resources", {}) == {}

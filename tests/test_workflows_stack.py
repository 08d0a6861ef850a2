"""The event-driven workflows as the stages synthesize them: import queue, change events, scheduled export."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources_of


def one(template, resource_type, prefix, excluding="\0"):
    found = [(lid, r) for lid, r in resources_of(template, resource_type).items() if lid.startswith(prefix) and excluding not in lid[len(prefix):]]
    assert len(found) == 1, (resource_type, prefix, [lid for lid, _ in found])
    return found[0]


@pytest.fixture(scope="module", params=["dev", "prod"])
def stage(request):
    return request.param


@pytest.fixture(scope="module")
def service(stage, templates):
    return templates[f"{stage}/Service"]


def customer_managed(stage):
    """Whether the stage encrypts with customer-managed keys (cdk.json: prod's data.customer_managed_key)."""
    return stage == "prod"


def test_the_import_queue_hides_a_message_six_worker_timeouts_and_dead_letters_it_after_5_receipts(service):
    _, worker = one(service, "AWS::Lambda::Function", "ImportWorkerFunction")
    _, queue = one(service, "AWS::SQS::Queue", "ImportsQueue", excluding="DeadLetter")
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * worker["Properties"]["Timeout"]
    assert queue["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 5
    dead_letter_id = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert dead_letter_id.startswith("ImportsQueueDeadLetter")


def test_an_alarm_fires_when_the_import_dead_letter_queue_is_not_empty(service):
    dead_letter_id, _ = one(service, "AWS::SQS::Queue", "ImportsQueueDeadLetter")
    (alarm,) = [a["Properties"] for a in resources_of(service, "AWS::CloudWatch::Alarm").values()
                if json.dumps({"Fn::GetAtt": [dead_letter_id, "QueueName"]}) in json.dumps(a["Properties"].get("Dimensions"))]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "ApproximateNumberOfMessagesVisible", 1, "GreaterThanOrEqualToThreshold")


@pytest.mark.parametrize("prefix", ["ImportsQueue", "ImportsQueueDeadLetter", "ProductEventsExampleSubscriber"])
def test_workflow_queues_are_encrypted_and_refuse_plain_http(stage, service, prefix):
    queue_id, queue = one(service, "AWS::SQS::Queue", prefix, excluding="DeadLetter" if "DeadLetter" not in prefix else "\0")
    if customer_managed(stage):
        assert queue["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0].startswith("MessageKey")
    else:
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
    denies = [s for p in resources_of(service, "AWS::SQS::QueuePolicy").values() if {"Ref": queue_id} in p["Properties"]["Queues"]
              for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in denies)


def test_the_worker_consumes_the_import_queue_through_its_alias_with_partial_batch_responses(service):
    alias_id, _ = one(service, "AWS::Lambda::Alias", "ImportWorkerFunction")
    (mapping,) = [m["Properties"] for m in resources_of(service, "AWS::Lambda::EventSourceMapping").values() if alias_id in json.dumps(m)]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["FunctionName"]["Fn::Join"][1][-1] == ":live"


def test_the_stream_mapping_bisects_retries_a_bounded_number_of_times_and_keeps_what_it_gives_up_on(service):
    alias_id, _ = one(service, "AWS::Lambda::Alias", "ProductEventsFunction")
    (mapping,) = [m["Properties"] for m in resources_of(service, "AWS::Lambda::EventSourceMapping").values() if alias_id in json.dumps(m)]
    assert (mapping["BisectBatchOnFunctionError"], mapping["MaximumRetryAttempts"], mapping["MaximumRecordAgeInSeconds"]) == (True, 5, 86_400)
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith("ProductEventsFunctionStreamFailures")


def test_the_event_topic_is_encrypted_and_the_publisher_may_only_publish_to_it(stage, service):
    topic_id, topic = one(service, "AWS::SNS::Topic", "ProductEventsTopic")
    key = json.dumps(topic["Properties"]["KmsMasterKeyId"])
    assert ("DataKey" in key and f'"{stage}-Stateful"' in key) if customer_managed(stage) else "alias/aws/sns" in key
    _, publisher = one(service, "AWS::Lambda::Function", "ProductEventsFunction")
    role = publisher["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [s for p in resources_of(service, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    (publish,) = [s for s in statements if s["Action"] == "sns:Publish"]
    assert publish["Resource"] == {"Ref": topic_id}


def test_the_example_subscriber_filters_on_event_type_and_its_queue_admits_only_the_topic(service):
    topic_id, _ = one(service, "AWS::SNS::Topic", "ProductEventsTopic")
    (subscription,) = [s["Properties"] for s in resources_of(service, "AWS::SNS::Subscription").values()]
    assert subscription["FilterPolicy"] == {"event_type": ["ProductCreated", "ProductUpdated", "ProductDeleted"]}
    assert subscription["RawMessageDelivery"] is True and "RedrivePolicy" in subscription
    queue_id, _ = one(service, "AWS::SQS::Queue", "ProductEventsExampleSubscriber", excluding="DeadLetter")
    allows = [s for p in resources_of(service, "AWS::SQS::QueuePolicy").values() if {"Ref": queue_id} in p["Properties"]["Queues"]
              for s in p["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert [(s["Principal"], s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in allows] == [({"Service": "sns.amazonaws.com"}, {"Ref": topic_id})]


def test_the_export_runs_daily_and_is_invoked_asynchronously_with_retries_and_a_failure_destination(service):
    _, schedule = one(service, "AWS::Scheduler::Schedule", "CatalogExportFunctionSchedule")
    assert (schedule["Properties"]["ScheduleExpression"], schedule["Properties"]["State"]) == ("rate(1 day)", "ENABLED")
    (config,) = [c["Properties"] for lid, c in resources_of(service, "AWS::Lambda::EventInvokeConfig").items() if lid.startswith("CatalogExport")]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (2, 3600)
    assert config["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith("CatalogExportFunctionAsyncFailures")


@pytest.mark.parametrize(("prefix", "actions"), [
    ("CatalogExportFunction", ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]),
    ("ExportListingFunction", "elasticfilesystem:ClientMount"),
])
def test_the_export_mounts_read_write_and_the_listing_read_only(service, prefix, actions):
    _, function = one(service, "AWS::Lambda::Function", prefix, excluding="Hook")
    assert function["Properties"]["FileSystemConfigs"][0]["LocalMountPath"] == "/mnt/exports"
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    (mount,) = [s for p in resources_of(service, "AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
                for s in p["Properties"]["PolicyDocument"]["Statement"] if "elasticfilesystem" in json.dumps(s["Action"])]
    assert mount["Action"] == actions


def test_imports_are_written_by_the_api_and_the_worker_only(service):
    def writers_of(table_fragment):
        found = set()
        for policy in resources_of(service, "AWS::IAM::Policy").values():
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if "dynamodb:PutItem" in statement["Action"] and table_fragment in json.dumps(statement["Resource"]):
                    found.add(policy["Properties"]["Roles"][0]["Ref"].split("ExecutionRole")[0])
        return found

    assert writers_of("ImportsTable") == {"ProductFunction", "ImportWorkerFunction"}

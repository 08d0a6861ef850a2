"""make deploy-local, end to end: the real CDK CLI bootstraps, deploys and destroys a stage on moto.

Every assertion reads the state the run fetched back from the emulator's APIs (tables, functions,
aliases, API resources, what survived destroy), not what the script printed.
"""

from __future__ import annotations

import pytest

from services.product_catalog.definition import DEFINITION

FUNCTIONS = DEFINITION.functions
from tests.conftest import DEPLOYS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", params=DEPLOYS.STAGES)
def run(request) -> dict:
    result, state = DEPLOYS.result(request.param)  # started in the background when the session began
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return state


def function_of(state, prefix):
    (found,) = [f for lid, f in state["deployed"]["functions"].items() if lid.startswith(prefix) and "Hook" not in lid]
    return found


def product_function(state):
    return function_of(state, "ProductFunction")


def queue_of(state, prefix, excluding="DeadLetter"):
    (found,) = [q for lid, q in state["deployed"]["queues"].items() if lid.startswith(prefix) and excluding not in lid[len(prefix):]]
    return found


def hook_function(state):
    (found,) = [f for lid, f in state["deployed"]["functions"].items() if "PreTrafficHook" in lid]
    return found


def test_the_product_table_has_its_key_and_point_in_time_recovery(run):
    (table,) = [t for lid, t in run["deployed"]["tables"].items() if lid.startswith("ProductTable")]
    assert table["key_schema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["point_in_time_recovery"] == "ENABLED"


def test_every_function_has_a_role_of_its_own(run):
    functions = run["deployed"]["functions"]
    assert len(functions) == len(FUNCTIONS) + 1  # and the product API's pre-traffic hook
    assert all(f["role_shared_with"] == [] for f in functions.values())


def test_only_the_export_functions_mount_the_file_system(run):
    mounts = {lid.split("Function")[0]: [m["LocalMountPath"] for m in f["file_systems"]] for lid, f in run["deployed"]["functions"].items() if "Hook" not in lid}
    assert mounts == {"Product": [], "ImportWorker": [], "ProductEvents": [], "CatalogExport": ["/mnt/exports"], "ExportListing": ["/mnt/exports"]}


def test_an_import_message_received_5_times_goes_to_the_dead_letter_queue(run):
    imports, dead_letter = queue_of(run, "ImportsQueue"), queue_of(run, "ImportsQueueDeadLetter", excluding="#")
    assert imports["redrive"] == {"deadLetterTargetArn": dead_letter["arn"], "maxReceiveCount": 5}
    assert imports["visibility_timeout"] == 6 * 30  # six times the worker's timeout


def test_the_queue_and_stream_mappings_invoke_the_live_aliases(run):
    mappings = {m["EventSourceArn"]: m["FunctionArn"] for m in run["deployed"]["mappings"]}
    worker, publisher = function_of(run, "ImportWorkerFunction"), function_of(run, "ProductEventsFunction")
    assert mappings[queue_of(run, "ImportsQueue")["arn"]].endswith(f":{worker['name']}:live")
    (stream_arn,) = [arn for arn in mappings if ":dynamodb:" in arn]
    assert mappings[stream_arn].endswith(f":{publisher['name']}:live")


def test_the_example_subscriber_receives_only_filtered_events_from_its_topic_only(run):
    (topic,) = run["deployed"]["topics"].values()
    (subscription,) = topic["subscriptions"]
    subscriber = queue_of(run, "ProductEventsExampleSubscriber")
    assert (subscription["endpoint"], subscription["raw_message_delivery"]) == (subscriber["arn"], "true")
    assert subscription["filter_policy"] == {"event_type": ["ProductCreated", "ProductUpdated", "ProductDeleted"]}
    allowed = [s for s in subscriber["policy"]["Statement"] if s["Effect"] == "Allow"]
    assert [(s["Action"], s["Condition"]["ArnEquals"]["aws:SourceArn"]) for s in allowed] == [("sqs:SendMessage", topic["arn"])]


def test_queues_and_topics_are_encrypted_with_keys_of_the_emulator_in_prod_and_service_managed_keys_in_dev(run):
    deployed = run["deployed"]
    queues, topics = deployed["queues"].values(), deployed["topics"].values()
    if deployed["stage"] == "prod":  # data.customer_managed_key
        assert {q["kms_key"] for q in queues} | {t["kms_key"] for t in topics} <= set(deployed["kms_keys"])
        assert len({q["kms_key"] for q in queues}) == 1  # the Service stack's message key
        assert {t["kms_key"] for t in topics}.isdisjoint(q["kms_key"] for q in queues)  # the data key
    else:
        assert [(q["kms_key"], q["sqs_managed_sse"]) for q in queues] == [(None, "true")] * len(queues)
        assert [t["kms_key"].rsplit(":", 1)[-1] for t in topics] == ["alias/aws/sns"] * len(topics)


def test_the_export_runs_daily_through_its_alias_asynchronously_with_retries(run):
    (schedule,) = run["deployed"]["schedules"].values()
    export = function_of(run, "CatalogExportFunction")
    assert (schedule["expression"], schedule["state"]) == ("rate(1 day)", "ENABLED")
    assert schedule["target"].endswith(f":{export['name']}:live") and schedule["dead_letter"]
    (config,) = [c for lid, configs in run["deployed"]["async_configs"].items() if lid.startswith("CatalogExport") for c in configs]
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (2, 3600)
    assert config["DestinationConfig"]["OnFailure"]["Destination"].startswith("arn:aws:sqs:")


def test_the_product_function_runs_in_private_subnets_without_a_mount(run):
    function = product_function(run)
    assert (function["runtime"], function["architectures"]) == ("python3.13", ["arm64"])
    assert len(function["subnets"]) == (2 if run["stage"] == "dev" else 3)
    assert function["file_systems"] == []


def test_the_live_alias_points_at_a_published_version(run):
    aliases = product_function(run)["aliases"]
    assert list(aliases) == ["live"] and aliases["live"] not in ("$LATEST", "")


def test_the_hook_checks_the_version_the_alias_was_deployed_with(run):
    product, hook = product_function(run), hook_function(run)
    assert hook["environment"]["TARGET_VERSION_ARN"].endswith(f":{product['name']}:{product['aliases']['live']}")
    assert hook["subnets"] == []


def test_the_hook_invoked_that_version_and_reported_success(run):
    hook_run = run["deployed"]["traffic_hook"]
    assert hook_run["invoked"] == [hook_function(run)["environment"]["TARGET_VERSION_ARN"]]
    assert [(r["deploymentId"], r["status"]) for r in hook_run["reports"]] == [("d-LOCAL", "Succeeded")]


def test_the_api_has_exactly_the_declared_routes(run):
    assert run["deployed"]["api_routes"] == sorted([r.method, r.path] for d in FUNCTIONS for r in d.api_routes)


def test_the_handler_does_crud_against_the_deployed_table(run):
    assert run["deployed"]["crud_statuses"] == [201, 200, 200, 204, 404]


def test_destroy_keeps_the_retained_table_and_file_system(run):
    destroyed = run["destroyed"]
    assert f"{run['stage']}-Service" not in destroyed["live_stacks"]
    assert any(name.startswith("product") for name in destroyed["tables"])
    assert destroyed["file_systems"] == 1


def test_destroy_stops_at_a_termination_protected_stack(run):
    protected = run["protected"][f"{run['stage']}-Stateful"]
    assert protected is (run["stage"] == "prod")
    assert (f"{run['stage']}-Stateful" in run["destroyed"]["live_stacks"]) is protected


def test_the_alarm_topic_exists_with_the_stages_subscriptions(run):
    from devtools.synth import cdk_context

    monitoring = run["deployed"]["monitoring"]
    emails = cdk_context()["stages"][run["stage"]]["alarms"]["emails"]
    assert monitoring["topic_arn"].endswith(f":{run['stage']}-{DEFINITION.name}-alarms")
    assert monitoring["subscriptions"] == [{"protocol": "email", "endpoint": email} for email in emails]


def test_every_deployed_alarm_tells_the_topic_on_alarm_and_on_ok(run):
    monitoring = run["deployed"]["monitoring"]
    assert len(monitoring["alarms"]) == monitoring["alarm_count"] > 20
    topic = monitoring["topic_arn"]
    assert all(alarm == {"alarm_actions": [topic], "ok_actions": [topic]} for alarm in monitoring["alarms"].values())


def test_the_stage_dashboard_is_deployed(run):
    assert run["deployed"]["monitoring"]["dashboards"] == [f"{run['stage']}-{DEFINITION.name}"]

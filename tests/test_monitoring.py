"""Operations: the alarms operators expect for every declared resource, and a dashboard per function stack.

Checked over every synthesized stage: dev and prod, the generated stage ("gen": every trigger kind, with
alarm kinds turned off and thresholds set in its configuration) and the orders service (a group stack).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from stacks.declared import pascal
from tests.conftest import logical_id_of, resources_of

ALARM = "AWS::CloudWatch::Alarm"


@pytest.fixture(scope="module")
def stages() -> dict[str, tuple[Any, Any]]:
    """Each synthesized stage's (definition, configuration)."""
    from devtools.synth import cdk_context
    from services.product_catalog.definition import DEFINITION
    from stacks.config import load_stages, parse_stage
    from stacks.service_definition import ServiceDefinition
    from tests.fixtures.orders.definition import ORDERS
    from tests.generated_stage import (
        GENERATED,
        ORDERS_STAGE,
        STAGE,
        generated_stage_settings,
        orders_stage_config,
    )

    context = cdk_context()["stages"]
    generated = ServiceDefinition(**{**dict(DEFINITION), "functions": DEFINITION.functions + GENERATED})
    configured = load_stages(context)
    return {
        "dev": (DEFINITION, configured["dev"]),
        "prod": (DEFINITION, configured["prod"]),
        STAGE: (generated, parse_stage(STAGE, generated_stage_settings(context["dev"]))),
        ORDERS_STAGE: (ORDERS, orders_stage_config()),
    }


@pytest.fixture(scope="module")
def all_templates(synthesized) -> dict[str, dict[str, Any]]:
    return {**synthesized.templates, **synthesized.generated.templates}


def stack_of(stage: str, declaration: Any) -> str:
    return f"{stage}/{pascal(declaration.group)}Functions" if declaration.group else f"{stage}/Service"


def alarm(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][logical_id_of(template, f"Monitoring{name}", ALARM)]["Properties"]


def has_alarm(template: dict[str, Any], name: str) -> bool:
    return any(lid[:-8] == f"Monitoring{name}" for lid in resources_of(template, ALARM))


def metric_of(properties: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(metric name, dimensions) of a single-metric alarm."""
    return properties["MetricName"], {d["Name"]: d["Value"] for d in properties["Dimensions"]}


def dashboard_body(template: dict[str, Any]) -> str:
    """The dashboard's body with each reference written as its JSON (``{"Ref": "..."}``)."""
    (dashboard,) = resources_of(template, "AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return "".join(part if isinstance(part, str) else json.dumps(part, sort_keys=True) for part in parts)


def test_every_function_alarms_when_its_p90_duration_nears_its_timeout(stages, all_templates):
    checked = 0
    for stage, (definition, config) in stages.items():
        for declaration in definition.functions:
            template = all_templates[stack_of(stage, declaration)]
            settings = config.function_settings(declaration.name, declaration.settings)
            percent = settings.alarm_duration_percent_of_timeout or config.alarms.thresholds.duration_percent_of_timeout
            properties = alarm(template, f"{declaration.construct_id}DurationAlarm")
            name, dimensions = metric_of(properties)
            assert (name, properties["ExtendedStatistic"]) == ("Duration", "p90")
            assert dimensions == {"FunctionName": {"Ref": logical_id_of(template, declaration.construct_id, "AWS::Lambda::Function")}}
            assert properties["Threshold"] == settings.timeout_seconds * 1000 * percent / 100, (stage, declaration.name)
            # One period of 15 minutes: a function invoked once a day still has a datapoint to breach.
            assert (properties["EvaluationPeriods"], properties["Period"]) == (1, 900)
            checked += 1
    assert checked >= 20


def test_a_function_setting_overrides_the_stages_duration_share(all_templates):
    # tests/generated_stage.py: nightly (timeout 60 s) at 75 % instead of the stage's 90 %.
    assert alarm(all_templates["gen/Service"], "NightlyFunctionDurationAlarm")["Threshold"] == 45_000


def test_functions_invoked_asynchronously_alarm_on_dropped_events_and_failed_deliveries(stages, all_templates):
    asynchronous = [(stage, d) for stage, (definition, _) in stages.items() for d in definition.functions if d.invoked_asynchronously]
    assert {d.name for _, d in asynchronous} >= {"catalog-export", "nightly", "hourly"}
    for stage, declaration in asynchronous:
        template = all_templates[stack_of(stage, declaration)]
        for metric in ("AsyncEventsDropped", "DestinationDeliveryFailures"):
            properties = alarm(template, f"{declaration.construct_id}{metric}Alarm")
            assert metric_of(properties)[0] == metric
            assert (properties["Threshold"], properties["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    synchronous = next(d for d in stages["prod"][0].functions if d.name == "product")
    assert not has_alarm(all_templates["prod/Service"], f"{synchronous.construct_id}AsyncEventsDroppedAlarm")


def test_stream_consumers_alarm_when_they_fall_behind_their_stream(stages, all_templates):
    consumers = [(stage, d) for stage, (definition, _) in stages.items() for d in definition.functions
                 if any(t.streamed_table() for t in d.triggers)]
    assert {d.name for _, d in consumers} >= {"product-events", "product-audit"}
    for stage, declaration in consumers:
        properties = alarm(all_templates[stack_of(stage, declaration)], f"{declaration.construct_id}IteratorAgeAlarm")
        assert (metric_of(properties)[0], properties["Statistic"]) == ("IteratorAge", "Maximum")
        assert properties["Threshold"] == stages[stage][1].alarms.thresholds.iterator_age_seconds * 1000
    assert stages["gen"][1].alarms.thresholds.iterator_age_seconds == 120  # the stage's own setting, in use above


def test_every_queue_a_function_consumes_alarms_on_its_oldest_message_within_the_time_its_consumer_has(stages, all_templates):
    checked = unwatched = 0
    for name, template in all_templates.items():
        stage = name.split("/")[0]
        definition, config = stages[stage]
        consumed = {t.consumed_queue() for d in definition.functions for t in d.triggers}
        others = tuple(f"{pascal(s.queue)}Subscriber" for s in definition.subscriptions if s.queue not in consumed)
        alarms = resources_of(template, ALARM).values()
        for lid, queue in resources_of(template, "AWS::SQS::Queue").items():
            redrive = queue["Properties"].get("RedrivePolicy")
            if redrive is None:  # a dead-letter or failure queue: its not-empty alarm is the one that matters
                continue
            ages = [a["Properties"] for a in alarms if a["Properties"].get("MetricName") == "ApproximateAgeOfOldestMessage"
                    and a["Properties"]["Dimensions"][0]["Value"] == {"Fn::GetAtt": [lid, "QueueName"]}]
            if lid.startswith(others):  # another team's subscriber queue: its age is theirs to watch
                assert ages == [], (name, lid)
                unwatched += 1
                continue
            (age,) = ages
            expected = config.alarms.thresholds.queue_age_seconds or queue["Properties"]["VisibilityTimeout"] * redrive["maxReceiveCount"]
            assert age["Threshold"] == expected, (name, lid)
            checked += 1
    assert checked >= 5 and unwatched >= 2  # imports, gen's bulk queue, orders' queue; the example subscriber


def test_every_table_and_each_index_alarms_on_throttles_and_the_service_stack_on_system_errors(stages, all_templates):
    for stage, (definition, config) in stages.items():
        template = all_templates[f"{stage}/Service"]
        for table in definition.tables:
            for index in (None, *(i.name for i in table.indexes)):
                properties = alarm(template, f"{pascal(table.name)}{pascal(index) if index else ''}ThrottlesAlarm")
                names = sorted(m["MetricStat"]["Metric"]["MetricName"] for m in properties["Metrics"] if "MetricStat" in m)
                assert names == ["ReadThrottleEvents", "WriteThrottleEvents"]
                assert properties["Threshold"] == config.alarms.thresholds.table_throttled_requests
            assert has_alarm(template, f"{pascal(table.name)}SystemErrorsAlarm") == config.alarms.has("table_errors")
    assert any(table.indexes for table in stages["orders-dev"][0].tables)  # an index was checked


def test_system_errors_are_summed_over_at_most_the_ten_metrics_an_alarm_may_evaluate(all_templates):
    properties = alarm(all_templates["prod/Service"], "ProductSystemErrorsAlarm")
    operations = [m for m in properties["Metrics"] if "MetricStat" in m]
    assert len(operations) == 10
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in operations} == {"SystemErrors"}
    assert len({str(m["MetricStat"]["Metric"]["Dimensions"]) for m in operations}) == 10  # one per operation


def test_table_sums_count_an_operation_that_published_nothing_as_zero(all_templates):
    # DynamoDB publishes throttles and system errors only for periods that had some: a plain sum of a
    # metric with data and one without has no value, and the alarm would never fire.
    template = all_templates["prod/Service"]
    for name in ("ProductSystemErrorsAlarm", "ProductThrottlesAlarm"):
        properties = alarm(template, name)
        (expression,) = [m["Expression"] for m in properties["Metrics"] if "Expression" in m]
        ids = [m["Id"] for m in properties["Metrics"] if "MetricStat" in m]
        assert expression == " + ".join(f"FILL({i}, 0)" for i in ids), (name, expression)


def test_stream_consumers_alarm_when_lambda_cannot_write_a_failed_batch_to_their_failure_queue(stages, all_templates):
    for stage, (definition, _) in stages.items():
        for declaration in definition.functions:
            if any(t.streamed_table() for t in declaration.triggers):
                properties = alarm(all_templates[stack_of(stage, declaration)], f"{declaration.construct_id}DestinationDeliveryFailuresAlarm")
                assert metric_of(properties)[0] == "DestinationDeliveryFailures"


def test_the_api_alarms_on_p90_latency_and_on_a_share_of_4xx_far_above_normal(all_templates):
    prod = all_templates["prod/Service"]
    latency = alarm(prod, "ApiLatencyAlarm")
    assert (metric_of(latency)[0], latency["ExtendedStatistic"], latency["Threshold"]) == ("Latency", "p90", 2500)
    client_errors = alarm(prod, "ApiClientErrorRateAlarm")
    (expression,) = [m["Expression"] for m in client_errors["Metrics"] if "Expression" in m]
    assert expression == "IF(requests >= 50, errors / requests, 0)"
    assert client_errors["Threshold"] == 0.25


def test_a_stage_can_turn_an_alarm_kind_off_and_set_its_thresholds(all_templates):
    gen = all_templates["gen/Service"]
    assert not has_alarm(gen, "ApiClientErrorRateAlarm")  # alarms.off: api_4xx
    assert alarm(gen, "ApiLatencyAlarm")["Threshold"] == 1000


def test_the_file_system_alarms_on_its_io_limit_and_when_bursting_on_its_credits(all_templates):
    prod, gen = all_templates["prod/Service"], all_templates["gen/Service"]
    assert metric_of(alarm(prod, "FileSystemIoLimitAlarm"))[0] == "PercentIOLimit"
    assert not has_alarm(prod, "FileSystemBurstCreditsAlarm")  # elastic throughput has no credits
    credits = alarm(gen, "FileSystemBurstCreditsAlarm")  # gen's file system bursts
    assert (metric_of(credits)[0], credits["ComparisonOperator"], credits["Threshold"]) == ("BurstCreditBalance", "LessThanThreshold", 350 * 1024**3)


def test_every_alarm_decides_what_missing_data_means_and_says_what_it_watches(all_templates):
    for name, template in all_templates.items():
        for lid, resource in resources_of(template, ALARM).items():
            properties = resource["Properties"]
            assert properties.get("TreatMissingData") in ("notBreaching", "missing", "breaching"), (name, lid)
            assert properties.get("AlarmDescription"), (name, lid)


def test_every_function_stack_has_a_dashboard_showing_each_of_its_functions_and_queues(stages, all_templates):
    for stage, (definition, _) in stages.items():
        stacks = {stack_of(stage, d) for d in definition.functions}
        for stack in stacks:
            template, body = all_templates[stack], dashboard_body(all_templates[stack])
            for declaration in (d for d in definition.functions if stack_of(stage, d) == stack):
                function = logical_id_of(template, declaration.construct_id, "AWS::Lambda::Function")
                assert json.dumps({"Ref": function}) in body, (stack, declaration.name)
                if any(t.streamed_table() for t in declaration.triggers):
                    assert "IteratorAge" in body
            for lid, queue in resources_of(template, "AWS::SQS::Queue").items():
                if "RedrivePolicy" in queue["Properties"]:
                    dead_letter = queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                    for shown in (lid, dead_letter):
                        assert json.dumps({"Fn::GetAtt": [shown, "QueueName"]}, sort_keys=True) in body, (stack, shown)


def test_the_service_dashboard_shows_the_api_and_every_table(stages, all_templates):
    for stage, (definition, config) in stages.items():
        body = dashboard_body(all_templates[f"{stage}/Service"])
        assert f'"ApiName\\",\\"{stage}-Service-{definition.api.construct_id}\\"' in json.dumps(body)
        for table in definition.tables:
            assert f"table {table.name}: throttle events" in body


def test_each_function_stacks_dashboard_url_is_an_output_naming_its_stage(stages, all_templates):
    for stage, (definition, _) in stages.items():
        for stack in {stack_of(stage, d) for d in definition.functions}:
            url = all_templates[stack]["Outputs"]["DashboardUrl"]["Value"]
            assert url.startswith("https://") and f"#dashboards/dashboard/{stage}-{definition.name}" in url


def test_a_dashboard_holds_at_most_cloudwatchs_500_widgets():
    from aws_cdk import App, Stack
    from catalog_constructs.errors import InvalidPropError
    from catalog_constructs.service_dashboard import ServiceDashboard

    dashboard = ServiceDashboard(Stack(App(), "S"), "D", dashboard_name="d", description="x")
    with pytest.raises(InvalidPropError, match="dashboard d: 502 is not allowed; expected at most 500 widgets"):
        for index in range(200):
            dashboard.add_api(title=f"api{index}", api_name="a", stage_name="s")
    assert dashboard.widget_count == 499  # the title and 166 rows of 3; the 167th would make 502


def test_a_stage_without_dashboards_has_no_dashboard_and_no_url():
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from stacks.config import AlarmsConfig
    from stacks.stack_monitoring import StackMonitoring

    stack = Stack(App(), "S")
    monitoring = StackMonitoring(stack, "M", config=AlarmsConfig(notify_nobody=True, dashboards=False), dashboard_name="d", description="x")
    monitoring.watch_api(title="a", api_name="a", stage_name="s")
    monitoring.finish(other_alarms=[])
    template = Template.from_stack(stack).to_json()
    assert resources_of(template, "AWS::CloudWatch::Dashboard") == {}
    assert "Outputs" not in template
    assert len(resources_of(template, ALARM)) == 2  # the API's alarms still exist


def test_the_readme_says_what_each_alarm_kind_means_and_what_to_do_first():
    from devtools.synth import ROOT
    from stacks.config import ALARM_KINDS

    readme = (ROOT / "README.md").read_text()
    for kind in ALARM_KINDS:
        assert f"(`{kind}`) |" in readme, kind


def test_the_readmes_cost_table_is_what_make_review_counts_in_the_snapshots():
    from devtools.review import snapshots
    from devtools.review.monitoring_cost import monitoring_costs
    from devtools.synth import ROOT

    readme = (ROOT / "README.md").read_text()
    for cost in monitoring_costs(snapshots.load_snapshots()):
        assert f"| {cost.stage} | {cost.alarms} | {cost.alarm_metrics} | {cost.dashboards} | {cost.usd_per_month:.2f} |" in readme


def test_each_function_stack_saves_the_log_queries_over_every_one_of_its_functions(stages, all_templates):
    for stage, (definition, _) in stages.items():
        for stack in {stack_of(stage, d) for d in definition.functions}:
            template = all_templates[stack]
            group = stack.split("/")[1].removesuffix("Functions") if not stack.endswith("/Service") else None
            queries = resources_of(template, "AWS::Logs::QueryDefinition").values()
            folders = {q["Properties"]["Name"].rsplit("/", 1)[0] for q in queries}
            assert len(folders) == 1 and folders.pop().startswith(f"{definition.name}/{stage}"), (stack, group)
            functions = [logical_id_of(template, d.construct_id, "AWS::Lambda::Function")
                         for d in definition.functions if stack_of(stage, d) == stack]
            log_groups = {str(template["Resources"][f]["Properties"]["LoggingConfig"]["LogGroup"]) for f in functions}
            for query in queries:
                assert {str(name) for name in query["Properties"]["LogGroupNames"]} == log_groups, (stack, query["Properties"]["Name"])
            assert len(queries) == 4


def test_each_stack_with_scheduler_schedules_has_its_own_group_whose_errors_and_lost_invocations_alarm(all_templates):
    for stack in ("prod/Service", "gen/Service"):
        template = all_templates[stack]
        (group_id, group), = resources_of(template, "AWS::Scheduler::ScheduleGroup").items()
        name = group["Properties"]["Name"]
        assert name == f"{stack.split('/')[0]}-product-catalog"
        for schedule_id, schedule in resources_of(template, "AWS::Scheduler::Schedule").items():
            assert schedule["Properties"]["GroupName"] == name and group_id in schedule["DependsOn"], schedule_id
        errors = alarm(template, "ScheduleTargetErrorsAlarm")
        assert (metric_of(errors)[0], metric_of(errors)[1]) == ("TargetErrorCount", {"ScheduleGroup": name})
        lost = alarm(template, "ScheduleDroppedAlarm")
        assert sorted(m["MetricStat"]["Metric"]["MetricName"] for m in lost["Metrics"] if "MetricStat" in m) == [
            "InvocationDroppedCount", "InvocationsFailedToBeSentToDeadLetterCount"]


def test_a_rule_schedule_alarms_on_invocations_it_lost(all_templates):
    template = all_templates["gen/Service"]  # hourly: service="rule"
    rule = logical_id_of(template, "HourlyFunctionSchedule", "AWS::Events::Rule")
    lost = alarm(template, "HourlyFunctionScheduleDroppedAlarm")
    metrics = {m["MetricStat"]["Metric"]["MetricName"]: m["MetricStat"]["Metric"]["Dimensions"] for m in lost["Metrics"] if "MetricStat" in m}
    assert metrics == {name: [{"Name": "RuleName", "Value": {"Ref": rule}}] for name in ("FailedInvocations", "InvocationsFailedToBeSentToDlq")}

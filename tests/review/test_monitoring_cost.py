"""make review counts each stage's alarms and dashboards and what they cost a month."""

from __future__ import annotations

import copy

from devtools.review import snapshots
from devtools.review.monitoring_cost import billed_metrics, cost_markdown, monitoring_costs

# (alarms, billed metrics), counted from the declarations: dev has 5 functions x (errors, throttles,
# duration) + the API's 5XX + async (dropped, delivery) + stream (iterator age, delivery) + the imports
# queue's age + 5 dead-letter/failure queues + API latency + 3 tables' throttles (2 metrics each) + the
# file system + the schedule group's target errors and lost invocations (2 metrics) + the undelivered
# notifications = 34 alarms on 38 metrics; prod adds the API's 4XX share (2 metrics) and 3 tables'
# system errors (10 each).
DEV, PROD = (34, 38), (38, 70)


def alarm(metrics=None):
    properties = {"MetricName": "Errors"} if metrics is None else {"Metrics": metrics}
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}


def test_a_single_metric_alarm_is_billed_for_one_metric_and_a_math_alarm_for_each_it_reads():
    assert billed_metrics(alarm()) == 1
    math = [{"Id": "e", "Expression": "a + b"}, {"Id": "a", "MetricStat": {}}, {"Id": "b", "MetricStat": {}}]
    assert billed_metrics(alarm(math)) == 2


def test_costs_count_every_alarm_and_dashboard_of_a_stage_across_its_stacks():
    templates = {
        "s/One": {"Resources": {"A": alarm(), "B": alarm([{"Id": "a", "MetricStat": {}}] * 3)}},
        "s/Two": {"Resources": {"D": {"Type": "AWS::CloudWatch::Dashboard"}, **{f"D{i}": {"Type": "AWS::CloudWatch::Dashboard"} for i in range(4)}}},
    }
    (cost,) = monitoring_costs(templates)
    assert (cost.stage, cost.alarms, cost.alarm_metrics, cost.dashboards) == ("s", 2, 4, 5)
    assert round(cost.usd_per_month, 2) == 0.40 + 2 * 3.00  # two dashboards beyond the free three


def test_the_committed_stages_costs_match_their_snapshots():
    committed = snapshots.load_snapshots()
    costs = {cost.stage: cost for cost in monitoring_costs(committed)}
    for stage in ("dev", "prod"):
        alarms = sum(1 for name, t in committed.items() if name.startswith(f"{stage}/")
                     for r in t["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm")
        assert costs[stage].alarms == alarms
    # Counted by hand from the snapshots: dev turns table system errors (10 metrics a table) and the
    # API's 4XX share (2) off. A new alarm changes these on purpose, with the README's cost table.
    assert (costs["dev"].alarms, costs["dev"].alarm_metrics) == DEV
    assert (costs["prod"].alarms, costs["prod"].alarm_metrics) == PROD


def test_the_review_shows_what_a_stage_cost_at_the_base_when_it_changed():
    committed = snapshots.load_snapshots()
    current = copy.deepcopy(committed)
    current["dev/Service"]["Resources"]["ExtraAlarm"] = alarm()
    (dev_line,) = [line for line in cost_markdown(committed, current) if line.startswith("| dev |")]
    before = {cost.stage: cost for cost in monitoring_costs(committed)}["dev"]
    assert dev_line.endswith(f"| {before.alarms} alarms, {before.usd_per_month:.2f} |")
    (prod_line,) = [line for line in cost_markdown(committed, current) if line.startswith("| prod |")]
    assert prod_line.endswith("| same |")

"""What a stage's alarms and dashboards cost a month, counted from its templates.

CloudWatch bills a standard-resolution alarm per metric it evaluates (a metric-math alarm pays for
each metric in its expression) and a dashboard per month beyond the account's first three. The prices
are us-east-1 list prices: other regions differ by a few percent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

USD_PER_ALARM_METRIC = 0.10
USD_PER_DASHBOARD = 3.00
FREE_DASHBOARDS = 3


@dataclass(frozen=True)
class MonitoringCost:
    """One stage's alarms, the metrics they are billed for, and its dashboards."""

    stage: str
    alarms: int
    alarm_metrics: int
    dashboards: int

    @property
    def usd_per_month(self) -> float:
        """Alarms plus dashboards, as if the account had no other dashboard (its first three are free)."""
        return self.alarm_metrics * USD_PER_ALARM_METRIC + max(0, self.dashboards - FREE_DASHBOARDS) * USD_PER_DASHBOARD

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "alarms": self.alarms, "alarm_metrics": self.alarm_metrics,
                "dashboards": self.dashboards, "usd_per_month": round(self.usd_per_month, 2)}


def billed_metrics(alarm: Mapping[str, Any]) -> int:
    """The metrics an alarm is billed for: one, or each metric a metric-math alarm reads."""
    metrics = alarm["Properties"].get("Metrics")
    return 1 if metrics is None else sum(1 for query in metrics if "MetricStat" in query)


def monitoring_costs(templates: Mapping[str, Mapping[str, Any]]) -> list[MonitoringCost]:
    """Per stage (``<stage>/<stack>`` names, nested templates included), sorted by stage."""
    counts: dict[str, list[int]] = {}
    for name, template in templates.items():
        stage = name.split("/", 1)[0]
        totals = counts.setdefault(stage, [0, 0, 0])
        for resource in template.get("Resources", {}).values():
            if resource.get("Type") == "AWS::CloudWatch::Alarm":
                totals[0] += 1
                totals[1] += billed_metrics(resource)
            elif resource.get("Type") == "AWS::CloudWatch::Dashboard":
                totals[2] += 1
    return [MonitoringCost(stage, *totals) for stage, totals in sorted(counts.items())]


def cost_markdown(base: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The review's Monitoring section: each stage's alarm count and monthly cost, now and at the base."""
    before = {cost.stage: cost for cost in monitoring_costs(base)}
    lines = [
        "## Monitoring cost", "",
        "| stage | alarms | alarm metrics billed | dashboards | USD per month | at the base |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for cost in monitoring_costs(current):
        old = before.get(cost.stage)
        was = "new stage" if old is None else "same" if old == cost else f"{old.alarms} alarms, {old.usd_per_month:.2f}"
        lines.append(f"| {cost.stage} | {cost.alarms} | {cost.alarm_metrics} | {cost.dashboards} | {cost.usd_per_month:.2f} | {was} |")
    return lines + ["", (f"USD {USD_PER_ALARM_METRIC:.2f} per alarm metric and {USD_PER_DASHBOARD:.2f} per dashboard "
                         f"beyond an account's first {FREE_DASHBOARDS} (us-east-1 list prices)."), ""]

"""make bench's monitoring section reads templates as CloudFormation gets them (bench/monitoring.py)."""

from __future__ import annotations

import json

from bench import monitoring


def _dashboard(*parts: object) -> dict[str, object]:
    return {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": {"Fn::Join": ["", list(parts)]}}}


def test_widgets_are_counted_in_a_body_joined_with_cross_stack_references():
    reference = {"Fn::GetStackOutput": {"StackName": "dev-Functions", "OutputName": "FunctionName"}}
    body = _dashboard('{"widgets":[{"type":"text","properties":{"markdown":"', reference,
                      '"}},{"type":"metric","properties":{"metrics":[["AWS/Lambda","Errors","FunctionName","', reference,
                      '"]]}}]}')

    assert monitoring.widgets(body) == 2


def test_widgets_are_counted_in_a_literal_body():
    body = {"Properties": {"DashboardBody": json.dumps({"widgets": [{"type": "metric"}] * 3}, separators=(",", ":"))}}

    assert monitoring.widgets(body) == 3


def test_the_section_says_it_is_skipped_when_the_library_is_not_installed(monkeypatch):
    monkeypatch.setattr(monitoring, "library_installed", lambda: False)

    assert "not installed" in monitoring.monitoring_figures((26,), 1, {})["skipped"]

"""SavedLogQueries: the saved Logs Insights queries of a stage, split so that none names more than 50 log groups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_logs as logs
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.log_insights_queries import (
    CORRELATION_ID_PLACEHOLDER,
    DEFAULT_QUERIES,
    MAX_LOG_GROUPS_PER_QUERY,
    LogQuery,
    SavedLogQueries,
)

MANY = 120  # a service of 120 functions: three parts of at most 50 log groups per query


def definitions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {lid: r["Properties"] for lid, r in template["Resources"].items() if r["Type"] == "AWS::Logs::QueryDefinition"}


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory) -> dict[str, Any]:
    """Two stacks: 3 log groups of the stack's own, and MANY imported by name; cdk-nag on."""
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    app = App(outdir=str(tmp_path_factory.mktemp("queries")))
    few = Stack(app, "Few")
    SavedLogQueries(
        few, "Queries", folder="svc/dev",
        log_groups=[logs.LogGroup(few, f"Group{i}", retention=logs.RetentionDays.ONE_WEEK) for i in range(3)],
    )
    many = Stack(app, "Many")
    SavedLogQueries(
        many, "Queries", folder="svc/prod",
        log_groups=[logs.LogGroup.from_log_group_name(many, f"Group{i}", f"/svc/prod/functions/f{i:03d}") for i in range(MANY)],
    )
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    assembly = app.synth()
    return {
        "few": assembly.get_stack_by_name("Few").template,
        "many": assembly.get_stack_by_name("Many").template,
        "report": Path(assembly.directory) / "validation-report.json",
    }


def test_each_query_is_saved_once_in_the_folder_when_the_log_groups_fit(synthesized):
    names = sorted(p["Name"] for p in definitions(synthesized["few"]).values())
    assert names == sorted(f"svc/dev/{q.name}" for q in DEFAULT_QUERIES)
    assert names == [
        "svc/dev/cold-starts", "svc/dev/errors-by-function", "svc/dev/requests-for-a-correlation-id", "svc/dev/slowest-requests",
    ]


def test_every_query_runs_over_every_log_group(synthesized):
    groups = {lid for lid, r in synthesized["few"]["Resources"].items() if r["Type"] == "AWS::Logs::LogGroup"}
    for properties in definitions(synthesized["few"]).values():
        assert {ref["Ref"] for ref in properties["LogGroupNames"]} == groups


def test_many_log_groups_are_split_into_parts_of_at_most_50(synthesized):
    saved = definitions(synthesized["many"])
    assert len(saved) == len(DEFAULT_QUERIES) * 3
    assert all(len(p["LogGroupNames"]) <= MAX_LOG_GROUPS_PER_QUERY for p in saved.values())
    for query in DEFAULT_QUERIES:
        parts = sorted((p for p in saved.values() if p["Name"].startswith(f"svc/prod/{query.name}/")), key=lambda p: p["Name"])
        assert [p["Name"] for p in parts] == [f"svc/prod/{query.name}/part-{n}" for n in (1, 2, 3)]
        covered = [name for part in parts for name in part["LogGroupNames"]]
        assert covered == [f"/svc/prod/functions/f{i:03d}" for i in range(MANY)]  # each once, in order


def test_the_first_part_keeps_the_logical_id_of_the_unsplit_query(synthesized):
    few = {lid for lid in definitions(synthesized["few"]) if "ErrorsByFunction" in lid}
    many = {lid for lid in definitions(synthesized["many"]) if "ErrorsByFunction" in lid}
    assert few <= many and len(many) == 3


def test_the_queries_read_the_powertools_fields_and_lambdas_reports(synthesized):
    texts = {p["Name"].rsplit("/", 1)[1]: p["QueryString"] for p in definitions(synthesized["few"]).values()}
    assert 'level in ["ERROR", "CRITICAL"]' in texts["errors-by-function"] and "correlation_id" in texts["errors-by-function"]
    assert "record.metrics.durationMs" in texts["slowest-requests"] and "@duration" in texts["slowest-requests"]
    assert texts["requests-for-a-correlation-id"].count(CORRELATION_ID_PLACEHOLDER) == 1  # one place to edit
    assert "record.metrics.initDurationMs" in texts["cold-starts"]


def test_cdk_nag_reports_nothing(synthesized):
    report = json.loads(synthesized["report"].read_text())  # a plugin with findings is listed with them
    assert [v for plugin in report["pluginReports"] for v in plugin.get("violations", [])] == []


def test_cfn_lint_reports_no_error_or_warning(synthesized):
    from cfnlint.api import lint_all

    findings = [str(m) for m in lint_all(json.dumps(synthesized["many"])) if m.rule.id[0] in "EW"]
    assert findings == []


@pytest.mark.parametrize(
    ("props", "field"),
    [
        ({"folder": "/svc/dev"}, "folder"),
        ({"folder": "svc dev"}, "folder"),
        ({"folder": "s" * 220}, "folder"),
        ({"log_groups": []}, "log_groups"),
        ({"log_groups_per_query": 51}, "log_groups_per_query"),
        ({"log_groups_per_query": 0}, "log_groups_per_query"),
        ({"queries": ()}, "queries"),
        ({"queries": (DEFAULT_QUERIES[0], DEFAULT_QUERIES[0])}, "queries.name"),
        ({"queries": (LogQuery(name="Errors!", query_string=logs.QueryString(fields=["@message"])),)}, "queries.name"),
    ],
)
def test_invalid_props_fail_with_one_line_naming_the_field(props, field):
    stack = Stack(App(), "Invalid")
    group = logs.LogGroup.from_log_group_name(stack, "Group", "/svc/dev/functions/f")
    with pytest.raises(InvalidPropError) as raised:
        SavedLogQueries(stack, "Queries", **{"folder": "svc/dev", "log_groups": [group], **props})
    assert raised.value.field == field and "\n" not in str(raised.value)

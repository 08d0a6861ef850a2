"""Budgets: a stack that would cross a CloudFormation limit fails synth with one line, before CloudFormation would."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stacks import budgets
from tests.conftest import ROOT, cdk_context


def test_the_app_stops_with_one_line_when_a_stack_would_hold_too_many_resources(tmp_path):
    # A limit the app sets lower is kept (stacks/service_stage.py): the dev Service stack holds ~120.
    context = {**cdk_context(), "stage": "dev", "nag": False, budgets.STACK_RESOURCE_LIMIT_CONTEXT: 100}
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": str(tmp_path)}
    result = subprocess.run([sys.executable, str(ROOT / "app.py")], env=env, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 4, result.stderr[-2000:]
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("budget: stack dev/Service would hold ")
    assert "over the budget of 100" in line and "FunctionDeclaration.group" in line


def test_a_stage_never_allows_more_than_the_budget():
    from aws_cdk import App

    from stacks.service_stage import ServiceStage
    from tests.fixtures.orders.definition import ORDERS
    from tests.generated_stage import orders_stage_config

    app = App(context={budgets.STACK_RESOURCE_LIMIT_CONTEXT: 500})
    stage = ServiceStage(app, definition=ORDERS, config=orders_stage_config())
    assert stage.node.try_get_context(budgets.STACK_RESOURCE_LIMIT_CONTEXT) == budgets.RESOURCES_PER_TEMPLATE


def test_other_synth_errors_are_not_mistaken_for_a_budget():
    assert budgets.resource_budget_error("ValidationFailed: something else") is None


def write_assembly(directory, templates):
    """A minimal cloud assembly: one stack whose nested stacks are listed as its assets."""
    directory.mkdir()
    (directory / "Top.template.json").write_text(json.dumps(templates["Top"]))
    files = {}
    for name, template in templates.items():
        if name != "Top":
            (directory / f"{name}.nested.template.json").write_text(json.dumps(template))
            files[name] = {"source": {"path": f"{name}.nested.template.json"}}
    (directory / "Top.assets.json").write_text(json.dumps({"files": files}))
    (directory / "manifest.json").write_text(json.dumps({"artifacts": {"Top": {
        "type": "aws:cloudformation:stack", "displayName": "dev/Top", "properties": {"templateFile": "Top.template.json"},
    }}}))
    return directory


def resources(count, resource_type="AWS::SQS::Queue", **properties):
    return {f"R{i}": {"Type": resource_type, "Properties": dict(properties)} for i in range(count)}


def test_an_assembly_inside_the_budgets_has_no_finding(tmp_path):
    write_assembly(tmp_path / "a", {"Top": {"Resources": resources(10)}, "Nested": {"Resources": resources(10)}})
    assert budgets.assembly_budget_errors(tmp_path) == []


def test_a_deploy_operation_counts_the_nested_stacks(tmp_path, monkeypatch):
    monkeypatch.setattr(budgets, "RESOURCES_PER_OPERATION", 15)
    write_assembly(tmp_path / "a", {"Top": {"Resources": resources(10)}, "Nested": {"Resources": resources(10)}})
    (error,) = budgets.assembly_budget_errors(tmp_path)
    assert error.startswith("budget: deploying stack dev/Top creates or updates 20 resources with its nested stacks")


@pytest.mark.parametrize(("what", "template"), [
    ("bytes", {"Resources": resources(1, Payload="x" * (budgets.TEMPLATE_BYTES + 1))}),
    ("parameters", {"Resources": {}, "Parameters": {f"P{i}": {"Type": "String"} for i in range(budgets.PARAMETERS_PER_TEMPLATE + 1)}}),
    ("outputs", {"Resources": {}, "Outputs": {f"O{i}": {"Value": "x"} for i in range(budgets.OUTPUTS_PER_TEMPLATE + 1)}}),
])
def test_a_template_over_a_budget_is_one_line_naming_it(tmp_path, what, template):
    write_assembly(tmp_path / "a", {"Top": {"Resources": {}}, "Nested": template})
    (error,) = budgets.assembly_budget_errors(tmp_path)
    assert error.startswith("budget: template dev/Top/Nested has ") and f" {what}, over the budget of " in error


def test_a_function_resource_policy_over_its_budget_is_one_line(tmp_path):
    permission = {"Type": "AWS::Lambda::Permission", "Properties": {
        "FunctionName": {"Ref": "Fn"}, "Principal": "events.amazonaws.com", "SourceArn": "x" * 2000}}
    template = {"Resources": {f"P{i}": permission for i in range(10)}}
    write_assembly(tmp_path / "a", {"Top": template})
    (error,) = budgets.assembly_budget_errors(tmp_path)
    assert error.startswith('budget: the resource policy of {"Ref": "Fn"} in dev/Top would be about ')


def test_a_route_quota_too_small_for_the_paths_is_one_line():
    from catalog_constructs.errors import InvalidPropError

    from services.product_catalog.definition import DEFINITION
    from stacks.config import parse_stage
    from stacks.declaration_checks import api_resource_paths, check_stage_settings

    dev = cdk_context()["stages"]["dev"]
    config = parse_stage("dev", {**dev, "api": {**dev["api"], "resource_quota": 3}})
    needed = len(api_resource_paths(DEFINITION))
    with pytest.raises(InvalidPropError, match=rf"^stages.dev.api.resource_quota: 3 is not allowed; expected at least {needed}: "):
        check_stage_settings(DEFINITION, config)

"""Services that grow: the dev stage with 120 functions (in groups of 40) and with one more, synthesized
in the background (tests/conftest.py BackgroundScale) from bench/scaling_app.py.

Every template stays inside the budgets (stacks/budgets.py), there is one REST API whatever stack a
route's function lives in, and adding one function changes nothing but that function and the API's
deployment.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from stacks.budgets import (
    RESOURCES_PER_OPERATION,
    RESOURCES_PER_TEMPLATE,
    TEMPLATE_BYTES,
    assembly_budget_errors,
)
from tests.conftest import SCALE

pytestmark = pytest.mark.scale
ADDED = f"Extra{SCALE.SCALE_FUNCTIONS}Function"  # the one function the second synthesis has more


def templates(functions: int) -> dict[str, dict[str, Any]]:
    result = SCALE.result(str(functions))
    assert result.returncode == 0, result.stderr[-3000:]
    return {path.name: json.loads(path.read_text()) for path in (SCALE.outdir(functions) / "assembly-dev").glob("*.template.json")}


@pytest.fixture(scope="module")
def before() -> dict[str, dict[str, Any]]:
    return templates(SCALE.SCALE_FUNCTIONS)


@pytest.fixture(scope="module")
def after() -> dict[str, dict[str, Any]]:
    return templates(SCALE.SCALE_FUNCTIONS + 1)


def resources(all_templates, resource_type):
    return {(name, lid): r for name, t in all_templates.items() for lid, r in t["Resources"].items() if r["Type"] == resource_type}


def test_the_stage_has_the_functions_it_declares(after):
    from services.product_catalog.definition import DEFINITION

    assert len(resources(after, "AWS::Lambda::Alias")) == len(DEFINITION.functions) + SCALE.SCALE_FUNCTIONS


def test_every_template_is_inside_the_budgets(after):
    assert assembly_budget_errors(SCALE.outdir(SCALE.SCALE_FUNCTIONS + 1)) == []
    for name, template in after.items():
        assert len(template["Resources"]) <= RESOURCES_PER_TEMPLATE, name
        assert len(json.dumps(template)) <= TEMPLATE_BYTES, name
    service = sum(len(t["Resources"]) for name, t in after.items() if name.startswith("devService"))
    assert service <= RESOURCES_PER_OPERATION


def test_functions_are_placed_by_their_group_in_stacks_of_their_own(after):
    functions = Counter(name for name, _ in resources(after, "AWS::Lambda::Alias"))
    groups = {name: count for name, count in functions.items() if name.startswith("devBench")}
    assert sorted(groups.values()) == [40, 40, 40]  # extra1-40, 41-80 and 81-120, the last one included


def test_there_is_one_rest_api_and_every_method_is_on_it(after):
    (api,) = resources(after, "AWS::ApiGateway::RestApi")
    methods = resources(after, "AWS::ApiGateway::Method")
    nested = [name for name, _ in methods if name.endswith(".nested.template.json")]
    assert nested, "the groups' routes are methods in nested stacks"
    for (name, _), method in methods.items():
        rest_api = method["Properties"]["RestApiId"]
        assert rest_api == {"Ref": api[1]} or "Ref" in rest_api and rest_api["Ref"].startswith("referenceto"), (name, rest_api)


def changed_ids(before_template, after_template):
    old, new = before_template["Resources"], after_template["Resources"]
    return (
        sorted(set(new) - set(old)),
        sorted(set(old) - set(new)),
        sorted(lid for lid in set(old) & set(new) if old[lid] != new[lid]),
    )


def test_adding_a_function_changes_only_that_function_its_routes_and_the_api_deployment(before, after):
    assert set(before) == set(after)  # no stack appears or disappears: the 121st joins an existing group
    for name in sorted(before):
        added, removed, modified = changed_ids(before[name], after[name])
        if name.startswith("devBench2Functions"):
            # Its resources, its duration alarm; and the group's dashboard and saved queries show one more function.
            assert all(lid.startswith((ADDED, f"Monitoring{ADDED}")) for lid in added) and added, (name, added)
            assert removed == [], name
            modified_types = {after[name]["Resources"][lid]["Type"] for lid in modified}
            assert modified_types == {"AWS::CloudWatch::Dashboard", "AWS::Logs::QueryDefinition"}, name
        elif name.startswith("devServiceBench2Routes"):
            assert added and all(ADDED.removesuffix("Function").lower() in lid.lower() for lid in added), (name, added)
            assert (removed, modified) == ([], []), name
        elif name.startswith("devService") and not name.endswith(".nested.template.json"):
            kinds = {after[name]["Resources"].get(lid, before[name]["Resources"].get(lid))["Type"] for lid in added + removed + modified}
            assert kinds <= {"AWS::ApiGateway::Deployment", "AWS::ApiGateway::Stage", "AWS::CloudFormation::Stack"}, (name, kinds)
        else:
            assert (added, removed, modified) == ([], [], []), name


def test_a_route_added_in_a_nested_stack_produces_a_new_api_deployment(before, after):
    def deployment_ids(all_templates):
        return {lid for _, lid in resources(all_templates, "AWS::ApiGateway::Deployment")}

    assert len(deployment_ids(after)) == 1
    assert deployment_ids(before) != deployment_ids(after)


def test_a_group_api_function_rolls_back_on_the_apis_5xx_rate(after):
    (group,) = [t for name, t in after.items() if name.startswith("devBench0Functions")]
    alarms = {lid: a for lid, a in group["Resources"].items() if a["Type"] == "AWS::CloudWatch::Alarm"}
    (api_alarm,) = [lid for lid in alarms if lid.startswith("ApiServerErrorRateAlarm")]
    (service,) = [t for name, t in after.items() if name.startswith("devService") and not name.endswith("nested.template.json")]
    (api,) = [r for r in service["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    dimensions = {d["Name"]: d["Value"] for d in alarms[api_alarm]["Properties"]["Dimensions"]}
    assert dimensions == {"ApiName": api["Properties"]["Name"], "Stage": "prod"}
    for deployment_group in (r for r in group["Resources"].values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"):
        names = deployment_group["Properties"]["AlarmConfiguration"]["Alarms"]
        assert {"Name": {"Ref": api_alarm}} in names


def test_each_group_function_has_its_own_role_alias_deployment_group_and_alarms(after):
    (group,) = [t for name, t in after.items() if name.startswith("devBench0Functions")]
    count = Counter(r["Type"] for r in group["Resources"].values())
    assert count["AWS::Lambda::Function"] == count["AWS::Lambda::Alias"] == count["AWS::CodeDeploy::DeploymentGroup"] == 40
    assert count["AWS::IAM::Role"] == 40 + 1  # each function's own, and the stack's one CodeDeploy role
    # errors and throttles (release) and duration (operational) per function, the API's 5XX rate
    assert count["AWS::CloudWatch::Alarm"] == 3 * 40 + 1
    assert count["AWS::CloudWatch::Dashboard"] == 1


def test_cfn_lint_reports_nothing_on_a_group_and_its_routes():
    result = SCALE.result("cfn-lint")
    assert len(result.args) == 2, result.args
    assert (result.returncode, result.stdout) == (0, ""), result.stdout[-3000:]


def test_resources_per_function_in_a_group(after):
    """The per-function cost the README states: ~10 in the group's stack, ~5 in its routes' stack (dev, with CORS)."""
    (group,) = [t for name, t in after.items() if name.startswith("devBench0Functions")]
    (routes,) = [t for name, t in after.items() if name.startswith("devServiceBench0Routes")]
    assert len(group["Resources"]) / 40 < 10.5
    assert len(routes["Resources"]) / 40 <= 5

"""make deploy-local FUNCTIONS=60: the dev stage of bench/scaling_app.py (the catalog plus 59 benchmark
functions in groups of 40) deployed by the real CDK CLI on moto, then destroyed.

Each group is a stack of its own, deployed before the service stack; the one REST API lives in
dev/Service and each group's routes are a nested stack of it. Every assertion reads the state the run
fetched back from the emulator (CloudFormation, API Gateway, Lambda), not what the script printed.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.scaling_app import GROUP_SIZE
from devtools.emulator.local_deploy import scaled_definition
from devtools.emulator.smoke import group_stacks
from tests.conftest import SCALED_DEPLOY, SCALED_FUNCTIONS

pytestmark = pytest.mark.integration
DEFINITION = scaled_definition(SCALED_FUNCTIONS)
GROUP_STACKS = [f"dev-{name}" for name in group_stacks(DEFINITION)]
# Per grouped function in its routes' nested stack: its path, GET, POST, the CORS OPTIONS, one invoke permission.
NESTED_RESOURCES_PER_FUNCTION = 5


@pytest.fixture(scope="module")
def scaled_run() -> dict:
    result, state = SCALED_DEPLOY.result("scaled")  # started in the background when the session began
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return state


@pytest.fixture(scope="module")
def deployed(scaled_run) -> dict:
    return scaled_run["deployed"]


def test_the_group_stacks_deploy_after_stateful_and_before_the_service(deployed):
    assert GROUP_STACKS == ["dev-Bench0Functions", "dev-Bench1Functions"]
    order = deployed["creation_order"]
    # The alarm stack depends on nothing (before or after the network), and precedes what notifies it.
    assert [name for name in order if name != "dev-Alarms"] == ["dev-Network", "dev-Stateful", *GROUP_STACKS, "dev-Service"]
    assert order.index("dev-Alarms") < order.index(GROUP_STACKS[0])
    assert set(deployed["stacks"].values()) == {"CREATE_COMPLETE"}


def test_each_group_stack_holds_its_groups_functions(deployed):
    in_stacks = Counter(f["stack"] for f in deployed["functions"].values())
    assert in_stacks == {"dev-Bench0Functions": GROUP_SIZE, "dev-Bench1Functions": SCALED_FUNCTIONS - 1 - GROUP_SIZE,
                         "dev-Service": 6}  # the catalog's five and the product API's pre-traffic hook
    grouped = [f for f in deployed["functions"].values() if f["stack"] in GROUP_STACKS]
    assert all(f["role_shared_with"] == [] and list(f["aliases"]) == ["live"] for f in grouped)


def test_each_groups_routes_are_a_nested_stack_of_the_service_stack(deployed):
    nested = {child["logical_id"].split("Routes")[0]: child for child in deployed["nested_stacks"].values()}
    assert sorted(nested) == ["Bench0", "Bench1"]
    for group, functions in (("Bench0", GROUP_SIZE), ("Bench1", SCALED_FUNCTIONS - 1 - GROUP_SIZE)):
        child = nested[group]
        assert (child["parent"], child["root"], child["status"]) == ("dev-Service", "dev-Service", "CREATE_COMPLETE")
        assert child["tags"] == {"service": "product-catalog", "stage": "dev"}
        assert child["resource_types"] == ["AWS::ApiGateway::Method", "AWS::ApiGateway::Resource", "AWS::Lambda::Permission"]
        assert child["resources"] == functions * NESTED_RESOURCES_PER_FUNCTION


def test_the_one_api_has_every_declared_route_of_every_stack(deployed):
    declared = sorted([r.method, r.path] for d in DEFINITION.functions for r in d.api_routes)
    assert deployed["api_routes"] == declared
    assert ["GET", "/extra1"] in declared and ["POST", f"/extra{SCALED_FUNCTIONS - 1}"] in declared


def test_the_grouped_route_invokes_the_live_alias_of_its_function_in_the_group_stack(deployed):
    grouped = deployed["grouped_route"]
    assert (grouped["method"], grouped["path"], grouped["declared_by"]) == ("GET", "/extra1", "extra1")
    (function,) = [f for lid, f in deployed["functions"].items() if lid.startswith("Extra1Function")]
    assert grouped["integration"] == f"arn:aws:lambda:eu-west-1:123456789012:function:{function['name']}:live"
    assert grouped["stack"] == function["stack"] == "dev-Bench0Functions"
    assert grouped["version"] == function["aliases"]["live"] != "$LATEST"


def test_the_grouped_functions_handler_answered_its_route_with_its_deployed_environment(deployed):
    grouped = deployed["grouped_route"]
    assert grouped["handler"] == "product_api.handler.lambda_handler"  # as bench/scaling_app.py declares it
    route = grouped["route"]
    # The handler's own answer to a path its code does not serve (API Gateway would have answered 403).
    assert route["status"] == 404
    assert route["body"]["error"] == {"code": "not_found", "message": "no route for GET /extra1", "request_id": route["request_id"]}


def test_the_deployed_environment_names_the_deployed_table_and_the_handler_read_it(deployed):
    grouped = deployed["grouped_route"]
    (table,) = [t for lid, t in deployed["tables"].items() if lid.startswith("ProductTable")]
    assert grouped["environment"]["PRODUCT_TABLE_NAME"] == table["name"]
    assert grouped["environment"]["POWERTOOLS_SERVICE_NAME"] == "product-catalog"
    assert (grouped["table_read"]["status"], grouped["table_read"]["body"]["items"]) == (200, [])


def test_destroy_removes_the_group_and_nested_stacks(scaled_run):
    before = set(scaled_run["protected"])
    assert set(GROUP_STACKS) <= before and set(scaled_run["deployed"]["nested_stacks"]) <= before
    assert scaled_run["destroyed"]["live_stacks"] == []

"""make deploy-local BASE=<rev>: the dev stage deployed as it was at a recent revision, data written through
its handler, the working tree deployed over it; what survived, read back from the emulator.

The run starts in the background when the session begins (tests/conftest.py, BackgroundUpgrade) from the
revision upgrade_base() picks; every assertion reads its --state-file. The first tests check the
failure rules on records made up here, so a check that cannot fail would show.
"""

from __future__ import annotations

import copy
import subprocess

import pytest

from devtools.emulator.upgrade import declared_routes, upgrade_failures
from tests.conftest import ROOT, UPGRADE

integration = pytest.mark.integration

PRODUCT, IMPORT = "0d86df30-cf7c-418c-9eec-3e9896233c8c", "2c18b8d9-1d69-4a82-bf4c-a4b8709fe377"


def survived_record() -> dict:
    """A record of an upgrade that kept everything, in the shape upgrade_in_place writes."""
    api = {route: {"integration": "AWS_PROXY", "uri": "..."} for route in declared_routes()}
    stage = {"tables": {"dev-Stateful/ProductTableD7D82708": "product-dev"}, "apis": {"api1": api}}
    return {
        "before": copy.deepcopy(stage), "after": copy.deepcopy(stage),
        "update": {"dev-Service": {"status": "UPDATE_COMPLETE"}},
        "survived": {"product": {"id": PRODUCT, "table": "product-dev", "in_table": True}},
        "answers_after": [{"call": f"GET /product/{PRODUCT}", "status": 200, "body": {"id": PRODUCT}}],
        "expected_after": [PRODUCT],
    }


def test_an_upgrade_that_kept_everything_has_no_failure():
    assert upgrade_failures(survived_record(), declared_routes()) == []


@pytest.mark.parametrize(("breaks", "failure"), [
    (lambda r: r["after"]["tables"].update({"dev-Stateful/ProductTableD7D82708": "product-dev-v2"}),
     "table dev-Stateful/ProductTableD7D82708 was product-dev, is product-dev-v2 after the update"),
    (lambda r: r["after"]["tables"].clear(), "table dev-Stateful/ProductTableD7D82708 was product-dev, is gone after the update"),
    (lambda r: r["survived"]["product"].update(in_table=False), f"the product {PRODUCT} created before the update is not in product-dev"),
    (lambda r: r["after"]["apis"]["api1"].pop("GET /product/{id}"), "route GET /product/{id} is not on the deployed API"),
    (lambda r: r["answers_after"][0].update(status=404, body={"error": {}}), f"GET /product/{PRODUCT} answered 404"),
    (lambda r: r["answers_after"][0].update(body={"id": IMPORT}), f"(id {IMPORT}) with the new deployment, expected 200 (id {PRODUCT})"),
    (lambda r: r["update"]["dev-Service"].update(status="UPDATE_ROLLBACK_COMPLETE"), "stack dev-Service: UPDATE_ROLLBACK_COMPLETE"),
])
def test_each_thing_the_upgrade_lost_is_a_failure(breaks, failure):
    record = survived_record()
    breaks(record)
    (found,) = upgrade_failures(record, declared_routes())
    assert failure in found


@pytest.fixture(scope="module")
def upgrade_run() -> dict:
    result, state = UPGRADE.result()  # started in the background when the session began
    assert result.returncode == 0, f"base {UPGRADE.base}:\n" + result.stdout[-4000:] + result.stderr[-3000:]
    return state


@integration
def test_the_base_is_an_earlier_revision_checked_out_apart_and_removed_after(upgrade_run):
    base = upgrade_run["base"]
    assert base["commit"] == UPGRADE.base[0]
    worktrees = subprocess.run(["git", "worktree", "list", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert base["worktree"] not in worktrees


@integration
def test_the_working_tree_updated_the_base_stacks_in_place(upgrade_run):
    before, after = upgrade_run["before"]["stacks"], upgrade_run["after"]["stacks"]
    assert set(before) <= set(after)
    for name in before:
        assert after[name]["status"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), name
        # The same stack (not deleted and created again): every resource it kept has its physical id.
        kept = before[name]["resources"].keys() & after[name]["resources"].keys()
        assert kept and all(before[name]["resources"][lid]["id"] == after[name]["resources"][lid]["id"] for lid in kept), name


@integration
def test_the_base_handler_created_a_product_and_an_import_record(upgrade_run):
    assert [(a["call"], a["status"]) for a in upgrade_run["created"]] == [("POST /product", 201), ("POST /product/imports", 202)]


@integration
def test_the_product_and_the_import_record_are_still_in_the_tables_of_the_same_names(upgrade_run):
    assert upgrade_run["after"]["tables"] == upgrade_run["before"]["tables"]
    survived = upgrade_run["survived"]
    assert survived["product"]["in_table"] and survived["import record"]["in_table"]
    assert survived["product"]["table"] in upgrade_run["after"]["tables"].values()


@integration
def test_every_declared_route_is_on_the_api_after_the_update(upgrade_run):
    (api,) = upgrade_run["after"]["apis"].values()
    assert set(declared_routes()) <= set(api)
    assert all(method["integration"] == "AWS_PROXY" and ":live/invocations" in method["uri"] for method in api.values())


@integration
def test_the_new_handler_reads_both_with_its_new_environment(upgrade_run):
    product_id, import_id = upgrade_run["expected_after"]
    answers = upgrade_run["answers_after"]
    assert [(a["call"], a["status"], a["body"]["id"]) for a in answers] == [
        (f"GET /product/{product_id}", 200, product_id), (f"GET /product/imports/{import_id}", 200, import_id)]
    # The function the route invokes after the update, with the environment read back after it.
    (function,) = {a["function"] for a in answers}
    environment = upgrade_run["after"]["functions"][function]["environment"]
    assert environment["PRODUCT_TABLE_NAME"] == upgrade_run["survived"]["product"]["table"]
    assert environment["IMPORTS_TABLE_NAME"] == upgrade_run["survived"]["import record"]["table"]


@integration
def test_each_modified_resource_says_what_the_emulator_did_with_it(upgrade_run):
    changes = upgrade_run["template_changes"]
    assert {m["moto"] for change in changes.values() for m in change["modified"].values()} <= {"moto", "adapter", "not updated", "not modelled"}
    # A function the update changed either has a new version behind its alias or is reported as not released.
    unreleased = upgrade_run["emulator_limits"]["unreleased_functions"]
    before = upgrade_run["before"]["functions"]
    for name, function in upgrade_run["after"]["functions"].items():
        modified = changes.get(function["stack"].replace("-", "/", 1), {}).get("modified", {})
        if function["logical_id"] in modified and function["aliases"] and name in before:
            moved = function["aliases"] != before[name]["aliases"]
            assert moved or any(line.startswith(f"{function['logical_id']}:") for line in unreleased), function["logical_id"]

"""Resources that move between stacks of one stage (a function put in another group): found, reported
as moves and not as additions and deletions.

Each test moves resources in a copy of the committed snapshots, as the generator does when a function
declared with ``group=`` leaves ``prod/Service`` for a stack of its own: same logical ids, another stack.
"""

from __future__ import annotations

import copy
import json

import pytest

from devtools.review import cli, snapshots
from devtools.review.cli import review
from devtools.review.release_plan import release_plan
from devtools.review.risks import all_risks, unacknowledged
from devtools.review.template_review import (
    base_with_moves,
    changes_besides_moves,
    find_moves,
    guard_failures,
    permissions,
    review_markdown,
)

SOURCE, TARGET = "prod/Service", "prod/BenchFunctions"
FUNCTION = "ExportListingFunction"
LOG_GROUP = "ExportListingFunctionLogGroup5E483216"  # named /product-catalog/prod/functions/export-listing, retained
ROLE = "ExportListingFunctionExecutionRole40358B6D"


@pytest.fixture(scope="module")
def committed():
    return snapshots.load_snapshots()


def move(snapshot_set, prefix, source=SOURCE, target=TARGET):
    """Every resource of ``source`` whose logical id starts with ``prefix``, moved to ``target`` (created if new)."""
    resources = snapshot_set[source]["Resources"]
    moved = {lid: resources.pop(lid) for lid in sorted(resources) if lid.startswith(prefix)}
    assert moved, prefix
    # A new stack deploys as its stage's others do; raw templates (the release plan's) have no Deployment.
    deployment = {"Deployment": copy.deepcopy(snapshot_set[source]["Deployment"])} if "Deployment" in snapshot_set[source] else {}
    snapshot_set.setdefault(target, {"Resources": {}, **deployment})
    snapshot_set[target]["Resources"].update(moved)
    return sorted(moved)


@pytest.fixture
def before(committed):
    return copy.deepcopy(committed)


@pytest.fixture
def after(committed):
    return copy.deepcopy(committed)


def ids_of(snapshot_set, stack, prefix):
    return sorted(lid for lid in snapshot_set[stack]["Resources"] if lid.startswith(prefix))


# --- Finding moves ----------------------------------------------------------------------------------

def test_a_function_moved_to_another_stack_is_found_with_from_and_to(before, after):
    moved = move(after, FUNCTION)
    assert len(moved) > 5  # function, roles, alias, version, log group, deployment group, alarms ...
    assert [(m.stage, m.logical_id, m.from_stack, m.to_stack) for m in find_moves(before, after)] == [
        ("prod", lid, SOURCE, TARGET) for lid in moved]


def test_a_move_keeps_the_resource_type(before, after):
    move(after, FUNCTION)
    types = {lid: r["Type"] for lid, r in before[SOURCE]["Resources"].items()}
    assert {m.logical_id: m.resource_type for m in find_moves(before, after)} == {
        lid: types[lid] for lid in ids_of(before, SOURCE, FUNCTION)}


def test_moved_resources_are_not_reported_as_added_or_deleted(before, after):
    move(after, FUNCTION)
    assert [c for c in changes_besides_moves(before, after) if c.logical_id.startswith(FUNCTION)] == []


def test_unrelated_added_and_deleted_resources_are_still_reported(before, after):
    move(after, FUNCTION)
    resources = after[SOURCE]["Resources"]
    resources["AuditErrorsAlarm0A1B2C3D"] = copy.deepcopy(resources["ProductFunctionErrorsAlarm9125DF4E"])
    del resources["ProductApiServerErrorRateAlarm6D564849"]
    assert {(c.stack, c.logical_id, c.kind) for c in changes_besides_moves(before, after)} == {
        (SOURCE, "AuditErrorsAlarm0A1B2C3D", "added"), (SOURCE, "ProductApiServerErrorRateAlarm6D564849", "deleted")}


def test_an_id_deleted_in_one_stage_and_added_in_another_is_not_a_move(before, after):
    moved = move(after, FUNCTION, target="dev/BenchFunctions")
    assert find_moves(before, after) == []
    changes = {(c.stack, c.logical_id, c.kind) for c in changes_besides_moves(before, after)}
    assert changes == {(SOURCE, lid, "deleted") for lid in moved} | {("dev/BenchFunctions", lid, "added") for lid in moved}


def test_an_id_whose_type_changes_on_the_way_is_not_a_move(before, after):
    (log_group,) = move(after, f"{FUNCTION}LogGroup")
    after[TARGET]["Resources"][log_group] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
    assert find_moves(before, after) == []


def test_an_id_that_enters_two_stacks_is_not_a_move(before, after):
    (alarm,) = move(after, f"{FUNCTION}ErrorsAlarm")
    after["prod/OtherFunctions"] = {"Resources": {alarm: copy.deepcopy(after[TARGET]["Resources"][alarm])}}
    assert find_moves(before, after) == []  # nothing says which of the two stacks it went to


def test_a_move_lists_the_properties_that_differ_in_the_new_stack(before, after):
    move(after, FUNCTION)
    group = after[TARGET]["Resources"]["ExportListingFunctionDeploymentGroupCD39857F"]
    # The application stays in prod/Service: the group now reads its name across stacks.
    group["Properties"]["ApplicationName"] = {"Fn::GetStackOutput": {"StackName": "prod-Service", "OutputName": "App"}}
    (found,) = [m for m in find_moves(before, after) if m.logical_id == "ExportListingFunctionDeploymentGroupCD39857F"]
    assert found.properties == ("ApplicationName",)


def test_a_whole_stack_merged_back_into_another_is_a_move(before, after):
    move(before, FUNCTION)  # the base had the function in its own stack
    assert {(m.from_stack, m.to_stack) for m in find_moves(before, after)} == {(TARGET, SOURCE)}


# --- Reporting them ---------------------------------------------------------------------------------

def test_a_moved_policy_is_neither_widened_in_its_new_stack_nor_narrowed_in_its_old_one(before, after):
    move(after, FUNCTION)
    rebased = base_with_moves(before, find_moves(before, after))
    assert permissions(after[TARGET]) - permissions(rebased[TARGET]) == set()
    assert permissions(rebased[SOURCE]) - permissions(after[SOURCE]) == set()


def test_the_json_report_lists_each_move_with_its_stacks(before, after):
    moved = move(after, FUNCTION)
    _, data, _ = review(before, after, base_label="test", raw_base=None, raw_current={})
    data = json.loads(json.dumps(data))
    assert [(m["stage"], m["logical_id"], m["from_stack"], m["to_stack"]) for m in data["moves"]] == [
        ("prod", lid, SOURCE, TARGET) for lid in moved]
    assert [c for c in data["changes"] if c["logical_id"] in moved] == []


def test_the_markdown_report_has_a_moved_subsection_under_changes(before, after):
    moved = move(after, FUNCTION)
    report = review_markdown(before, after, base_label="test")
    assert report.index("## Changes") < report.index("### prod: moved between stacks")
    rows = [line for line in report.splitlines() if line.startswith("| moved")]
    assert rows == [f"| moved | `{lid}` | {after[TARGET]['Resources'][lid]['Type']} | {SOURCE} | {TARGET} |  |" for lid in moved]


# --- Which moves are risks ----------------------------------------------------------------------------

def move_risk_ids(before, after):
    return {r.logical_id for r in all_risks(before, after) if r.kind == "move"}


def test_moving_a_named_retained_log_group_is_a_risk_on_the_stack_it_leaves(before, after):
    move(after, FUNCTION)
    (risk,) = [r for r in all_risks(before, after) if r.logical_id == LOG_GROUP]
    assert (risk.kind, risk.stack, risk.property, risk.old, risk.new) == ("move", SOURCE, "(stack)", SOURCE, TARGET)
    assert "/product-catalog/prod/functions/export-listing" in risk.why and f"import it into {TARGET} (cdk import)" in risk.why


def test_moving_a_role_is_not_a_risk(before, after):
    move(after, ROLE)
    assert all_risks(before, after) == []


def test_moving_a_function_is_a_risk_only_for_its_named_retained_log_group(before, after):
    move(after, FUNCTION)
    assert [(r.kind, r.logical_id) for r in all_risks(before, after)] == [("move", LOG_GROUP)]


def test_moving_a_retained_queue_is_a_risk_even_without_a_name(before, after):
    (queue,) = move(after, "CatalogExportFunctionAsyncFailuresQueue6")
    assert "QueueName" not in after[TARGET]["Resources"][queue]["Properties"]
    assert move_risk_ids(before, after) == {queue}


def test_moving_a_stateful_resource_that_is_not_retained_is_a_risk(before, after):
    (queue,) = move(after, "CatalogExportFunctionAsyncFailuresQueue6")
    for snapshot_set, stack in ((before, SOURCE), (after, TARGET)):
        snapshot_set[stack]["Resources"][queue]["DeletionPolicy"] = "Delete"
    (risk,) = all_risks(before, after)
    assert (risk.kind, risk.logical_id) == ("move", queue) and "deletes the queue and its data" in risk.why


def test_moving_a_named_log_group_that_is_not_retained_is_a_risk_of_deploy_order(before, after):
    move(after, LOG_GROUP)
    for snapshot_set, stack in ((before, SOURCE), (after, TARGET)):
        snapshot_set[stack]["Resources"][LOG_GROUP]["DeletionPolicy"] = "Delete"
    (risk,) = all_risks(before, after)
    assert risk.logical_id == LOG_GROUP and "two deploys" in risk.why


def test_moving_an_unnamed_log_group_that_is_not_retained_is_not_a_risk(before, after):
    move(after, LOG_GROUP)
    for snapshot_set, stack in ((before, SOURCE), (after, TARGET)):
        resource = snapshot_set[stack]["Resources"][LOG_GROUP]
        resource.pop("DeletionPolicy")
        resource["Properties"].pop("LogGroupName")
    assert all_risks(before, after) == []


def test_a_retained_log_group_named_after_its_stack_is_not_a_risk(before, after):
    move(after, LOG_GROUP)
    per_stack = {"Fn::Join": ["", ["/", {"Ref": "AWS::StackName"}, "/export-listing"]]}
    for snapshot_set, stack in ((before, SOURCE), (after, TARGET)):
        snapshot_set[stack]["Resources"][LOG_GROUP]["Properties"]["LogGroupName"] = per_stack
    assert all_risks(before, after) == []


def test_a_log_group_renamed_on_the_way_does_not_collide_with_the_old_one(before, after):
    move(after, LOG_GROUP)
    after[TARGET]["Resources"][LOG_GROUP]["Properties"]["LogGroupName"] = "/product-catalog/prod/bench/export-listing"
    assert all_risks(before, after) == []


def test_moving_queue_policies_is_not_removing_them(before, after):
    move(after, "CatalogExportFunction")
    # Without the move, each TLS-only queue policy leaving prod/Service would be a removed safeguard.
    assert {r.kind for r in all_risks(before, after)} == {"move"}


def test_a_safeguard_lost_on_the_way_is_a_risk_in_the_new_stack(before, after):
    (queue,) = move(after, "CatalogExportFunctionAsyncFailuresQueue6")
    for encryption in ("SqsManagedSseEnabled", "KmsMasterKeyId"):  # prod's queues have a key; unencrypted, either way
        after[TARGET]["Resources"][queue]["Properties"].pop(encryption, None)
    (risk,) = [r for r in all_risks(before, after) if r.kind != "move"]
    assert (risk.kind, risk.stack, risk.logical_id, risk.property) == (
        "messaging", TARGET, queue, "SqsManagedSseEnabled/KmsMasterKeyId")


def test_a_move_risk_blocks_the_review_until_acknowledged(before, after, monkeypatch):
    move(after, FUNCTION)
    _, data, blocking = review(before, after, base_label="test", raw_base=None, raw_current={})
    assert blocking and [(r["logical_id"], r["acknowledged"]) for r in data["risks"]] == [(LOG_GROUP, False)]
    entry = {"stack": SOURCE, "logical_id": LOG_GROUP, "property": "(stack)",
             "reason": "Log group removed from prod/Service first, then imported into the bench stack (OPS-12)"}
    monkeypatch.setattr("devtools.review.cli.acknowledgement_entries", lambda: [entry])
    _, data, blocking = review(before, after, base_label="test", raw_base=None, raw_current={})
    assert not blocking and data["risks"][0]["acknowledged"] is True


def test_an_acknowledgement_on_the_new_stack_does_not_cover_a_move(before, after):
    move(after, FUNCTION)
    entry = {"stack": TARGET, "logical_id": LOG_GROUP, "reason": "x" * 30}
    assert [r.logical_id for r in unacknowledged(all_risks(before, after), [entry])] == [LOG_GROUP]


# --- The replacement guard: a stateful resource that moves is still deleted from its stack ---------------

TABLE = "ProductTableD7D82708"


def move_the_table(snapshot_set):
    return move(snapshot_set, TABLE, source="prod/Stateful", target="prod/OrdersData")


def test_the_guard_refuses_a_table_that_moves_to_another_stack(before, after):
    move_the_table(after)
    (failure,) = guard_failures(before, after, acknowledged=set())
    assert failure.startswith(f"prod/Stateful {TABLE} (AWS::DynamoDB::Table) would be deleted: it moves to prod/OrdersData")


def test_snapshot_update_refuses_a_table_that_moves_to_another_stack(after, monkeypatch):
    move_the_table(after)
    monkeypatch.setattr(snapshots, "current_synth", lambda: (after, {}))
    monkeypatch.setattr(snapshots, "write_snapshots", lambda *_: pytest.fail("snapshots must not be written"))
    assert cli.main(["update"]) == 1


def test_one_acknowledgement_of_the_stack_it_leaves_passes_the_guard_and_the_move_risk(before, after, monkeypatch):
    move_the_table(after)
    _, data, blocking = review(before, after, base_label="test", raw_base=None, raw_current={})
    assert blocking and data["stateful_at_risk"] and [(r["kind"], r["logical_id"]) for r in data["risks"]] == [("move", TABLE)]
    entry = {"stack": "prod/Stateful", "logical_id": TABLE,
             "reason": "Table removed from prod/Stateful (retained), then imported into prod/OrdersData by runbook RB-20"}
    for module in ("cli", "template_review"):
        monkeypatch.setattr(f"devtools.review.{module}.acknowledgement_entries", lambda: [entry])
    _, data, blocking = review(before, after, base_label="test", raw_base=None, raw_current={})
    assert not blocking and data["stateful_at_risk"] == [] and data["risks"][0]["acknowledged"] is True


# --- Release plan -----------------------------------------------------------------------------------

def test_a_moved_function_is_released_as_a_new_function_moved_from_its_old_stack(synthesized):
    head = copy.deepcopy(synthesized.templates)
    move(head, FUNCTION)
    (release,) = release_plan(synthesized.templates, head)["prod"]
    assert (release.function, release.first_deployment, release.moved_from) == ("ExportListingFunctionAF533F41", True, SOURCE)


def test_a_function_new_to_the_stage_was_moved_from_nowhere(synthesized):
    base = copy.deepcopy(synthesized.templates)
    del base["prod/Service"]
    assert {r.moved_from for r in release_plan(base, synthesized.templates)["prod"]} == {None}

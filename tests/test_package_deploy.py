"""The package deployed without the CDK CLI: boto3 uploads its artifacts and creates its stacks on moto.

``python -m devtools.package.deploy`` packages dev from the session's synthesis (in a process of its own),
creates the stacks in the manifest's order under the prefix ``team-a-dev-`` (the CDK would name them
``dev-...``) and reads the stage back as make deploy-local does; then it deploys the same package as the one
stack of its stage template (``--stage-template``, what a StackSet deploys: every stack nested, each reading
its siblings' outputs). Every assertion reads the state it fetched from the emulator (tests/conftest.py runs
both in the background, after the stages' deploys).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from services.product_catalog.definition import DEFINITION
from tests.conftest import PACKAGE_DEPLOY, PACKAGE_KEPT, PACKAGE_STACK_NAME_PREFIX

pytestmark = pytest.mark.integration
PREFIX = PACKAGE_STACK_NAME_PREFIX


@pytest.fixture(scope="module")
def package_run(packaged) -> dict:
    # After ``packaged``: the run packages the session's synthesis, which that fixture makes.
    result, state = PACKAGE_DEPLOY.result("dev")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return state


def test_the_stacks_are_created_under_the_chosen_names_in_the_manifests_order(package_run, packaged):
    manifest = json.loads((packaged.packages["dev"] / "manifest.json").read_text())
    assert package_run["created"] == [f"{PREFIX}{s['id']}" for s in manifest["stacks"]]
    assert package_run["deployed"]["creation_order"] == package_run["created"]


def test_the_stacks_found_each_other_through_the_stack_name_prefix_parameter(package_run):
    # No stack named as the CDK names them exists: each Fn::GetStackOutput resolved through the parameter.
    readers = {name: p for name, p in package_run["parameters"].items() if "StackNamePrefix" in p}
    assert set(readers) == {f"{PREFIX}Stateful", f"{PREFIX}Service"}
    assert {p["StackNamePrefix"] for p in readers.values()} == {PREFIX}
    assert all(name.startswith(PREFIX) for name in package_run["parameters"])


def test_the_code_was_read_from_the_uploaded_artifacts(package_run):
    service = package_run["parameters"][f"{PREFIX}Service"]
    assert service["ArtifactBucket"] == "artifacts-123456789012-eu-west-1"
    assert service["ArtifactKeyPrefix"] == "releases/local/"
    keys = {key for name, key in service.items() if name.endswith("CodeKey")}
    assert {f"releases/local/{key}" for key in keys} <= set(package_run["uploaded"])


def test_the_package_another_process_wrote_has_the_same_bytes_as_the_suites(package_run, packaged):
    def files(package: Path) -> dict[str, str]:
        return {str(p.relative_to(package)): hashlib.sha256(p.read_bytes()).hexdigest() for p in package.rglob("*") if p.is_file()}

    assert files(PACKAGE_KEPT) == files(packaged.packages["dev"])
    assert package_run["package"]["manifest_sha256"] == files(packaged.packages["dev"])["manifest.json"]


def test_the_product_table_has_its_key_and_point_in_time_recovery(package_run):
    (table,) = [t for lid, t in package_run["deployed"]["tables"].items() if lid.startswith("ProductTable")]
    assert table["key_schema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["point_in_time_recovery"] == "ENABLED"


def test_every_function_has_its_own_role_and_a_live_alias_on_a_published_version(package_run):
    functions = package_run["deployed"]["functions"]
    assert len(functions) == len(DEFINITION.functions) + 1  # and the product API's pre-traffic hook
    assert all(f["role_shared_with"] == [] for f in functions.values())
    declared = [f for lid, f in functions.items() if "Hook" not in lid]
    assert all(list(f["aliases"]) == ["live"] and f["aliases"]["live"] != "$LATEST" for f in declared)


def test_the_api_serves_exactly_the_declared_routes(package_run):
    assert package_run["deployed"]["api_routes"] == sorted([r.method, r.path] for d in DEFINITION.functions for r in d.api_routes)


def test_the_handler_works_against_the_deployed_table(package_run):
    assert package_run["deployed"]["crud_statuses"] == [201, 200, 200, 204, 404]


def test_teardown_deletes_the_stacks_and_keeps_the_retained_table_and_file_system(package_run):
    destroyed = package_run["destroyed"]
    assert destroyed["live_stacks"] == []  # dev has no termination protection
    assert "product-dev" in destroyed["tables"]
    assert destroyed["file_systems"] == 1


@pytest.fixture(scope="module")
def stage_template_run(packaged) -> dict:
    result, state = PACKAGE_DEPLOY.result("stage-template")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return state


def test_the_stage_template_creates_each_stack_as_a_nested_stack_of_one(stage_template_run, packaged):
    manifest = json.loads((packaged.packages["dev"] / "manifest.json").read_text())
    assert stage_template_run["created"] == [f"{PREFIX}Stage"]
    nested = stage_template_run["deployed"]["nested_stacks"].values()
    assert sorted(n["logical_id"] for n in nested) == sorted(s["id"] for s in manifest["stacks"])
    assert {(n["parent"], n["status"]) for n in nested} == {(f"{PREFIX}Stage", "CREATE_COMPLETE")}


def test_the_stage_templates_stacks_read_each_others_outputs_from_parameters(stage_template_run):
    # The subnets come from the network stack, the mounts from the stateful one, through the stage template.
    functions = stage_template_run["deployed"]["functions"]
    (product,) = [f for lid, f in functions.items() if lid.startswith("ProductFunction") and "Hook" not in lid]
    (export,) = [f for lid, f in functions.items() if lid.startswith("CatalogExportFunction")]
    assert len(product["subnets"]) == 2
    assert [m["LocalMountPath"] for m in export["file_systems"]] == ["/mnt/exports"]
    assert stage_template_run["deployed"]["crud_statuses"] == [201, 200, 200, 204, 404]


def test_deleting_the_stage_stack_keeps_the_retained_table_and_file_system(stage_template_run):
    destroyed = stage_template_run["destroyed"]
    assert destroyed["live_stacks"] == []
    assert "product-dev" in destroyed["tables"] and destroyed["file_systems"] == 1

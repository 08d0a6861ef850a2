"""Template snapshots, their normalization, the stateful-replacement guard and the change report."""

from __future__ import annotations

import copy
import difflib
import json
import shutil

import pytest

from devtools.review import cli, replacement_properties, snapshots
from devtools.review.template_review import guard_failures, review_markdown
from tests.conftest import ROOT, cdk_context, synthesize

STACKS = [f"{stage}/{stack}" for stage in ("dev", "prod") for stack in ("Alarms", "Network", "Stateful", "Service")]


def table_id(template):
    return next(lid for lid, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table" and "TableName" in r["Properties"])


@pytest.fixture(scope="module")
def committed():
    return snapshots.load_snapshots()


@pytest.mark.parametrize("stack", STACKS)
def test_snapshot_matches_the_synthesized_template(synthesized, stack):
    path = snapshots.SNAPSHOT_DIR / snapshots.snapshot_name(stack)
    current = snapshots.dump(synthesized.templates[stack], synthesized.deployments[stack])
    if path.read_text() != current:
        diff = "".join(list(difflib.unified_diff(path.read_text().splitlines(True), current.splitlines(True), str(path), "synth"))[:60])
        pytest.fail(f"{stack} changed; review the diff, then run `make snapshot-update`:\n{diff}")


def test_there_is_one_snapshot_per_stack_per_stage(committed, templates):
    assert sorted(committed) == sorted(templates) == sorted(STACKS)


def test_normalization_removes_cdk_metadata_bootstrap_and_asset_hashes(templates):
    template = copy.deepcopy(templates["prod/Service"])
    noisy = copy.deepcopy(template)
    noisy["Resources"]["CDKMetadata"] = {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:abc"}}
    noisy.setdefault("Parameters", {})["BootstrapVersion"] = {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}
    noisy.setdefault("Rules", {})["CheckBootstrapVersion"] = {"Assertions": []}
    for resource in noisy["Resources"].values():
        code = resource.get("Properties", {}).get("Code", {})
        if "S3Key" in code:
            code["S3Key"] = "f" * 64 + ".zip"
    assert snapshots.dump(noisy) == snapshots.dump(template)


def test_normalization_keeps_real_values(templates):
    template = copy.deepcopy(templates["prod/Service"])
    function = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["MemorySize"] = 2048
    assert '"MemorySize": 2048' in snapshots.dump(template)


@pytest.fixture(scope="module")
def dev_with_new_code_and_memory(tmp_path_factory, monkeypatch_module):
    """The dev stage synthesized after editing the function's code AND its memory size."""
    runtime = tmp_path_factory.mktemp("edited") / "runtime"
    shutil.copytree(ROOT / "runtime", runtime, ignore=shutil.ignore_patterns("__pycache__"))
    handler = runtime / "product_api" / "handler.py"
    handler.write_text(handler.read_text() + "\n# a code-only change\n")
    from services.product_catalog.definition import DEFINITION

    monkeypatch_module.setattr(
        "services.product_catalog.definition.DEFINITION", DEFINITION.model_copy(update={"runtime_dir": runtime})
    )
    context = cdk_context()
    context["stage"] = "dev"
    context["stages"]["dev"].setdefault("functions", {})["product"] = {"memory_size": 1024}
    assembly = synthesize(tmp_path_factory.mktemp("dev-changed"), context)
    normalized = {name: snapshots.snapshot(t, assembly.deployments[name]) for name, t in assembly.templates.items()}
    return normalized, assembly.templates


@pytest.fixture(scope="module")
def dev_changed(dev_with_new_code_and_memory):
    return dev_with_new_code_and_memory[0]


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def changed_lines(before: dict, after: dict) -> list[str]:
    old = json.dumps(before, indent=2, sort_keys=True).splitlines()
    new = json.dumps(after, indent=2, sort_keys=True).splitlines()
    return [line for line in difflib.unified_diff(old, new, lineterm="", n=0) if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_the_code_change_did_change_the_raw_template(dev_with_new_code_and_memory, templates):
    raw = dev_with_new_code_and_memory[1]["dev/Service"]
    ids = lambda t: {lid for lid, r in t["Resources"].items() if r["Type"] == "AWS::Lambda::Version"}
    assert ids(raw) != ids(templates["dev/Service"])  # a new version, a new asset: noise the snapshot hides


def test_a_code_only_change_produces_no_snapshot_line(dev_changed, committed):
    for stack in ("dev/Network", "dev/Stateful"):
        assert changed_lines(committed[stack], dev_changed[stack]) == []
    # In the service stack the only change is the memory size (the code edit left no trace).
    assert all("MemorySize" in line for line in changed_lines(committed["dev/Service"], dev_changed["dev/Service"]))


def test_a_memory_change_is_exactly_one_line_in_one_snapshot(dev_changed, committed):
    assert changed_lines(committed["dev/Service"], dev_changed["dev/Service"]) == [
        '-        "MemorySize": 512,',
        '+        "MemorySize": 1024,',
    ]


def test_the_report_says_which_property_changed(dev_changed, committed):
    base = {k: v for k, v in committed.items() if k.startswith("dev/")}
    report = review_markdown(base, dev_changed, base_label="committed snapshots")
    assert "## dev/Service" in report and "0 added, 1 modified, 0 replaced, 0 deleted" in report
    assert "| modified | `" in report and "AWS::Lambda::Function | MemorySize |" in report
    assert "dev/Network" not in report and "at risk" not in report


def test_guard_passes_the_current_synth(committed, synthesized):
    current = {name: snapshots.snapshot(t, synthesized.deployments[name]) for name, t in synthesized.templates.items()}
    assert guard_failures(committed, current) == []


def test_guard_fails_when_the_table_construct_is_renamed(committed):
    current = copy.deepcopy(committed)
    resources = current["prod/Stateful"]["Resources"]
    old_id = table_id(committed["prod/Stateful"])
    resources["CatalogTable0123ABCD"] = resources.pop(old_id)
    (failure,) = guard_failures(committed, current, acknowledged=set())
    assert failure.startswith(f"prod/Stateful {old_id} (AWS::DynamoDB::Table) would be deleted")
    assert "renamed id creates a new, empty resource" in failure


def test_guard_fails_when_the_table_key_changes(committed):
    current = copy.deepcopy(committed)
    table = current["prod/Stateful"]["Resources"][table_id(committed["prod/Stateful"])]
    table["Properties"]["KeySchema"] = [{"AttributeName": "sku", "KeyType": "HASH"}]
    (failure,) = guard_failures(committed, current, acknowledged=set())
    assert "(AWS::DynamoDB::Table) would be replaced: changing KeySchema" in failure
    assert "loses its data" in failure


def test_guard_fails_when_the_vpc_cidr_changes(committed):
    current = copy.deepcopy(committed)
    vpc = next(r for r in current["prod/Network"]["Resources"].values() if r["Type"] == "AWS::EC2::VPC")
    vpc["Properties"]["CidrBlock"] = "10.99.0.0/16"
    (failure,) = guard_failures(committed, current, acknowledged=set())
    assert "(AWS::EC2::VPC) would be replaced: changing CidrBlock" in failure


def test_an_acknowledged_replacement_passes_the_guard(committed):
    current = copy.deepcopy(committed)
    old_id = table_id(committed["prod/Stateful"])
    current["prod/Stateful"]["Resources"]["CatalogTable0123ABCD"] = current["prod/Stateful"]["Resources"].pop(old_id)
    assert guard_failures(committed, current, acknowledged={("prod/Stateful", old_id)}) == []


def test_the_report_lists_widened_iam_and_opened_security_group_rules(committed):
    current = copy.deepcopy(committed)
    policy = next(r for r in current["prod/Service"]["Resources"].values() if r["Type"] == "AWS::IAM::Policy")
    policy["Properties"]["PolicyDocument"]["Statement"].append({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})
    group = next(r for r in current["prod/Service"]["Resources"].values() if r["Type"] == "AWS::EC2::SecurityGroup")
    group["Properties"]["SecurityGroupIngress"] = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]
    report = review_markdown(committed, current, base_label="test")
    assert "**IAM permissions widened**" in report and "Allow `s3:GetObject` on `*`" in report
    assert "**Security-group rules opened**" in report and "ingress tcp 22-22 from `0.0.0.0/0`" in report


def test_the_report_of_no_change_says_so(committed):
    assert "No infrastructure change." in review_markdown(committed, committed, base_label="test")


def test_snapshot_update_refuses_an_unacknowledged_table_replacement(committed, monkeypatch, capsys):
    current = copy.deepcopy(committed)
    current["prod/Stateful"]["Resources"][table_id(committed["prod/Stateful"])]["Properties"]["TableName"] = "catalog"
    monkeypatch.setattr(snapshots, "current_synth", lambda: (current, {}))
    monkeypatch.setattr(snapshots, "write_snapshots", lambda *_: pytest.fail("snapshots must not be written"))
    assert cli.main(["update"]) == 1
    assert "would be replaced: changing TableName" in capsys.readouterr().err


def test_snapshot_update_refuses_an_unacknowledged_risk(committed, monkeypatch, capsys):
    current = copy.deepcopy(committed)
    current["prod/Stateful"]["Deployment"]["TerminationProtection"] = False
    monkeypatch.setattr(snapshots, "current_synth", lambda: (current, {}))
    monkeypatch.setattr(snapshots, "write_snapshots", lambda *_: pytest.fail("snapshots must not be written"))
    assert cli.main(["update"]) == 1
    assert "TerminationProtection: `true` → `false`" in capsys.readouterr().err


def test_replacement_properties_are_the_ones_cfn_lint_schemas_give(committed):
    types = sorted({r["Type"] for t in committed.values() for r in t["Resources"].values() if not r["Type"].startswith("Custom::")})
    assert replacement_properties.load() == json.loads(json.dumps(replacement_properties.generate(types)))

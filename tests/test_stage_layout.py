"""How stages and stacks are laid out and wired."""

from __future__ import annotations

import json

import pytest


def test_both_stages_synthesize_network_stateful_and_service_stacks(templates):
    assert sorted(templates) == [
        "dev/Alarms", "dev/Network", "dev/Service", "dev/Stateful",
        "prod/Alarms", "prod/Network", "prod/Service", "prod/Stateful",
    ]


def test_prod_stateful_stack_has_termination_protection_and_dev_does_not(synthesized):
    manifest = json.loads((synthesized.outdir / "assembly-prod" / "manifest.json").read_text())
    protection = {
        artifact["displayName"]: artifact["properties"].get("terminationProtection", False)
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    }
    assert protection["prod/Stateful"] is True
    dev_manifest = json.loads((synthesized.outdir / "assembly-dev" / "manifest.json").read_text())
    assert not any(a["properties"].get("terminationProtection") for a in dev_manifest["artifacts"].values() if "properties" in a)


def test_stateful_resources_never_live_in_the_service_stack(templates):
    for stage in ("dev", "prod"):
        resources = templates[f"{stage}/Service"]["Resources"]
        types = {r["Type"] for r in resources.values()}
        assert not types & {"AWS::DynamoDB::Table", "AWS::EFS::FileSystem", "AWS::Cognito::UserPool"}
        # The one key: the stack's message key, retained with the (retained) queues it encrypts.
        assert [lid for lid, r in resources.items() if r["Type"] == "AWS::KMS::Key"] == (["MessageKey0AD9B42D"] if stage == "prod" else [])


def stacks_referenced(value) -> set[str]:
    """The stacks a template reads outputs of (CDK's weak cross-stack references: Fn::GetStackOutput)."""
    if isinstance(value, dict):
        found = {value["Fn::GetStackOutput"]["StackName"]} if "Fn::GetStackOutput" in value else set()
        return found.union(*(stacks_referenced(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(stacks_referenced(v) for v in value))
    return set()


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_references_flow_network_to_stateful_to_service_and_never_back(templates, stage):
    # The service stack is read by nobody, so it can be destroyed and redeployed without touching data.
    assert stacks_referenced(templates[f"{stage}/Network"]) == set()
    assert stacks_referenced(templates[f"{stage}/Stateful"]) == {f"{stage}-Network"}
    assert stacks_referenced(templates[f"{stage}/Service"]) == {f"{stage}-Alarms", f"{stage}-Network", f"{stage}-Stateful"}
    assert stacks_referenced(templates[f"{stage}/Alarms"]) == set()


def test_resources_are_tagged_with_service_and_stage(templates):
    vpc = next(r for r in templates["prod/Network"]["Resources"].values() if r["Type"] == "AWS::EC2::VPC")
    tags = {tag["Key"]: tag["Value"] for tag in vpc["Properties"]["Tags"]}
    assert tags["service"] == "product-catalog"
    assert tags["stage"] == "prod"


@pytest.fixture(scope="module")
def dev_only(tmp_path_factory, synthesized):
    from tests.conftest import cdk_context, synthesize

    return synthesize(tmp_path_factory.mktemp("dev-only"), {**cdk_context(), "stage": "dev"})


def test_stage_context_value_selects_one_stage(dev_only):
    assert sorted(dev_only.templates) == ["dev/Alarms", "dev/Network", "dev/Service", "dev/Stateful"]


def test_synthesis_is_hermetic_and_byte_identical_on_rerun(dev_only, synthesized):
    for name in dev_only.templates:
        assert json.dumps(dev_only.templates[name], sort_keys=True) == json.dumps(synthesized.templates[name], sort_keys=True), name

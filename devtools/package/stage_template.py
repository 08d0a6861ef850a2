"""The stage as one template: each of its stacks a nested stack, the values they share passed as parameters.

A StackSet (or a Service Catalog product) deploys one template, and names its stacks itself
(``StackSet-<name>-<id>``), so ``Fn::GetStackOutput`` by ``StackNamePrefix`` cannot find them. Here each
member template reads another stack's output from a parameter (``<Stack><OutputName>``), which this
template fills with ``Fn::GetAtt <Stack>.Outputs.<OutputName>`` of its sibling; ``DependsOn`` keeps the
manifest's order. CloudFormation counts every nested stack's resources in one operation (2,500 at most):
a stage above that gets no stage template, and the manifest says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devtools.package.assembly import StackArtifact, StageAssembly
from devtools.package.parameters import ARTIFACT_BUCKET, ARTIFACT_KEY_PREFIX, artifact_key, stage_wide
from devtools.package.template import NESTED_STACK

STAGE_TEMPLATE = "stage.template.json"
MAX_RESOURCES_PER_OPERATION = 2_500


@dataclass(frozen=True)
class StageMember:
    stack: StackArtifact
    template: dict[str, Any]  # packaged with imports as parameters
    file_name: str  # its artifact, <sha256>.json
    imports: dict[str, tuple[str, str]]  # parameter -> (stack id, output name) it reads from a sibling
    resources: int = 0  # its resources and its nested stacks'


def member_key_parameter(stack: StackArtifact) -> str:
    return f"{stack.construct_id}TemplateKey"


def _arguments(member: StageMember) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    for name in sorted(member.template.get("Parameters", {})):
        if name in (ARTIFACT_BUCKET, ARTIFACT_KEY_PREFIX):
            arguments[name] = {"Ref": name}
        elif name in member.imports:
            source, output = member.imports[name]
            arguments[name] = {"Fn::GetAtt": [source, f"Outputs.{output}"]}
    return arguments


def stage_template_entry(stage: StageAssembly, members: list[StageMember]) -> dict[str, Any]:
    """The manifest's ``stage_template`` entry, with the template as ``document`` (none above the operation limit)."""
    total = sum(m.resources for m in members)
    if total > MAX_RESOURCES_PER_OPERATION:
        return {"omitted": f"{total} resources in one operation; CloudFormation allows {MAX_RESOURCES_PER_OPERATION}: "
                           "deploy the stacks one by one (templates/)"}
    parameters = {ARTIFACT_BUCKET: stage_wide(ARTIFACT_BUCKET, stage.stack_name_prefix),
                  ARTIFACT_KEY_PREFIX: stage_wide(ARTIFACT_KEY_PREFIX, stage.stack_name_prefix)}
    resources = {}
    for member in members:
        key = member_key_parameter(member.stack)
        parameters[key] = artifact_key(key, f"the {member.stack.construct_id} stack's template", member.file_name)
        resource: dict[str, Any] = {
            "Type": NESTED_STACK,
            "Properties": {
                "TemplateURL": {"Fn::Sub": f"https://${{{ARTIFACT_BUCKET}}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                                           f"${{{ARTIFACT_KEY_PREFIX}}}${{{key}}}"},
                **({"Parameters": arguments} if (arguments := _arguments(member)) else {}),
            },
            "UpdateReplacePolicy": "Delete",
            "DeletionPolicy": "Delete",  # each member's stateful resources are retained by their own policies
        }
        if member.stack.dependencies:
            resource["DependsOn"] = sorted(member.stack.dependencies)
        resources[member.stack.construct_id] = resource
    document = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"The {stage.stage} stage's stacks ({', '.join(m.stack.construct_id for m in members)}) as nested stacks",
        "Parameters": parameters,
        "Resources": resources,
    }
    return {"template": STAGE_TEMPLATE, "resources": total, "parameters": sorted(parameters),
            "termination_protection": any(m.stack.termination_protection for m in members), "document": document}

"""One template rewritten for the package: code from parameters, other stacks by a name prefix, no bootstrap.

The values replaced are exactly those the assembly's asset manifest names for the stack (the bucket as the
template's ``Fn::Sub`` spells it, each object key, and a nested stack's ``TemplateURL`` built from both),
and the ``Fn::GetStackOutput`` references whose ``StackName`` is a stack of the same stage (by the
``StackNamePrefix`` parameter, or, nested in the stage template, by one parameter per value). The template
is edited as the JSON CloudFormation reads: a troposphere round trip would re-type what CDK wrote (its
template generator drops unknown properties and reorders), for no gain in a value-for-value replacement.
Anything of the bootstrap left afterwards is an error, never a silent leftover.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from devtools.package.assembly import FileAsset, PackageError
from devtools.package.parameters import (
    ARTIFACT_BUCKET,
    ARTIFACT_KEY_PREFIX,
    STACK_NAME_PREFIX,
    artifact_key,
    imported_value,
    stage_wide,
)

NESTED_STACK = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class Artifact:
    asset: FileAsset
    file_name: str  # <sha256>.<ext>, under artifacts/
    key_parameter: str


@dataclass
class Rewritten:
    template: dict[str, Any]
    used: set[str] = field(default_factory=set)  # asset ids the template refers to (itself, not its children)


def _key(artifact: Artifact) -> dict[str, Any]:
    return {"Fn::Sub": f"${{{ARTIFACT_KEY_PREFIX}}}${{{artifact.key_parameter}}}"}


def _url(artifact: Artifact) -> dict[str, Any]:
    # Virtual-hosted style, the form S3 recommends (CDK's path-style URL is deprecated for new buckets).
    return {"Fn::Sub": f"https://${{{ARTIFACT_BUCKET}}}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/"
                       f"${{{ARTIFACT_KEY_PREFIX}}}${{{artifact.key_parameter}}}"}


def _drop_bootstrap_check(template: dict[str, Any], ssm_parameter: str | None) -> None:
    """The ``BootstrapVersion`` parameter (read from the bootstrap's SSM parameter) and the rules that check it."""
    parameters = template.get("Parameters", {})
    bootstrap = [name for name, p in parameters.items() if ssm_parameter and p.get("Default") == ssm_parameter]
    for name in bootstrap:
        del parameters[name]
        rules = template.get("Rules", {})
        for rule in [r for r, body in rules.items() if json.dumps({"Ref": name}) in json.dumps(body)]:
            del rules[rule]
    for section in ("Parameters", "Rules"):
        if section in template and not template[section]:
            del template[section]


def rewrite(
    source: Mapping[str, Any],
    *,
    where: str,
    artifacts: Mapping[str, Artifact],
    stage_stacks: Mapping[str, str],
    region: str | None,
    stack_name_prefix: str,
    bootstrap_version_parameter: str | None,
    child_parameters: Callable[[str], Mapping[str, Any]],
    imports_as_parameters: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The packaged copy of ``source``.

    :param where: names the template in errors (``dev/Service``).
    :param artifacts: asset id -> the artifact it became (zips and rewritten nested templates).
    :param stage_stacks: the stage's CloudFormation stack names -> their construct ids.
    :param region: the stack's region: a reference to another stack in it becomes ``AWS::Region``.
    :param stack_name_prefix: the default of ``StackNamePrefix``.
    :param bootstrap_version_parameter: the SSM parameter the bootstrap version check reads, if any.
    :param child_parameters: asset id of a nested template -> the parameters the package added to it.
    :param imports_as_parameters: if given, read other stacks' outputs from parameters, recorded here as
        parameter -> (stack id, output name) (default: Fn::GetStackOutput by ``StackNamePrefix``), for a
        template nested in the stage template, whose stacks have no names to look up.
    """
    template = copy.deepcopy(dict(source))
    _drop_bootstrap_check(template, bootstrap_version_parameter)
    by_bucket = {a.asset.bucket_name for a in artifacts.values()}
    by_key = {a.asset.object_key: a for a in artifacts.values()}
    used: set[str] = set()
    names_stacks = False
    imports: dict[str, Any] = {}

    def nested_url(value: Any) -> Artifact | None:
        """The artifact a CDK TemplateURL (Join of https://s3.<region>.<suffix>/, the bucket, /<key>) points at."""
        if not (isinstance(value, dict) and set(value) == {"Fn::Join"} and value["Fn::Join"][0] == ""):
            return None
        parts = value["Fn::Join"][1]
        if not any(isinstance(p, dict) and p.get("Fn::Sub") in by_bucket for p in parts) or not isinstance(parts[-1], str):
            return None
        return by_key.get(parts[-1].rpartition("/")[2])

    def visit(value: Any) -> Any:
        nonlocal names_stacks
        if isinstance(value, str):
            if value in by_key:
                used.add(by_key[value].asset.asset_id)
                return _key(by_key[value])
            return value
        if isinstance(value, list):
            return [visit(v) for v in value]
        if not isinstance(value, dict):
            return value
        if (artifact := nested_url(value)) is not None:
            used.add(artifact.asset.asset_id)
            return _url(artifact)
        if set(value) == {"Fn::Sub"} and value["Fn::Sub"] in by_bucket:
            return {"Ref": ARTIFACT_BUCKET}
        if set(value) == {"Fn::GetStackOutput"} and value["Fn::GetStackOutput"].get("StackName") in stage_stacks:
            spec = dict(value["Fn::GetStackOutput"])
            if imports_as_parameters is not None:
                name, declaration = imported_value(stage_stacks[spec["StackName"]], spec["OutputName"])
                imports[name] = declaration
                imports_as_parameters[name] = (stage_stacks[spec["StackName"]], spec["OutputName"])
                return {"Ref": name}
            spec["StackName"] = {"Fn::Sub": f"${{{STACK_NAME_PREFIX}}}{stage_stacks[spec['StackName']]}"}
            if spec.get("Region") == region:
                spec["Region"] = {"Ref": "AWS::Region"}
            names_stacks = True
            return {"Fn::GetStackOutput": {k: visit(v) for k, v in spec.items()}}
        return {k: visit(v) for k, v in value.items()}

    declared: dict[str, Any] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") != NESTED_STACK:
            continue
        artifact = nested_url(resource.get("Properties", {}).get("TemplateURL"))
        if artifact is None:
            continue
        # The child reads the same stage-wide, key and imported parameters: this template declares them and passes them down.
        passed = dict(child_parameters(artifact.asset.asset_id))
        arguments = resource["Properties"].setdefault("Parameters", {})
        clash = sorted(set(passed) & set(arguments))
        if clash:
            raise PackageError(f"{where}/{logical_id}: the nested stack already has parameters {', '.join(clash)}, "
                               "which the package passes down")
        arguments.update({name: {"Ref": name} for name in sorted(passed)})
        declared.update(passed)
    template = visit(template)
    if used:
        declared[ARTIFACT_BUCKET] = stage_wide(ARTIFACT_BUCKET, stack_name_prefix)
        declared[ARTIFACT_KEY_PREFIX] = stage_wide(ARTIFACT_KEY_PREFIX, stack_name_prefix)
    for asset_id in sorted(used):
        artifact = next(a for a in artifacts.values() if a.asset.asset_id == asset_id)
        declared[artifact.key_parameter] = artifact_key(artifact.key_parameter, artifact.asset.display_name, artifact.file_name)
    if names_stacks:
        declared[STACK_NAME_PREFIX] = stage_wide(STACK_NAME_PREFIX, stack_name_prefix)
    declared.update(sorted(imports.items()))
    clash = sorted(set(declared) & set(template.get("Parameters", {})))
    if clash:
        raise PackageError(f"{where}: the template already declares {', '.join(clash)}, a parameter name the package uses")
    if declared:
        template["Parameters"] = {**template.get("Parameters", {}), **declared}
    text = json.dumps(template)
    for bucket in sorted(by_bucket):
        if bucket in text:
            raise PackageError(f"{where}: still refers to the CDK asset bucket {bucket} after packaging "
                               "(a form of asset reference make package does not know)")
    return template

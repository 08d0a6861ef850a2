"""CloudFormation's hard limits as the generator's budgets, with headroom, checked before CloudFormation would refuse.

A budget is crossed at synth with one line naming the stack or group, the count and what to do, never
at deploy time and never as a jsii traceback. Quotas: 500 resources, 1 MB (uploaded via S3), 200
parameters and 200 outputs per template; 2,500 resources per create/update operation across a stack
and its nested stacks; 20 KB per function resource policy.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

# CDK counts every template's resources at synth and refuses above this context value.
STACK_RESOURCE_LIMIT_CONTEXT = "@aws-cdk/core:stackResourceLimit"
RESOURCES_PER_TEMPLATE = 450  # of CloudFormation's 500
TEMPLATE_BYTES = 800 * 1024  # of 1 MB
PARAMETERS_PER_TEMPLATE = 180  # of 200
OUTPUTS_PER_TEMPLATE = 180  # of 200
RESOURCES_PER_OPERATION = 2_250  # of 2,500, a top-level stack with its nested stacks
RESOURCE_POLICY_BYTES = 16 * 1024  # of 20 KB per function

_CDK_TOO_MANY = re.compile(r"Number of resources in stack '([^']+)': (\d+) is greater than allowed maximum of (\d+)")
_WHAT_TO_DO = (
    "give more functions a group of their own (FunctionDeclaration.group), or split a group: each group "
    "is a stack, and its routes a nested stack of the service stack"
)


def resource_budget_error(message: str) -> str | None:
    """CDK's TooManyResourcesInStack error as one line, or None for any other error."""
    found = _CDK_TOO_MANY.search(message)
    if found is None:
        return None
    stack, count, limit = found.groups()
    return f"budget: stack {stack} would hold {count} resources, over the budget of {limit} (CloudFormation allows 500): {_WHAT_TO_DO}"


def assembly_budget_errors(outdir: Path) -> list[str]:
    """One line per budget a synthesized cloud assembly crosses (template size, parameters, outputs,
    resources per deploy operation, function resource policies); empty when all hold."""
    errors: list[str] = []
    for assembly in sorted(p.parent for p in Path(outdir).rglob("manifest.json")):
        manifest = json.loads((assembly / "manifest.json").read_text())
        for artifact in manifest.get("artifacts", {}).values():
            if artifact["type"] == "aws:cloudformation:stack":
                name = artifact.get("displayName") or artifact["properties"].get("stackName")
                errors += _stack_errors(assembly, name, artifact["properties"]["templateFile"])
    return errors


def _stack_errors(assembly: Path, name: str, template_file: str) -> list[str]:
    errors: list[str] = []
    total = 0
    policies: dict[str, int] = defaultdict(int)
    for label, path in _templates_of(assembly, name, assembly / template_file):
        text = path.read_text()
        template: dict[str, Any] = json.loads(text)
        resources = template.get("Resources", {})
        total += len(resources)
        checks = (
            ("bytes", len(text.encode()), TEMPLATE_BYTES, "move functions into a group of their own"),
            ("parameters", len(template.get("Parameters", {})), PARAMETERS_PER_TEMPLATE, "split the group"),
            ("outputs", len(template.get("Outputs", {})), OUTPUTS_PER_TEMPLATE, "split the group"),
        )
        for what, count, budget, remedy in checks:
            if count > budget:
                errors.append(f"budget: template {label} has {count} {what}, over the budget of {budget}: {remedy}")
        for resource in resources.values():
            if resource["Type"] == "AWS::Lambda::Permission":
                target = json.dumps(resource["Properties"].get("FunctionName"), sort_keys=True)
                policies[target] += len(json.dumps(resource["Properties"], sort_keys=True))
    if total > RESOURCES_PER_OPERATION:
        errors.append(
            f"budget: deploying stack {name} creates or updates {total} resources with its nested stacks, over the "
            f"budget of {RESOURCES_PER_OPERATION} (CloudFormation allows 2,500 per operation): {_WHAT_TO_DO}"
        )
    for target, size in sorted(policies.items()):
        if size > RESOURCE_POLICY_BYTES:
            errors.append(
                f"budget: the resource policy of {target} in {name} would be about {size} bytes, over the budget of "
                f"{RESOURCE_POLICY_BYTES} (Lambda allows 20 KB): fewer triggers that each add a permission"
            )
    return errors


def nested_template_files(assembly: Path, template_file: str) -> dict[str, Path]:
    """A stack's nested stacks' template files, by asset hash: CDK writes them as file assets of the stack,
    listed in its ``.assets.json`` (the hash is also in the nested stack resource's TemplateURL)."""
    assets = assembly / template_file.replace(".template.json", ".assets.json")
    if not assets.is_file():
        return {}
    return {
        asset_hash: assembly / asset["source"]["path"]
        for asset_hash, asset in json.loads(assets.read_text()).get("files", {}).items()
        if asset["source"].get("path", "").endswith(".nested.template.json")
    }


def _templates_of(assembly: Path, name: str, template: Path) -> list[tuple[str, Path]]:
    """A stack's template and its nested stacks' templates."""
    nested = nested_template_files(assembly, template.name)
    return [(name, template)] + [(f"{name}/{path.name.removesuffix('.nested.template.json')}", path) for path in nested.values()]

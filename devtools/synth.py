"""Synthesize the app in-process (as app.py does, cdk-nag included) and read the cloud assembly."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def cdk_context() -> dict[str, Any]:
    """A fresh copy of the cdk.json context (callers may change it)."""
    return copy.deepcopy(json.loads((ROOT / "cdk.json").read_text())["context"])


@dataclass(frozen=True)
class Assembly:
    outdir: Path
    templates: dict[str, dict[str, Any]]  # "prod/Service" -> template
    validation_report: dict[str, Any] | None
    synth_error: str | None
    # "prod/Service" -> how the stack is deployed (not in its template): name, environment, protection, tags
    deployments: dict[str, dict[str, Any]] = field(default_factory=dict)


def read_assembly(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every stack template in a cloud assembly (nested stage assemblies included), by display name."""
    templates: dict[str, dict[str, Any]] = {}
    manifest = json.loads((outdir / "manifest.json").read_text())
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact["type"] == "cdk:cloud-assembly":
            templates.update(read_assembly(outdir / artifact["properties"]["directoryName"]))
        elif artifact["type"] == "aws:cloudformation:stack":
            name = artifact.get("displayName", artifact_id)
            templates[name] = json.loads((outdir / artifact["properties"]["templateFile"]).read_text())
            templates.update(_nested_templates(outdir, name, artifact["properties"]["templateFile"], templates[name]))
    return templates


def _nested_templates(outdir: Path, name: str, template_file: str, template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A stack's nested stacks' templates, as ``<stack>/<nested construct id>``."""
    from stacks.budgets import nested_template_files

    nested_stacks = {lid: json.dumps(r["Properties"].get("TemplateURL")) for lid, r in template.get("Resources", {}).items()
                     if r["Type"] == "AWS::CloudFormation::Stack"}
    found = {}
    for asset_hash, path in nested_template_files(outdir, template_file).items():
        (logical_id,) = [lid for lid, url in nested_stacks.items() if asset_hash in url]
        # CDK names the resource <id>NestedStack<id>NestedStackResource<hash>: the id is the stack's name.
        found[f"{name}/{logical_id.split('NestedStack', 1)[0]}"] = json.loads(path.read_text())
    return found


def read_deployments(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every stack's deployment properties from the cloud assembly manifests, by display name."""
    deployments: dict[str, dict[str, Any]] = {}
    manifest = json.loads((outdir / "manifest.json").read_text())
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact["type"] == "cdk:cloud-assembly":
            deployments.update(read_deployments(outdir / artifact["properties"]["directoryName"]))
        elif artifact["type"] == "aws:cloudformation:stack":
            properties = artifact["properties"]
            deployments[artifact.get("displayName", artifact_id)] = {
                "StackName": properties.get("stackName", artifact_id),
                "Environment": artifact.get("environment"),
                "TerminationProtection": bool(properties.get("terminationProtection", False)),
                "Tags": properties.get("tags", {}),
            }
            template = json.loads((outdir / properties["templateFile"]).read_text())
            for nested in _nested_templates(outdir, artifact.get("displayName", artifact_id), properties["templateFile"], template):
                # Deployed with (and only through) its parent: it has no properties of its own.
                deployments[nested] = {"NestedStackOf": artifact.get("displayName", artifact_id)}
    return deployments


def synthesize(outdir: Path, context: dict[str, Any] | None = None, build: Callable[[Any], Any] | None = None) -> Assembly:
    """Build and synthesize the app into ``outdir``; cdk-nag findings are returned, not raised.

    :param build: adds the stages to the App (default: app.build_app, the stages in cdk.json).
    """
    from aws_cdk import App

    from app import build_app

    app = App(outdir=str(outdir), context=cdk_context() if context is None else context,
              builtin_cloud_formation_validation=False)
    (build or build_app)(app)
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings fail synth; the assembly and report are still written
        error = str(exc)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return Assembly(outdir, read_assembly(outdir), report, error, read_deployments(outdir))

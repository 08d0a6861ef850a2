"""Shared fixtures: the app is synthesized ONCE per test session, with the cdk.json configuration."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = json.loads((ROOT / "cdk.json").read_text())
# A template cfn-lint must reject: linted in the same run as ours, it proves the check can fail.
CFN_LINT_CANARY = {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "FREE"}}}}


def cdk_context() -> dict[str, Any]:
    """A fresh copy of the cdk.json context (tests may change it)."""
    return copy.deepcopy(CDK_JSON["context"])


@dataclass(frozen=True)
class SynthesizedApp:
    outdir: Path
    templates: dict[str, dict[str, Any]]  # "prod/Service" -> template
    validation_report: dict[str, Any] | None
    synth_error: str | None
    cfn_lint: subprocess.Popen | None = None

    def template(self, stage: str, stack: str) -> dict[str, Any]:
        return self.templates[f"{stage}/{stack}"]


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
    return templates


def synthesize(outdir: Path, context: dict[str, Any]) -> SynthesizedApp:
    """Build and synthesize the app as app.py does (cdk-nag included) into ``outdir``."""
    from aws_cdk import App

    from app import build_app

    app = App(outdir=str(outdir), context=context, builtin_cloud_formation_validation=False)
    build_app(app)
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # cdk-nag findings fail synth; the assembly and report are still written
        error = str(exc)
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return SynthesizedApp(outdir, read_assembly(outdir), report, error)


def start_cfn_lint(outdir: Path) -> subprocess.Popen:
    """cfn-lint over every template (and the canary), as people run it, in the background."""
    canary = outdir / "cfn-lint-canary.json"
    canary.write_text(json.dumps(CFN_LINT_CANARY))
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(ROOT / ".cfnlintrc.yaml"),
         "--format", "parseable", *map(str, sorted(outdir.glob("assembly-*/*.template.json"))), str(canary)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthesizedApp]:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = synthesize(outdir, cdk_context())
    # cfn-lint takes ~10 s: it runs on the other core while the rest of the suite goes on.
    linting = start_cfn_lint(outdir)
    yield SynthesizedApp(app.outdir, app.templates, app.validation_report, app.synth_error, linting)
    linting.kill()


@pytest.fixture(scope="session")
def templates(synthesized: SynthesizedApp) -> dict[str, dict[str, Any]]:
    return synthesized.templates


@pytest.fixture(scope="session")
def assertions() -> Iterator[Any]:
    from aws_cdk.assertions import Template

    cache: dict[str, Any] = {}

    def for_stack(synthesized_app: SynthesizedApp, stage: str, stack: str) -> Any:
        key = f"{stage}/{stack}"
        if key not in cache:
            cache[key] = Template.from_json(synthesized_app.template(stage, stack))
        return cache[key]

    yield for_stack


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources_of(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))

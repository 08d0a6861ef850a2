"""The release plan of a change: which functions publish a new version, and how CodeDeploy will ship each.

Read from the *raw* synthesized templates of base and head (the snapshots hide asset hashes on
purpose). CDK names a function's version ``CurrentVersion<hash of code and configuration>``: when that
logical id changes, CloudFormation publishes a new version and CodeDeploy shifts the alias to it.
The base is synthesized from a git revision in a temporary worktree, with the project's own venv.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from devtools.synth import ROOT, read_assembly

CONFIGS = re.compile(r"CodeDeployDefault\.Lambda(?:(AllAtOnce)|Canary(\d+)Percent(\d+)Minutes?|Linear(\d+)PercentEvery(\d+)Minutes?)")


@dataclass(frozen=True)
class Release:
    stage: str
    function: str  # logical id of the function
    deployment_config: str
    in_words: str
    shift_minutes: int
    alarms: tuple[str, ...] = ()
    hooks: tuple[str, ...] = ()
    first_deployment: bool = False
    # The stack of its stage the function leaves: CloudFormation creates it anew in the other one.
    moved_from: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_config(name: str) -> tuple[str, int]:
    """``CodeDeployDefault.LambdaCanary10Percent5Minutes`` -> ("10 % for 5 minutes, then 100 %", 5)."""
    match = CONFIGS.fullmatch(name)
    if not match:
        return f"{name} (a custom configuration)", 0
    if match.group(1):
        return "all traffic at once", 0
    if match.group(2):
        percent, minutes = int(match.group(2)), int(match.group(3))
        return f"{percent} % for {minutes} minutes, then 100 %", minutes
    percent, minutes = int(match.group(4)), int(match.group(5))
    steps = -(-100 // percent)
    return f"{percent} % more every {minutes} minutes ({steps} steps)", (steps - 1) * minutes


@dataclass
class StackFunctions:
    """The CodeDeploy-released functions of a template: alias -> version, group, hooks, alarms."""

    template: dict[str, Any]
    versions: dict[str, str] = field(default_factory=dict)  # function logical id -> version logical id

    def releases(self, stage: str, base_versions: Mapping[str, str]) -> list[Release]:
        resources = self.template.get("Resources", {})
        found = []
        for alias in resources.values():
            if alias["Type"] != "AWS::Lambda::Alias" or "CodeDeployLambdaAliasUpdate" not in alias.get("UpdatePolicy", {}):
                continue
            function_id = alias["Properties"]["FunctionName"]["Ref"]
            version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
            self.versions[function_id] = version_id
            if base_versions.get(function_id) == version_id:
                continue
            update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
            group = resources[update["DeploymentGroupName"]["Ref"]]["Properties"]
            config = group.get("DeploymentConfigName", "CodeDeployDefault.LambdaAllAtOnce")
            in_words, minutes = describe_config(config)
            alarms = tuple(
                resources.get(a["Name"].get("Ref", ""), {}).get("Properties", {}).get("AlarmDescription", a["Name"].get("Ref", "?"))
                for a in group.get("AlarmConfiguration", {}).get("Alarms", [])
            )
            hooks = tuple(
                f"{phase}: {update[key]['Ref']}" for phase, key in (("before traffic", "BeforeAllowTrafficHook"), ("after traffic", "AfterAllowTrafficHook"))
                if key in update
            )
            found.append(Release(stage, function_id, config.removeprefix("CodeDeployDefault.Lambda"), in_words, minutes, alarms, hooks,
                                 first_deployment=function_id not in base_versions))
        return sorted(found, key=lambda r: r.function)


def versions_of(template: dict[str, Any]) -> dict[str, str]:
    functions = StackFunctions(template)
    functions.releases("", {})
    return functions.versions


def release_plan(base: Mapping[str, dict[str, Any]], head: Mapping[str, dict[str, Any]]) -> dict[str, list[Release]]:
    """Per stage, the releases this change makes (raw templates by display name, e.g. ``prod/Service``)."""
    plan: dict[str, list[Release]] = {}
    for name in sorted(head):
        stage = name.split("/")[0]
        plan.setdefault(stage, [])
        releases = StackFunctions(head[name]).releases(stage, versions_of(base.get(name, {})))
        plan[stage] += [replace(r, moved_from=_moved_from(r.function, name, base)) if r.first_deployment else r for r in releases]
    return plan


def _moved_from(function_id: str, stack: str, base: Mapping[str, dict[str, Any]]) -> str | None:
    """The other stack of the same stage that released this function before, if any."""
    stage = stack.split("/")[0]
    return next((other for other in sorted(base) if other != stack and other.split("/")[0] == stage
                 and function_id in versions_of(base[other])), None)


def plan_markdown(plan: Mapping[str, list[Release]]) -> list[str]:
    lines = ["## Release plan", ""]
    for stage, releases in plan.items():
        lines += [f"### {stage}", ""]
        if not releases:
            lines += ["No new function version: nothing is released through CodeDeploy.", ""]
            continue
        for release in releases:
            if release.moved_from:
                lines.append(f"- `{release.function}`: moved from `{release.moved_from}`: created anew in its new stack, its "
                             "first version takes all traffic at once (no CodeDeploy shift), and the old function is deleted.")
                continue
            if release.first_deployment:
                lines.append(f"- `{release.function}`: new function; its first version takes all traffic when the stack is created.")
                continue
            lines.append(f"- `{release.function}`: new version, {release.deployment_config}: {release.in_words}"
                         f" (traffic shift ≈ {release.shift_minutes} min)")
            lines += [f"  - rolls back on: {alarm}" for alarm in release.alarms]
            lines += [f"  - hook {hook}" for hook in release.hooks]
        lines.append("")
    return lines


def _package_paths(worktree: Path) -> dict[str, str]:
    """The worktree's import names -> folders (pyproject's package-dir mapping), so its own code is imported."""
    pyproject = tomllib.loads((worktree / "pyproject.toml").read_text())
    return pyproject.get("tool", {}).get("setuptools", {}).get("package-dir", {})


def raw_templates_at(ref: str) -> dict[str, dict[str, Any]]:
    """Synthesize the app as it was at git revision ``ref`` (in a temporary worktree); raw templates by name."""
    with tempfile.TemporaryDirectory(prefix="review-base.") as scratch:
        worktree = Path(scratch) / "worktree"
        subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(worktree), ref], cwd=ROOT, check=True, capture_output=True)
        try:
            # The bundle cache is content-addressed: sharing it makes the base synth as fast as a warm one.
            (worktree / ".cache").symlink_to(ROOT / ".cache", target_is_directory=True)
            shim = Path(scratch) / "imports"
            shim.mkdir()
            for name, folder in _package_paths(worktree).items():
                (shim / name).symlink_to(worktree / folder, target_is_directory=True)
            out = Path(scratch) / "cdk.out"
            # The CLI passes cdk.json's context (feature flags included) to the app this way.
            context = json.loads((worktree / "cdk.json").read_text()).get("context", {})
            env = {**os.environ, "CDK_OUTDIR": str(out), "PYTHONPATH": os.pathsep.join([str(shim), str(worktree)]),
                   "CDK_CONTEXT_JSON": json.dumps(context), "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
            result = subprocess.run([sys.executable, "app.py"], check=False, cwd=worktree, env=env, capture_output=True, text=True)
            if not (out / "manifest.json").exists():
                raise RuntimeError(f"could not synthesize {ref}: {result.stderr.strip()[-2000:]}")
            return read_assembly(out)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], check=False, cwd=ROOT, capture_output=True)
            shutil.rmtree(worktree, ignore_errors=True)


def plan_json(plan: Mapping[str, list[Release]]) -> dict[str, list[dict[str, Any]]]:
    return {stage: [release.as_dict() for release in releases] for stage, releases in plan.items()}


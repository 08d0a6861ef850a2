"""Template snapshots for review: one normalized, sorted JSON file per stack per stage.

The command line (make snapshot-update, make review) is devtools/review/cli.py.

Normalization removes only what changes without any infrastructure change: asset hashes (S3 keys,
asset metadata), the content hash CDK appends to ``CurrentVersion…`` and API ``Deployment…``
logical ids, the bootstrap version parameter and rule, and ``AWS::CDK::Metadata``.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from devtools.synth import ROOT

SNAPSHOT_DIR = ROOT / "tests" / "snapshots"
ACKNOWLEDGEMENTS = SNAPSHOT_DIR / "acknowledged-replacements.json"
_ASSET_KEY = re.compile(r"^[0-9a-f]{64}\.(zip|json)$")
# CDK adds a content hash to these logical ids so each change makes a new resource; the prefix
# (construct path + its 8-character path hash) is stable.
_CONTENT_HASHED_ID = re.compile(r"((?:CurrentVersion|Deployment)[0-9A-F]{8})[0-9a-f]{32,40}\b")


def snapshot_name(stack: str) -> str:
    """``prod/Service`` -> ``prod-Service.json``."""
    return stack.replace("/", "-") + ".json"


def stack_name(stem: str) -> str:
    """``prod-Service`` -> ``prod/Service`` (stage names may contain "-", stack names do not)."""
    stage, _, stack = stem.rpartition("-")
    return f"{stage}/{stack}"


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    """The template without build noise (see the module docstring), every hash-suffixed id stabilized."""
    text = _CONTENT_HASHED_ID.sub(r"\1<hash>", json.dumps(template))
    result = json.loads(text)
    resources = {
        lid: resource for lid, resource in result.get("Resources", {}).items() if resource["Type"] != "AWS::CDK::Metadata"
    }
    for resource in resources.values():
        metadata = resource.get("Metadata", {})
        for key in [k for k in metadata if k.startswith("aws:asset:")]:
            del metadata[key]
        if "Metadata" in resource and not metadata:
            del resource["Metadata"]
        code = resource.get("Properties", {}).get("Code") or resource.get("Properties", {}).get("Content")
        if isinstance(code, dict) and isinstance(code.get("S3Key"), str) and _ASSET_KEY.match(code["S3Key"]):
            code["S3Key"] = "<asset>." + code["S3Key"].rsplit(".", 1)[1]
    result["Resources"] = resources
    result.get("Parameters", {}).pop("BootstrapVersion", None)
    result.get("Rules", {}).pop("CheckBootstrapVersion", None)
    result.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    for section in ("Parameters", "Rules", "Conditions"):
        if section in result and not result[section]:
            del result[section]
    return result


# The snapshot key holding what the template does not: how the stack is deployed (termination
# protection, environment, tags), so a review sees those change too.
DEPLOYMENT = "Deployment"


def snapshot(template: dict[str, Any], deployment: dict[str, Any] | None = None) -> dict[str, Any]:
    """The normalized template, with the stack's deployment properties beside it."""
    result = normalize(template)
    if deployment is not None:
        result[DEPLOYMENT] = deployment
    return result


def dump(template: dict[str, Any], deployment: dict[str, Any] | None = None) -> str:
    return json.dumps(snapshot(template, deployment), indent=2, sort_keys=True) + "\n"


def load_snapshots(directory: Path = SNAPSHOT_DIR) -> dict[str, dict[str, Any]]:
    """Committed snapshots by stack name (``prod/Service``)."""
    return {
        stack_name(path.stem): json.loads(path.read_text())
        for path in sorted(directory.glob("*.json"))
        if path != ACKNOWLEDGEMENTS
    }


def load_snapshots_at(ref: str) -> dict[str, dict[str, Any]]:
    """The snapshots as committed at git revision ``ref``."""
    relative = SNAPSHOT_DIR.relative_to(ROOT).as_posix()
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", ref, f"{relative}/"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    snapshots = {}
    for name in names:
        if name.endswith(".json") and not name.endswith(ACKNOWLEDGEMENTS.name):
            text = subprocess.run(["git", "show", f"{ref}:{name}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
            snapshots[stack_name(Path(name).stem)] = json.loads(text)
    return snapshots


def current_snapshots() -> dict[str, dict[str, Any]]:
    """Synthesize now and normalize every stack."""
    return current_synth()[0]


def current_synth() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Synthesize now: (snapshots, raw templates) of every stack."""
    from devtools.synth import synthesize

    with tempfile.TemporaryDirectory(prefix="cdk.out.") as outdir:
        assembly = synthesize(Path(outdir))
    snapshots = {name: snapshot(template, assembly.deployments.get(name)) for name, template in assembly.templates.items()}
    return snapshots, assembly.templates


def write_snapshots(snapshots: dict[str, dict[str, Any]], directory: Path = SNAPSHOT_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, template in snapshots.items():
        path = directory / snapshot_name(name)
        text = json.dumps(template, indent=2, sort_keys=True) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    for stale in set(directory.glob("*.json")) - {directory / snapshot_name(n) for n in snapshots} - {ACKNOWLEDGEMENTS}:
        stale.unlink()
        written.append(stale)
    return written

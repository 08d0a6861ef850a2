"""One stage of a cloud assembly as the package needs it: its stacks in deployment order, and their file assets.

Everything comes from the assembly's manifests, the CDK's own record of what ``cdk deploy`` would do:
``manifest.json`` names each stack (its template, CloudFormation name, environment, dependencies,
termination protection, tags) and ``<stack>.assets.json`` each file asset it publishes (the source in the
assembly, and the bucket and key the template refers to it by).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class PackageError(Exception):
    """The assembly cannot be packaged; the message is one line naming what and why."""


@dataclass(frozen=True)
class FileAsset:
    asset_id: str
    display_name: str
    source: Path
    packaging: str  # "zip": a directory zipped at publishing; "file": published as it is
    bucket_name: str  # as the template's Fn::Sub names it, e.g. cdk-hnb659fds-assets-${AWS::AccountId}-eu-west-1
    object_key: str


@dataclass(frozen=True)
class StackArtifact:
    artifact_id: str
    display_name: str  # dev/Service
    construct_id: str  # Service
    stack_name: str  # dev-Service
    template_file: Path
    region: str | None
    dependencies: tuple[str, ...]  # construct ids of the stage's stacks deployed before this one
    termination_protection: bool
    tags: dict[str, str]
    assets: tuple[FileAsset, ...]  # every file asset of the stack and its nested stacks, not its own template
    bootstrap_version_parameter: str | None  # the SSM parameter the template's bootstrap check reads


@dataclass(frozen=True)
class StageAssembly:
    stage: str
    directory: Path
    stacks: tuple[StackArtifact, ...]  # in deployment order
    stack_name_prefix: str  # what the CDK puts before each stack's construct id (dev-)


def _region(environment: str | None) -> str | None:
    # aws://<account>/<region>, with unknown-account / unknown-region for environment-agnostic stacks
    region = (environment or "").rpartition("/")[2]
    return None if not region or region.startswith("unknown-") else region


def _file_assets(directory: Path, manifest_file: str, template_file: str) -> tuple[FileAsset, ...]:
    manifest = json.loads((directory / manifest_file).read_text())
    if manifest.get("dockerImages"):
        raise PackageError(f"{manifest_file}: container image assets are not supported by make package "
                           f"(found {', '.join(sorted(manifest['dockerImages']))}); only file and directory assets are")
    assets = []
    for asset_id, asset in sorted(manifest.get("files", {}).items()):
        if asset["source"]["path"] == template_file:
            continue  # the stack's own template: the package ships it as a template, not an artifact
        (destination,) = asset["destinations"].values()
        assets.append(FileAsset(
            asset_id=asset_id, display_name=asset.get("displayName", asset_id),
            source=(directory / asset["source"]["path"]).resolve(), packaging=asset["source"].get("packaging", "file"),
            bucket_name=destination["bucketName"], object_key=destination["objectKey"],
        ))
    return tuple(assets)


def _deployment_order(stacks: dict[str, StackArtifact]) -> tuple[StackArtifact, ...]:
    """Dependencies first; otherwise the assembly's own order (stable across runs)."""
    ordered: list[StackArtifact] = []
    pending = list(stacks.values())
    while pending:
        ready = next((s for s in pending if all(d in {o.construct_id for o in ordered} for d in s.dependencies)), None)
        if ready is None:
            raise PackageError(f"stacks {', '.join(s.display_name for s in pending)}: their dependencies form a cycle")
        ordered.append(ready)
        pending.remove(ready)
    return tuple(ordered)


def read_stage(outdir: Path, stage: str) -> StageAssembly:
    """The stage ``stage`` of the cloud assembly in ``outdir`` (a cdk.out)."""
    root = json.loads((outdir / "manifest.json").read_text())
    nested = {a.get("displayName", a["properties"]["directoryName"].removeprefix("assembly-")): a["properties"]["directoryName"]
              for a in root.get("artifacts", {}).values() if a["type"] == "cdk:cloud-assembly"}
    if stage not in nested:
        raise PackageError(f"stage: {stage!r} is not in {outdir}; the assembly has {', '.join(sorted(nested)) or 'no stage'}")
    directory = outdir / nested[stage]
    artifacts: dict[str, Any] = json.loads((directory / "manifest.json").read_text())["artifacts"]
    by_id = {artifact_id: a for artifact_id, a in artifacts.items() if a["type"] == "aws:cloudformation:stack"}
    stacks: dict[str, StackArtifact] = {}
    for artifact_id, artifact in by_id.items():
        properties = artifact["properties"]
        display_name = artifact.get("displayName", artifact_id)
        asset_manifests = [artifacts[d]["properties"]["file"] for d in artifact.get("dependencies", [])
                           if artifacts.get(d, {}).get("type") == "cdk:asset-manifest"]
        stacks[artifact_id] = StackArtifact(
            artifact_id=artifact_id, display_name=display_name, construct_id=display_name.rpartition("/")[2],
            stack_name=properties.get("stackName", artifact_id), template_file=directory / properties["templateFile"],
            region=_region(artifact.get("environment")),
            dependencies=tuple(by_id[d].get("displayName", d).rpartition("/")[2] for d in artifact.get("dependencies", []) if d in by_id),
            termination_protection=bool(properties.get("terminationProtection", False)),
            tags=dict(sorted(properties.get("tags", {}).items())),
            assets=tuple(a for manifest in asset_manifests for a in _file_assets(directory, manifest, properties["templateFile"])),
            bootstrap_version_parameter=properties.get("bootstrapStackVersionSsmParameter"),
        )
    prefixes = {s.stack_name.removesuffix(s.construct_id) for s in stacks.values() if s.stack_name.endswith(s.construct_id)}
    if len(prefixes) != 1 or not all(s.stack_name.endswith(s.construct_id) for s in stacks.values()):
        names = ", ".join(f"{s.display_name}={s.stack_name}" for s in stacks.values())
        raise PackageError(f"stack names: {names} do not share one prefix before their construct ids; "
                           "the package names stacks <StackNamePrefix><construct id>")
    return StageAssembly(stage=stage, directory=directory, stacks=_deployment_order(stacks), stack_name_prefix=prefixes.pop())

"""dist/<stage>/ from a synthesized cloud assembly: templates, content-named artifacts and manifest.json.

    dist/<stage>/manifest.json                    stacks in deployment order, parameters, artifacts (SHA-256)
    dist/<stage>/templates/<Stack>.template.json  one per top-level stack, deployed with CloudFormation
    dist/<stage>/artifacts/<sha256>.zip|.json     function code and nested templates, uploaded to S3 as they are
    dist/<stage>/stage.template.json              the same stacks nested in one template (StackSets, Service Catalog)

Every file is a function of the assembly's content only (sorted keys, no paths, times or versions of the
machine), so two runs, on two machines, write the same bytes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from devtools.package.archive import sha256, zip_directory
from devtools.package.assembly import PackageError, StackArtifact, StageAssembly, read_stage
from devtools.package.parameters import STAGE_WIDE, artifact_key_names, stage_wide
from devtools.package.stage_template import (
    STAGE_TEMPLATE,
    StageMember,
    member_key_parameter,
    stage_template_entry,
)
from devtools.package.template import Artifact, rewrite

FORMAT = 1
# CloudFormation quotas a packaged template must stay within (the package adds parameters).
MAX_PARAMETERS = 200
MAX_TEMPLATE_BYTES = 1_000_000
# Above this a template cannot be passed inline (TemplateBody): deploy it from S3 (--s3-bucket / TemplateURL).
MAX_INLINE_TEMPLATE_BYTES = 51_200


def dumps(document: Any) -> bytes:
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode()


def _is_template(source: Path) -> bool:
    return source.is_file() and source.name.endswith(".template.json")


class _StackPackager:
    """The packaged templates and artifacts of one top-level stack (its nested templates included)."""

    def __init__(self, stage: StageAssembly, stack: StackArtifact, zips: dict[Path, bytes], *,
                 imports_as_parameters: bool = False) -> None:
        self.stage, self.stack, self.zips = stage, stack, zips
        # parameter -> (stack id, output name) of the values read from parameters (none: by StackNamePrefix)
        self.imports: dict[str, tuple[str, str]] | None = {} if imports_as_parameters else None
        self.assets = {a.asset_id: a for a in stack.assets}
        self.key_names = artifact_key_names({a.asset_id: a.display_name for a in stack.assets}, stack.display_name)
        self.files: dict[str, bytes] = {}  # artifact file name -> bytes
        self.artifacts: dict[str, Artifact] = {}
        self.parameters: dict[str, dict[str, Any]] = {}  # nested template's asset id -> the parameters the package added
        self.nested: list[dict[str, Any]] = []

    def _artifact(self, asset_id: str) -> Artifact:
        if asset_id not in self.artifacts:
            asset = self.assets[asset_id]
            if asset.packaging == "zip" or asset.source.is_dir():
                if asset.source not in self.zips:
                    self.zips[asset.source] = zip_directory(asset.source)
                data, suffix = self.zips[asset.source], ".zip"
            elif _is_template(asset.source):
                data, suffix = self._nested_template(asset_id), ".json"
            else:
                data, suffix = asset.source.read_bytes(), "".join(asset.source.suffixes[-1:])
            name = f"{sha256(data)}{suffix}"
            self.files[name] = data
            self.artifacts[asset_id] = Artifact(asset, name, self.key_names[asset_id])
        return self.artifacts[asset_id]

    def _nested_template(self, asset_id: str) -> bytes:
        asset = self.assets[asset_id]
        source = json.loads(asset.source.read_text())
        template = self.rewritten(source, f"{self.stack.display_name}/{asset.display_name}", None)
        self.parameters[asset_id] = {k: v for k, v in template.get("Parameters", {}).items() if k not in source.get("Parameters", {})}
        data = dumps(template)
        self.nested.append({"source": asset.display_name, "file": f"artifacts/{sha256(data)}.json",
                            "parameters": sorted(template.get("Parameters", {}))})
        return data

    def rewritten(self, template: dict[str, Any], where: str, bootstrap: str | None) -> dict[str, Any]:
        text = json.dumps(template)
        # Artifacts first (bottom-up): a nested template's key defaults to the hash of its packaged bytes.
        for asset_id, asset in sorted(self.assets.items()):
            if asset.object_key in text:
                self._artifact(asset_id)
        packaged = rewrite(
            template, where=where, artifacts={i: a for i, a in self.artifacts.items() if a.asset.object_key in text},
            stage_stacks={s.stack_name: s.construct_id for s in self.stage.stacks}, region=self.stack.region,
            stack_name_prefix=self.stage.stack_name_prefix, bootstrap_version_parameter=bootstrap,
            child_parameters=lambda child: self.parameters[child], imports_as_parameters=self.imports,
        )
        _check_quotas(where, packaged)
        return packaged


def _check_quotas(where: str, template: dict[str, Any]) -> None:
    count = len(template.get("Parameters", {}))
    if count > MAX_PARAMETERS:
        raise PackageError(f"{where}: {count} parameters once packaged; CloudFormation allows {MAX_PARAMETERS} "
                           "(fewer distinct code assets per stack, e.g. smaller function groups)")
    size = len(dumps(template))
    if size > MAX_TEMPLATE_BYTES:
        raise PackageError(f"{where}: {size} bytes once packaged; CloudFormation allows {MAX_TEMPLATE_BYTES}")


def _clear(target: Path) -> None:
    """Empty ``target`` if it holds a previous package (never a directory that is not one)."""
    _check_target(target)
    if target.exists():
        shutil.rmtree(target)


def _check_target(target: Path) -> None:
    if target.exists() and any(target.iterdir()) and not (target / "manifest.json").is_file():
        raise PackageError(f"--out: {target} is not empty and holds no package (manifest.json); choose an empty directory")


def write_package(outdir: Path, stage_name: str, target: Path, zips: dict[Path, bytes] | None = None) -> dict[str, Any]:
    """Package the stage ``stage_name`` of the cloud assembly ``outdir`` into ``target``; returns the manifest.

    :param zips: asset directory -> its zip, shared by calls that package the same assembly (default: zip afresh).
    """
    _check_target(target)  # before the work, not after it
    stage = read_stage(outdir, stage_name)
    zips = {} if zips is None else zips
    files: dict[str, bytes] = {}
    stacks, artifacts = [], {}
    for stack in stage.stacks:
        packager = _StackPackager(stage, stack, zips)
        template = packager.rewritten(json.loads(stack.template_file.read_text()), stack.display_name,
                                      stack.bootstrap_version_parameter)
        data = dumps(template)
        template_file = f"templates/{stack.construct_id}.template.json"
        files[template_file] = data
        for name, content in packager.files.items():
            files[f"artifacts/{name}"] = content
        for artifact in packager.artifacts.values():
            entry = artifacts.setdefault(f"artifacts/{artifact.file_name}", {
                "file": f"artifacts/{artifact.file_name}", "sha256": artifact.file_name.partition(".")[0],
                "bytes": len(packager.files[artifact.file_name]), "used_by": {},
            })
            entry["used_by"][stack.construct_id] = {"key_parameter": artifact.key_parameter, "source": artifact.asset.display_name}
        stacks.append({
            "id": stack.construct_id,
            "stack_name": stack.stack_name,
            "template": template_file,
            "sha256": sha256(data),
            "bytes": len(data),
            "inline": len(data) <= MAX_INLINE_TEMPLATE_BYTES,
            "depends_on": list(stack.dependencies),
            "parameters": {name: {k: v for k, v in p.items() if k != "Description"}
                           for name, p in sorted(template.get("Parameters", {}).items())},
            "capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            "termination_protection": stack.termination_protection,
            "tags": stack.tags,
            "nested_stacks": sorted(packager.nested, key=lambda n: n["file"]),
        })
    # The same stacks nested in one stage template (a StackSet, or Service Catalog, deploys one template):
    # each reads the others' outputs from parameters the stage template fills from their Outputs.
    members, stage_files, stage_uses = [], {}, []
    for stack in stage.stacks:
        packager = _StackPackager(stage, stack, zips, imports_as_parameters=True)
        template = packager.rewritten(json.loads(stack.template_file.read_text()), f"{stack.display_name} (stage template)",
                                      stack.bootstrap_version_parameter)
        data = dumps(template)
        nested = [json.loads(content) for name, content in packager.files.items() if name.endswith(".json")]
        members.append(StageMember(stack, template, f"{sha256(data)}.json", packager.imports or {},
                                   len(template["Resources"]) + sum(len(t.get("Resources", {})) for t in nested)))
        stage_files[f"artifacts/{members[-1].file_name}"] = data
        stage_files.update({f"artifacts/{name}": content for name, content in packager.files.items()})
        stage_uses.append((members[-1].file_name, "stage template", member_key_parameter(stack), f"{stack.construct_id} stack"))
        stage_uses += [(a.file_name, f"stage template/{stack.construct_id}", a.key_parameter, a.asset.display_name)
                       for a in packager.artifacts.values()]
    stage_entry = stage_template_entry(stage, members)
    if "document" in stage_entry:
        files[STAGE_TEMPLATE] = dumps(stage_entry.pop("document"))
        stage_entry["sha256"] = sha256(files[STAGE_TEMPLATE])
        files.update(stage_files)
        for file_name, user, key_parameter, source in stage_uses:
            entry = artifacts.setdefault(f"artifacts/{file_name}", {
                "file": f"artifacts/{file_name}", "sha256": file_name.partition(".")[0],
                "bytes": len(files[f"artifacts/{file_name}"]), "used_by": {},
            })
            entry["used_by"][user] = {"key_parameter": key_parameter, "source": source}
    manifest = {
        "format": FORMAT,
        "stage": stage.stage,
        "parameters": {name: stage_wide(name, stage.stack_name_prefix) for name in STAGE_WIDE},
        "stacks": stacks,
        "stage_template": stage_entry,
        "artifacts": [artifacts[name] for name in sorted(artifacts)],
    }
    _clear(target)
    for name, content in sorted({**files, "manifest.json": dumps(manifest)}.items()):
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return manifest

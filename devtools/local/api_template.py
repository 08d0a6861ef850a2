"""The service's REST API as one template, wherever its parts were synthesized.

A service with function groups (FunctionDeclaration.group) has one REST API in ``<stage>/Service``,
but a group's resources and methods live in a nested stack of that stack (its template a
``*.nested.template.json`` asset, its parameters the parent's API ids), and the aliases its methods
invoke live in the group's own stack (``<stage>/<Group>Functions``), reached by ``Fn::GetStackOutput``.
``load_api_template`` inlines all of that into the Service template, so `make serve` reads every
method of the API as if there were only one stack:

- a nested stack's resources join under ``<NestedStackLogicalId>/<id>``, its parameters replaced by
  what the parent passes (``{"Ref": "ProductApiRestApi…"}``, ``{"Fn::GetAtt": [..., "RootResourceId"]}``);
- ``Fn::GetStackOutput`` becomes the named stack's output value, that stack's resources joining
  under ``<StackName>/<id>`` (left as it is when that stack is not in the assembly).

A stage without groups comes back unchanged (same logical ids), so a Service template copied out of
its assembly still serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

NESTED_STACK = "AWS::CloudFormation::Stack"


def service_template(assembly: Path, stage: str = "dev") -> Path:
    """The ``<stage>/Service`` template file of a stage's assembly directory (never a nested one)."""
    for artifact in _stack_artifacts(assembly):
        if artifact.get("displayName") == f"{stage}/Service":
            return assembly / artifact["properties"]["templateFile"]
    raise FileNotFoundError(f"no {stage}/Service stack in {assembly}")


def load_api_template(path: Path) -> dict[str, Any]:
    """The template at ``path`` with its nested stacks and the stacks its outputs come from inlined."""
    return _Inliner(path.parent).root(json.loads(path.read_text()), label=path.name)


def _stack_artifacts(assembly: Path) -> list[dict[str, Any]]:
    manifest = assembly / "manifest.json"
    if not manifest.is_file():
        return []
    artifacts = json.loads(manifest.read_text()).get("artifacts", {}).values()
    return [a for a in artifacts if a["type"] == "aws:cloudformation:stack"]


class _Inliner:
    def __init__(self, assembly: Path) -> None:
        self._assembly = assembly
        self._stacks = {a["properties"].get("stackName"): assembly / a["properties"]["templateFile"] for a in _stack_artifacts(assembly)}
        # A nested template is published as an asset under its hash; TemplateURL names that object key.
        self._by_object_key: dict[str, Path] = {}
        for assets in assembly.glob("*.assets.json"):
            for asset in json.loads(assets.read_text()).get("files", {}).values():
                for destination in asset.get("destinations", {}).values():
                    self._by_object_key[destination["objectKey"]] = assembly / asset["source"]["path"]
        self._resources: dict[str, Any] = {}
        self._outputs: dict[str, dict[str, Any]] = {}  # stack name -> its Outputs, already rewritten

    def root(self, template: dict[str, Any], *, label: str) -> dict[str, Any]:
        self._add(template, prefix="", parameters={}, label=label)
        return {**template, "Resources": self._resources}

    def _add(self, template: dict[str, Any], *, prefix: str, parameters: dict[str, Any], label: str) -> Callable[[Any], Any]:
        local = set(template.get("Resources", {}))
        rewrite = self._rewriter(local, prefix, parameters, label)
        for logical_id, resource in template.get("Resources", {}).items():
            inlined = {k: rewrite(v) for k, v in resource.items() if k != "DependsOn"}
            if "DependsOn" in resource:
                depends = resource["DependsOn"]
                inlined["DependsOn"] = [prefix + d for d in ([depends] if isinstance(depends, str) else depends)]
            self._resources[prefix + logical_id] = inlined
            if resource["Type"] == NESTED_STACK:
                nested_path = self._nested_template(resource["Properties"]["TemplateURL"], f"{label}/{logical_id}")
                self._add(
                    json.loads(nested_path.read_text()), prefix=f"{prefix}{logical_id}/",
                    parameters=inlined["Properties"].get("Parameters", {}), label=f"{label}/{logical_id}",
                )
        return rewrite

    def _rewriter(self, local: set[str], prefix: str, parameters: dict[str, Any], label: str) -> Callable[[Any], Any]:
        def rewrite(value: Any) -> Any:
            if isinstance(value, list):
                return [rewrite(item) for item in value]
            if not isinstance(value, dict):
                return value
            if set(value) == {"Ref"}:
                name = value["Ref"]
                if name in parameters:
                    return parameters[name]  # already in the parent's terms
                return {"Ref": prefix + name} if name in local else value
            if set(value) == {"Fn::GetAtt"}:
                target, *attribute = value["Fn::GetAtt"] if isinstance(value["Fn::GetAtt"], list) else value["Fn::GetAtt"].split(".", 1)
                return {"Fn::GetAtt": [prefix + target, *attribute]} if target in local else value
            if set(value) == {"Fn::GetStackOutput"}:
                return self._stack_output(rewrite(value["Fn::GetStackOutput"]))
            return {key: rewrite(item) for key, item in value.items()}

        return rewrite

    def _stack_output(self, spec: dict[str, Any]) -> Any:
        name = spec["StackName"]
        if name not in self._outputs:
            if name not in self._stacks:
                # A template copied out of its assembly: what the API needs resolves without it
                # (serve says so for a method that integrates with a function of another stack).
                return {"Fn::GetStackOutput": spec}
            template = json.loads(self._stacks[name].read_text())
            rewrite = self._add(template, prefix=f"{name}/", parameters={}, label=name)
            self._outputs[name] = {key: rewrite(output["Value"]) for key, output in template.get("Outputs", {}).items()}
        return self._outputs[name][spec["OutputName"]]

    def _nested_template(self, template_url: Any, label: str) -> Path:
        parts = template_url["Fn::Join"][1] if isinstance(template_url, dict) and "Fn::Join" in template_url else [template_url]
        key = str(parts[-1]).rsplit("/", 1)[-1]
        if key not in self._by_object_key or not self._by_object_key[key].is_file():
            raise FileNotFoundError(
                f"the template of nested stack {label} ({key}) is not in {self._assembly}: "
                "serve a template from inside its synthesized assembly (cdk.out/assembly-<stage>/)"
            )
        return self._by_object_key[key]

"""What a template change does: resource changes, IAM and network exposure, and stateful resources at risk.

Works on normalized snapshots (devtools.review.snapshots), offline: no AWS credentials, no deployed stack.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from devtools.review import replacement_properties
from devtools.review.snapshots import ACKNOWLEDGEMENTS

Templates = Mapping[str, dict[str, Any]]
RESOURCE_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "DependsOn", "Condition", "UpdatePolicy", "Metadata")


@dataclass(frozen=True)
class ResourceChange:
    stack: str
    logical_id: str
    resource_type: str
    kind: str  # added | modified | replaced | deleted
    properties: tuple[str, ...] = ()
    replacing: tuple[str, ...] = ()

    @property
    def stateful(self) -> bool:
        return self.resource_type in _data()["stateful_types"]


def _data() -> dict[str, Any]:
    return replacement_properties.load()


def _compact(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def resource_changes(stack: str, base: dict[str, Any], current: dict[str, Any]) -> list[ResourceChange]:
    """Every added, modified, replaced and deleted resource of one stack."""
    forcing = _data()["replacement_properties"]
    old, new = base.get("Resources", {}), current.get("Resources", {})
    changes = [ResourceChange(stack, lid, old[lid]["Type"], "deleted") for lid in sorted(set(old) - set(new))]
    changes += [ResourceChange(stack, lid, new[lid]["Type"], "added") for lid in sorted(set(new) - set(old))]
    for lid in sorted(set(old) & set(new)):
        before, after = old[lid], new[lid]
        if before["Type"] != after["Type"]:
            changes.append(ResourceChange(stack, lid, after["Type"], "replaced", ("Type",), ("Type",)))
            continue
        props_before, props_after = before.get("Properties", {}), after.get("Properties", {})
        changed = sorted(k for k in set(props_before) | set(props_after) if props_before.get(k) != props_after.get(k))
        changed += [f"({a})" for a in RESOURCE_ATTRIBUTES if before.get(a) != after.get(a)]
        if not changed:
            continue
        replacing = tuple(k for k in changed if k in forcing.get(after["Type"], ()))
        changes.append(ResourceChange(stack, lid, after["Type"], "replaced" if replacing else "modified", tuple(changed), replacing))
    return changes


def all_changes(base: Templates, current: Templates) -> list[ResourceChange]:
    changes = []
    for stack in sorted(set(base) | set(current)):
        changes += resource_changes(stack, base.get(stack, {}), current.get(stack, {}))
    return changes


def acknowledgement_entries() -> list[dict[str, Any]]:
    """What reviewers accepted, each with a reason: ``{stack, logical_id, reason, property?}``.

    One file for both gates: an entry accepts the replacement or deletion of a stateful resource, and
    the risks found on it (only the one ``property``, when given).
    """
    if not ACKNOWLEDGEMENTS.exists():
        return []
    entries = json.loads(ACKNOWLEDGEMENTS.read_text())
    for entry in entries:
        if len(str(entry.get("reason", "")).strip()) < 20:
            raise ValueError(f"{ACKNOWLEDGEMENTS.name}: {entry.get('logical_id')!r} needs a reason (20+ characters)")
    return entries


def load_acknowledgements() -> set[tuple[str, str]]:
    """(stack, logical id) pairs whose replacement or deletion a reviewer accepted, each with a reason."""
    return {(entry["stack"], entry["logical_id"]) for entry in acknowledgement_entries() if "property" not in entry}


def guard_failures(base: Templates, current: Templates, acknowledged: set[tuple[str, str]] | None = None) -> list[str]:
    """One message per stateful resource the change would delete or replace, unless acknowledged."""
    acknowledged = load_acknowledgements() if acknowledged is None else acknowledged
    failures = []
    for change in all_changes(base, current):
        if not change.stateful or change.kind not in ("deleted", "replaced") or (change.stack, change.logical_id) in acknowledged:
            continue
        if change.kind == "deleted":
            why = ("its logical id is gone (removed or renamed): CloudFormation drops it from the stack, and a renamed "
                   "id creates a new, empty resource while the old one is orphaned")
        else:
            why = (f"changing {', '.join(change.replacing)} makes CloudFormation create a new {change.resource_type} "
                   "and detach the old one: the service loses its data")
        failures.append(f"{change.stack} {change.logical_id} ({change.resource_type}) would be {change.kind}: {why}")
    return failures


def _statements(document: Any, where: str) -> Iterable[tuple[str, ...]]:
    statements = (document or {}).get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", statement.get("NotAction", []))
        resources = statement.get("Resource", statement.get("NotResource", ["-"]))
        principal = statement.get("Principal")
        for action in actions if isinstance(actions, list) else [actions]:
            for resource in resources if isinstance(resources, list) else [resources]:
                yield (where, statement.get("Effect", "Allow"), _compact(action), _compact(resource),
                       _compact(principal) if principal else "")


def permissions(template: dict[str, Any]) -> set[tuple[str, ...]]:
    """Every (where, effect, action, resource, principal) a template grants, from policies, roles and permissions."""
    found: set[tuple[str, ...]] = set()
    for lid, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found.update(_statements(props.get("PolicyDocument"), lid))
        elif resource["Type"] == "AWS::IAM::Role":
            found.update(_statements(props.get("AssumeRolePolicyDocument"), f"{lid} (trust)"))
            for policy in props.get("Policies", []):
                found.update(_statements(policy.get("PolicyDocument"), f"{lid}/{policy.get('PolicyName')}"))
            for arn in props.get("ManagedPolicyArns", []):
                found.add((lid, "Allow", "managed policy", _compact(arn), ""))
        elif resource["Type"] == "AWS::Lambda::Permission":
            found.add((lid, "Allow", _compact(props.get("Action")), _compact(props.get("FunctionName")), _compact(props.get("Principal"))))
        elif "Policy" in props and isinstance(props.get("FileSystemPolicy") or props.get("PolicyDocument"), dict):
            found.update(_statements(props.get("FileSystemPolicy") or props.get("PolicyDocument"), lid))
    return found


def network_rules(template: dict[str, Any]) -> set[tuple[str, ...]]:
    """Every security-group rule: (group, direction, protocol, ports, peer)."""
    def rule(group: str, direction: str, props: dict[str, Any]) -> tuple[str, ...]:
        peer = next((props[k] for k in ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "DestinationSecurityGroupId",
                                        "SourcePrefixListId", "DestinationPrefixListId") if k in props), "-")
        ports = f"{props.get('FromPort', 'all')}-{props.get('ToPort', 'all')}"
        return (group, direction, _compact(props.get("IpProtocol")), ports, _compact(peer))

    found = set()
    for lid, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            found.update(rule(lid, "ingress", r) for r in props.get("SecurityGroupIngress", []))
            found.update(rule(lid, "egress", r) for r in props.get("SecurityGroupEgress", []))
        elif resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            direction = "ingress" if resource["Type"].endswith("Ingress") else "egress"
            found.add(rule(_compact(props.get("GroupId")), direction, props))
    return found


def _format_permission(item: tuple[str, ...]) -> str:
    where, effect, action, resource, principal = item
    to = f" to `{principal}`" if principal else ""
    return f"- {effect} `{action}` on `{resource}`{to} ({where})"


def _format_rule(item: tuple[str, ...]) -> str:
    group, direction, protocol, ports, peer = item
    return f"- {direction} {protocol} {ports} {'from' if direction == 'ingress' else 'to'} `{peer}` ({group})"


def risks_markdown(risks: list[Any], open_risks: list[Any]) -> list[str]:
    """The Risks section: every finding, marked when a reviewer has acknowledged it."""
    lines = ["## Risks", ""]
    if not risks:
        return lines + ["None found: no protection, access, IAM, network or messaging safeguard is weakened.", ""]
    for risk in risks:
        state = "**unacknowledged**" if risk in open_risks else "acknowledged"
        lines.append(f"- {risk.kind}, {state}: {risk.line()}")
    if open_risks:
        lines += ["", (f"Acknowledge each with a reason in `{ACKNOWLEDGEMENTS.name}` "
                       '(`{"stack", "logical_id", "property", "reason"}`) if it is intended.')]
    return lines + [""]


def review_markdown(
    base: Templates, current: Templates, *, base_label: str, risks: list[Any] | None = None,
    open_risks: list[Any] | None = None, plan_lines: list[str] | None = None,
) -> str:
    """A pull-request-sized markdown report: risks, stateful resources at risk, release plan, changes per stack."""
    lines = ["# Infrastructure change review", "", f"Compared with: {base_label}.", ""]
    if risks is not None:
        lines += risks_markdown(risks, open_risks or [])
    failures = guard_failures(base, current)
    if failures:
        lines += ["## :warning: Stateful resources at risk", ""] + [f"- {f}" for f in failures] + [""]
    if plan_lines:
        lines += plan_lines
    lines += ["## Changes", ""]
    any_change = False
    for stack in sorted(set(base) | set(current)):
        old, new = base.get(stack, {}), current.get(stack, {})
        changes = resource_changes(stack, old, new)
        deployment_old, deployment_new = old.get("Deployment") or {}, new.get("Deployment") or {}
        deployment = [
            f"- stack {key}: `{_compact(deployment_old.get(key))}` → `{_compact(deployment_new.get(key))}`"
            for key in sorted(set(deployment_old) | set(deployment_new)) if deployment_old.get(key) != deployment_new.get(key)
        ] if old and new else []
        widened, narrowed = sorted(permissions(new) - permissions(old)), sorted(permissions(old) - permissions(new))
        opened, closed = sorted(network_rules(new) - network_rules(old)), sorted(network_rules(old) - network_rules(new))
        if not (changes or widened or narrowed or opened or closed or deployment):
            continue
        any_change = True
        counts = {kind: sum(c.kind == kind for c in changes) for kind in ("added", "modified", "replaced", "deleted")}
        lines += [f"### {stack}", "", ", ".join(f"{n} {kind}" for kind, n in counts.items()), ""]
        if deployment:
            lines += deployment + [""]
        if changes:
            lines += ["| change | logical id | type | properties |", "| --- | --- | --- | --- |"]
            for change in changes:
                marker = " (stateful)" if change.stateful else ""
                props = ", ".join(f"**{p}**" if p in change.replacing else p for p in change.properties)
                lines.append(f"| {change.kind}{marker} | `{change.logical_id}` | {change.resource_type} | {props} |")
            lines.append("")
        for title, items, fmt in (
            ("IAM permissions widened", widened, _format_permission),
            ("IAM permissions narrowed", narrowed, _format_permission),
            ("Security-group rules opened", opened, _format_rule),
            ("Security-group rules closed", closed, _format_rule),
        ):
            if items:
                lines += [f"**{title}**", ""] + [fmt(item) for item in items] + [""]
    if not any_change:
        lines.append("No infrastructure change.")
    return "\n".join(lines).rstrip() + "\n"

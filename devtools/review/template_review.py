"""What a template change does: resource changes, moves between stacks, IAM and network exposure, and
stateful resources at risk.

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
        changed = changed_properties(before, after)
        if not changed:
            continue
        replacing = tuple(k for k in changed if k in forcing.get(after["Type"], ()))
        changes.append(ResourceChange(stack, lid, after["Type"], "replaced" if replacing else "modified", tuple(changed), replacing))
    return changes


def all_changes(base: Templates, current: Templates) -> list[ResourceChange]:
    """Every change of every stack as CloudFormation will make it: a move is a deletion and an addition."""
    changes = []
    for stack in sorted(set(base) | set(current)):
        changes += resource_changes(stack, base.get(stack, {}), current.get(stack, {}))
    return changes


@dataclass(frozen=True)
class Move:
    """A resource deleted from one stack and added to another stack of the same stage, same logical id and type.

    CDK derives a logical id from the construct path inside its stack, so a construct that changes
    stacks (a function put in another group) keeps its id. CloudFormation still deletes it from one
    stack and creates it in the other; ``properties`` are those that differ between the two.
    """

    stage: str
    logical_id: str
    resource_type: str
    from_stack: str
    to_stack: str
    properties: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "logical_id": self.logical_id, "type": self.resource_type,
                "from_stack": self.from_stack, "to_stack": self.to_stack, "properties": list(self.properties)}


def stage_of(stack: str) -> str:
    """``prod/Service`` -> ``prod``."""
    return stack.rpartition("/")[0]


def changed_properties(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Properties, then resource attributes in parentheses, that differ between two versions of a resource."""
    props_before, props_after = before.get("Properties", {}), after.get("Properties", {})
    changed = sorted(k for k in set(props_before) | set(props_after) if props_before.get(k) != props_after.get(k))
    return changed + [f"({a})" for a in RESOURCE_ATTRIBUTES if before.get(a) != after.get(a)]


def find_moves(base: Templates, current: Templates) -> list[Move]:
    """Every resource that leaves one stack for another of its stage.

    Only an unambiguous pair is a move: when the same (stage, logical id, type) leaves or enters more
    than one stack, nothing says which went where, so those stay plain deletions and additions.
    """
    left: dict[tuple[str, str, str], list[str]] = {}
    entered: dict[tuple[str, str, str], list[str]] = {}
    for stack in sorted(set(base) | set(current)):
        old, new = base.get(stack, {}).get("Resources", {}), current.get(stack, {}).get("Resources", {})
        for lid in set(old) - set(new):
            left.setdefault((stage_of(stack), lid, old[lid]["Type"]), []).append(stack)
        for lid in set(new) - set(old):
            entered.setdefault((stage_of(stack), lid, new[lid]["Type"]), []).append(stack)
    moves = []
    for key in sorted(set(left) & set(entered)):
        if len(left[key]) == 1 and len(entered[key]) == 1:
            (stage, lid, resource_type), (source,), (target,) = key, left[key], entered[key]
            before, after = base[source]["Resources"][lid], current[target]["Resources"][lid]
            moves.append(Move(stage, lid, resource_type, source, target, tuple(changed_properties(before, after))))
    return moves


def base_with_moves(base: Templates, moves: Iterable[Move]) -> dict[str, dict[str, Any]]:
    """The base with every moved resource already in its new stack.

    Compared with this, a moved resource is one that stays: what changed on it is its own change, and
    neither stack sees it come or go (a moved TLS-only queue policy is not a removed one).
    """
    rebased = {stack: dict(template, Resources=dict(template.get("Resources", {}))) for stack, template in base.items()}
    for move in moves:
        resource = rebased[move.from_stack]["Resources"].pop(move.logical_id)
        rebased.setdefault(move.to_stack, {"Resources": {}})["Resources"][move.logical_id] = resource
    return rebased


def changes_besides_moves(base: Templates, current: Templates, moves: Iterable[Move] | None = None) -> list[ResourceChange]:
    """Every change except the deletions and additions that make up a move (the report lists those as moves)."""
    moves = find_moves(base, current) if moves is None else moves
    ends = {(m.from_stack, m.logical_id, "deleted") for m in moves} | {(m.to_stack, m.logical_id, "added") for m in moves}
    return [c for c in all_changes(base, current) if (c.stack, c.logical_id, c.kind) not in ends]


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
    # A move is judged as what CloudFormation does with it, a deletion here and a creation there:
    # finding the move only names where it goes.
    moved_to = {(move.from_stack, move.logical_id): move.to_stack for move in find_moves(base, current)}
    failures = []
    for change in all_changes(base, current):
        if not change.stateful or change.kind not in ("deleted", "replaced") or (change.stack, change.logical_id) in acknowledged:
            continue
        if (change.stack, change.logical_id) in moved_to:
            target = moved_to[(change.stack, change.logical_id)]
            why = (f"it moves to {target}: CloudFormation drops it from {change.stack} and creates a new, empty one in "
                   f"{target} (keep the old one retained and import it into {target} with cdk import instead)")
        elif change.kind == "deleted":
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
        return lines + [("None found: no protection, access, IAM, network or messaging safeguard is weakened, and no move "
                        "between stacks needs more than a deploy."), ""]
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
    moves = find_moves(base, current)
    # Compared with the base as the moves leave it, a moved policy or rule is neither widened in its
    # new stack nor narrowed in its old one.
    rebased = base_with_moves(base, moves)
    changes = changes_besides_moves(base, current, moves)
    stacks = sorted(set(base) | set(current))
    any_change = False
    for stage in sorted({stage_of(stack) for stack in stacks}):
        stage_moves = [move for move in moves if move.stage == stage]
        if stage_moves:
            any_change = True
            lines += moves_markdown(stage, stage_moves)
        for stack in (name for name in stacks if stage_of(name) == stage):
            section = stack_markdown(stack, base.get(stack, {}), rebased.get(stack, {}), current.get(stack, {}),
                                     [c for c in changes if c.stack == stack], stage_moves)
            any_change = any_change or bool(section)
            lines += section
    if not any_change:
        lines.append("No infrastructure change.")
    return "\n".join(lines).rstrip() + "\n"


def moves_markdown(stage: str, moves: list[Move]) -> list[str]:
    """The stage's resources that change stacks, one row each (they are in no stack's added or deleted rows)."""
    lines = [f"### {stage}: moved between stacks", "",
             "| change | logical id | type | from stack | to stack | properties |", "| --- | --- | --- | --- | --- | --- |"]
    for move in moves:
        marker = " (stateful)" if move.resource_type in _data()["stateful_types"] else ""
        lines.append(f"| moved{marker} | `{move.logical_id}` | {move.resource_type} | {move.from_stack} | {move.to_stack} "
                     f"| {', '.join(move.properties)} |")
    return lines + [""]


def stack_markdown(stack: str, old: dict[str, Any], rebased_old: dict[str, Any], new: dict[str, Any],
                   changes: list[ResourceChange], stage_moves: list[Move]) -> list[str]:
    """One stack's section: counts, deployment properties, changed resources, IAM and network; none if nothing changed."""
    moved_out = sum(move.from_stack == stack for move in stage_moves)
    moved_in = sum(move.to_stack == stack for move in stage_moves)
    deployment_old, deployment_new = old.get("Deployment") or {}, new.get("Deployment") or {}
    deployment = [
        f"- stack {key}: `{_compact(deployment_old.get(key))}` → `{_compact(deployment_new.get(key))}`"
        for key in sorted(set(deployment_old) | set(deployment_new)) if deployment_old.get(key) != deployment_new.get(key)
    ] if old and new else []
    widened = sorted(permissions(new) - permissions(rebased_old))
    narrowed = sorted(permissions(rebased_old) - permissions(new))
    opened, closed = sorted(network_rules(new) - network_rules(rebased_old)), sorted(network_rules(rebased_old) - network_rules(new))
    if not (changes or widened or narrowed or opened or closed or deployment or moved_out or moved_in):
        return []
    counts = {kind: sum(c.kind == kind for c in changes) for kind in ("added", "modified", "replaced", "deleted")}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    summary += "".join(f", {n} {kind}" for kind, n in (("moved out", moved_out), ("moved in", moved_in)) if n)
    lines = [f"### {stack}", "", summary, ""]
    if not old or not new:
        lines += ["New stack." if new else "Stack removed.", ""]
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
    return lines

"""Security and data-protection regressions in a template change: what a reviewer must not miss.

Works on snapshots (normalized templates plus each stack's ``Deployment`` properties), offline. Each
rule is one small function over a resource type's old and new properties; a finding names the stack,
the logical id, the property, old -> new, and why it matters. A rule sees every resource of its type
that is added (old is None), changed, or removed (new is None), so what a new resource opens is found
like what a changed one opens; a safeguard can only be weakened on a resource that stays. Policies
are compared as sets of (holder, effect, action, resource, principal, condition) tuples with the
logical ids left as they are on both sides, so reordering statements or actions is never a finding;
CORS origins are compared per API the same way.

A resource that moves to another stack of its stage (template_review.find_moves) is compared with
itself as it was, in its new stack; the move is a risk of its own when CloudFormation cannot simply
create it there (move_risks).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from devtools.review.snapshots import DEPLOYMENT
from devtools.review.template_review import Move, base_with_moves, find_moves

Templates = Mapping[str, dict[str, Any]]
KEEPING = ("Retain", "RetainExceptOnCreate", "Snapshot")
# What survives its removal from a stack as it is: Snapshot keeps a copy, but deletes the resource.
RETAINED = ("Retain", "RetainExceptOnCreate")
STATEFUL = ("AWS::DynamoDB::Table", "AWS::EFS::FileSystem", "AWS::Cognito::UserPool", "AWS::KMS::Key", "AWS::SQS::Queue")
# Actions with no resource-level permissions: '*' is the only resource they take (AWS's own managed
# policies for Lambda in a VPC and X-Ray do the same); cdk-nag acknowledges them with that reason.
RESOURCELESS_ACTIONS = frozenset({
    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets", "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
})
MANAGED_POLICY = json.dumps("attached managed policy")
BROAD_MANAGED_POLICIES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess", "FullAccess")


@dataclass(frozen=True)
class Risk:
    kind: str  # data-protection | access | iam | network | messaging | move
    stack: str
    logical_id: str
    property: str
    old: Any
    new: Any
    why: str

    def line(self) -> str:
        return f"`{self.stack}` `{self.logical_id}` {self.property}: `{_short(self.old)}` → `{_short(self.new)}`. {self.why}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def _get(props: Mapping[str, Any] | None, path: str) -> Any:
    value: Any = props or {}
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _props(resource: Mapping[str, Any] | None) -> dict[str, Any]:
    """A resource's properties; none for a resource that is not there (added: before, removed: after)."""
    return (resource or {}).get("Properties") or {}


# (stack, logical id, old resource or None when added, new resource or None when removed)
Rule = Callable[[str, str, dict[str, Any] | None, dict[str, Any] | None], Iterable[Risk]]
RULES: dict[str, list[Rule]] = {}


def rule(*resource_types: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        for resource_type in resource_types:
            RULES.setdefault(resource_type, []).append(function)
        return function

    return register


def _stays(old: dict | None, new: dict | None) -> bool:
    """Only a resource on both sides can lose a safeguard: an added one had none to lose, and what a
    removal destroys is the replacement guard's (template_review) and the removal rules' business."""
    return old is not None and new is not None


def _turned_off(kind: str, stack: str, lid: str, old: dict | None, new: dict | None, path: str, on: Callable[[Any], bool],
                why: str) -> Iterable[Risk]:
    before, after = _get(_props(old), path), _get(_props(new), path)
    if _stays(old, new) and on(before) and not on(after):
        yield Risk(kind, stack, lid, path, before, after, why)


# --- Data protection ------------------------------------------------------------------------------

@rule(*STATEFUL)
def removal_policies(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    if not _stays(old, new):
        return
    for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
        before, after = old.get(policy, "Delete"), new.get(policy, "Delete")
        if before in KEEPING and after not in KEEPING:
            yield Risk("data-protection", stack, lid, policy, before, after,
                       f"Deleting or replacing this {new['Type']} would now destroy its data instead of keeping it.")


@rule("AWS::DynamoDB::Table")
def table_protection(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("data-protection", stack, lid, old, new, "DeletionProtectionEnabled", lambda v: v is True,
                           "The table can now be deleted, even by CloudFormation.")
    yield from _turned_off("data-protection", stack, lid, old, new, "PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled",
                           lambda v: v is True, "Lost or corrupted items can no longer be restored to any second of the last 35 days.")
    yield from _turned_off("data-protection", stack, lid, old, new, "SSESpecification.KMSMasterKeyId", lambda v: v is not None,
                           "The table moves from its customer-managed key to an AWS-owned key: key policy, rotation and audit of its use are gone.")


@rule("AWS::EFS::FileSystem")
def file_system_protection(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("data-protection", stack, lid, old, new, "BackupPolicy.Status", lambda v: v == "ENABLED",
                           "The file system is no longer in AWS Backup's daily plan.")
    yield from _turned_off("data-protection", stack, lid, old, new, "Encrypted", lambda v: v is True,
                           "Files would be stored unencrypted at rest.")


@rule("AWS::KMS::Key")
def key_protection(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("data-protection", stack, lid, old, new, "EnableKeyRotation", lambda v: v is True,
                           "The key material is no longer rotated yearly.")
    before, after = _get(_props(old), "PendingWindowInDays") or 30, _get(_props(new), "PendingWindowInDays") or 30
    if _stays(old, new) and after < before:
        yield Risk("data-protection", stack, lid, "PendingWindowInDays", before, after,
                   "A scheduled deletion of the key (and of everything only it can decrypt) can no longer be cancelled for as long.")


@rule("AWS::Cognito::UserPool")
def user_pool_protection(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("data-protection", stack, lid, old, new, "DeletionProtection", lambda v: v == "ACTIVE",
                           "The user pool, and every user in it, can now be deleted.")
    yield from _turned_off("access", stack, lid, old, new, "AdminCreateUserConfig.AllowAdminCreateUserOnly", lambda v: v is True,
                           "Anyone can now sign up and get a token that authorizes writes.")
    if not _stays(old, new):
        return
    strength = {"ON": 2, "OPTIONAL": 1, "OFF": 0}
    before, after = _get(_props(old), "MfaConfiguration") or "OFF", _get(_props(new), "MfaConfiguration") or "OFF"
    if strength.get(after, 0) < strength.get(before, 0):
        yield Risk("access", stack, lid, "MfaConfiguration", before, after, "Users can now sign in without a second factor.")
    old_policy = _get(_props(old), "Policies.PasswordPolicy") or {}
    new_policy = _get(_props(new), "Policies.PasswordPolicy") or {}
    if (new_policy.get("MinimumLength") or 8) < (old_policy.get("MinimumLength") or 8):
        yield Risk("access", stack, lid, "Policies.PasswordPolicy.MinimumLength", old_policy.get("MinimumLength"), new_policy.get("MinimumLength"),
                   "Shorter passwords are easier to guess.")
    for requirement in ("RequireLowercase", "RequireUppercase", "RequireNumbers", "RequireSymbols"):
        if old_policy.get(requirement) is True and new_policy.get(requirement) is not True:
            yield Risk("access", stack, lid, f"Policies.PasswordPolicy.{requirement}", True, new_policy.get(requirement),
                       "A weaker password policy makes accounts easier to take over.")


# --- Access -----------------------------------------------------------------------------------------

@rule("AWS::ApiGateway::Method")
def method_authorization(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    props_old, props_new = _props(old), _props(new)
    if new is None or props_new.get("HttpMethod") == "OPTIONS":  # a removed method answers nobody; a preflight is never authorized
        return
    # A method that did not exist answered nobody: a new one without authorization is as open as a changed one.
    before = None if old is None else props_old.get("AuthorizationType", "NONE")
    after = props_new.get("AuthorizationType", "NONE")
    if before != "NONE" and after == "NONE":
        yield Risk("access", stack, lid, "AuthorizationType", before, after, "The method now answers anyone, without a token.")
    elif "AuthorizerId" in props_old and "AuthorizerId" not in props_new:
        yield Risk("access", stack, lid, "AuthorizerId", props_old["AuthorizerId"], None, "The method no longer checks tokens with its authorizer.")


def cors_risks(stack: str, old: dict[str, Any], new: dict[str, Any]) -> Iterable[Risk]:
    """Every method allowing an origin that no method of its API allowed before, new or changed.

    An allowed origin is trust the whole API extends, so it is compared per API: turning CORS on adds
    the preflight (OPTIONS) methods, which are new resources, and a new route's preflight for an
    origin the API already trusts opens nothing new.
    """
    trusted = _origins_by_api(old)
    old_resources = old.get("Resources", {})
    for lid, resource in sorted(new.get("Resources", {}).items()):
        if resource["Type"] != "AWS::ApiGateway::Method":
            continue
        allowed = _method_origins(resource)
        widened = allowed - trusted.get(_api_of(resource), set())
        if widened:
            previous = old_resources.get(lid)
            yield Risk("access", stack, lid, "Access-Control-Allow-Origin", None if previous is None else sorted(_method_origins(previous)),
                       sorted(allowed), "Browsers on " + ", ".join(sorted(widened)) + " may now call the API with the user's credentials.")


def _api_of(method: dict[str, Any]) -> str:
    return json.dumps(_props(method).get("RestApiId"), sort_keys=True)


def _origins_by_api(template: dict[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for resource in template.get("Resources", {}).values():
        if resource["Type"] == "AWS::ApiGateway::Method":
            found.setdefault(_api_of(resource), set()).update(_method_origins(resource))
    return found


def _method_origins(method: dict[str, Any]) -> set[str]:
    origins = set()
    for response in _props(method).get("Integration", {}).get("IntegrationResponses", []):
        value = (response.get("ResponseParameters") or {}).get("method.response.header.Access-Control-Allow-Origin")
        if isinstance(value, str):
            origins.add(value.strip("'"))
        # More origins than one: CDK echoes each allowed one from a VTL template (#if($origin == "https://..."))
        for template in (response.get("ResponseTemplates") or {}).values():
            origins.update(re.findall(r'\$origin == "([^"]+)"', str(template)))
    return origins


@rule("AWS::Lambda::Permission", "AWS::Lambda::Url")
def invoke_principals(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    if new is None:  # a removed permission or URL admits nobody
        return
    if new["Type"] == "AWS::Lambda::Url":
        if _props(old).get("AuthType") != "NONE" and _props(new).get("AuthType") == "NONE":
            yield Risk("access", stack, lid, "AuthType", _props(old).get("AuthType"), "NONE", "The function URL now answers anyone.")
        return
    before, after = _props(old).get("Principal"), _props(new).get("Principal")
    if after != before and (after == "*" or not str(after).endswith(".amazonaws.com")):
        yield Risk("access", stack, lid, "Principal", before, after, "A new principal (or anyone) may invoke the function.")


@rule("AWS::WAFv2::WebACLAssociation")
def web_acl_removed(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    if old is not None and new is None:
        yield Risk("access", stack, lid, "(resource)", _props(old).get("WebACLArn"), None,
                   "The API is no longer behind its web ACL (rate limits, IP and managed rules).")


# --- Messaging ------------------------------------------------------------------------------------

@rule("AWS::SQS::Queue")
def queue_protection(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    def encrypted(props: dict) -> bool:
        return props.get("SqsManagedSseEnabled") is True or props.get("KmsMasterKeyId") is not None

    if _stays(old, new) and encrypted(_props(old)) and not encrypted(_props(new)):
        yield Risk("messaging", stack, lid, "SqsManagedSseEnabled/KmsMasterKeyId", "encrypted", "unencrypted", "Messages would rest unencrypted.")
    elif _stays(old, new) and _props(old).get("KmsMasterKeyId") is not None and _props(new).get("KmsMasterKeyId") is None:
        yield Risk("messaging", stack, lid, "KmsMasterKeyId", _props(old)["KmsMasterKeyId"], "SQS-managed",
                   "The queue leaves its customer-managed key: no key policy decides any more who may read its messages.")
    yield from _turned_off("messaging", stack, lid, old, new, "RedrivePolicy", lambda v: v is not None,
                           "A message that keeps failing is no longer moved to a dead-letter queue: it is retried until it expires, then lost.")


@rule("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy")
def tls_only(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    def refuses_plain_requests(resource: dict | None) -> bool:
        return resource is not None and '"aws:SecureTransport": "false"' in json.dumps(resource, sort_keys=True)

    if refuses_plain_requests(old) and not refuses_plain_requests(new):
        why = "The queue or topic no longer refuses unencrypted (non-TLS) requests."
        if new is None:
            yield Risk("messaging", stack, lid, "(resource)", "TLS-only policy", None, why)
        else:
            yield Risk("messaging", stack, lid, "PolicyDocument", "TLS-only", "TLS not required", why)


@rule("AWS::SNS::Topic")
def topic_protection(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("messaging", stack, lid, old, new, "KmsMasterKeyId", lambda v: v is not None, "Events would rest unencrypted.")

    def aws_managed(key: Any) -> bool:
        return "alias/aws/sns" in json.dumps(key)

    before, after = _props(old).get("KmsMasterKeyId"), _props(new).get("KmsMasterKeyId")
    if _stays(old, new) and before is not None and after is not None and not aws_managed(before) and aws_managed(after):
        yield Risk("messaging", stack, lid, "KmsMasterKeyId", before, "alias/aws/sns",
                   "The topic leaves its customer-managed key for the AWS-managed one, which every principal of the account may use through SNS.")


@rule("AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig")
def failure_destinations(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("messaging", stack, lid, old, new, "DestinationConfig.OnFailure.Destination", lambda v: v is not None,
                           "What the function gives up on is no longer kept anywhere: it is dropped silently.")


@rule("AWS::Scheduler::Schedule")
def schedule_dead_letter(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("messaging", stack, lid, old, new, "Target.DeadLetterConfig.Arn", lambda v: v is not None,
                           "An invocation the schedule cannot deliver is no longer kept: it is dropped silently.")


# --- Network ----------------------------------------------------------------------------------------

@rule("AWS::Lambda::Function")
def function_leaves_vpc(stack: str, lid: str, old: dict | None, new: dict | None) -> Iterable[Risk]:
    yield from _turned_off("network", stack, lid, old, new, "VpcConfig", lambda v: v is not None,
                           "The function leaves the VPC: its security group, private subnets and endpoints no longer constrain it.")


def _rules_of(template: dict[str, Any]) -> set[tuple[str, ...]]:
    found = set()

    def add(group: str, direction: str, props: dict[str, Any]) -> None:
        peer = next((props[k] for k in ("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "DestinationSecurityGroupId",
                                        "SourcePrefixListId", "DestinationPrefixListId") if k in props), "-")
        found.add((group, direction, str(props.get("IpProtocol")), str(props.get("FromPort", "all")), str(props.get("ToPort", "all")),
                   json.dumps(peer, sort_keys=True)))

    for lid, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            for item in props.get("SecurityGroupIngress", []):
                add(lid, "ingress", item)
            for item in props.get("SecurityGroupEgress", []):
                add(lid, "egress", item)
        elif resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            add(json.dumps(props.get("GroupId"), sort_keys=True), "ingress" if resource["Type"].endswith("Ingress") else "egress", props)
    return found


def network_risks(stack: str, old: dict[str, Any], new: dict[str, Any]) -> Iterable[Risk]:
    for group, direction, protocol, low, high, peer in sorted(_rules_of(new) - _rules_of(old)):
        everyone = peer in ('"0.0.0.0/0"', '"::/0"')
        all_ports = protocol == "-1" or (low in ("0", "all") and high in ("65535", "all"))
        if direction == "ingress" and everyone:
            yield Risk("network", stack, group, "SecurityGroupIngress", None, f"{protocol} {low}-{high} from {json.loads(peer)}",
                       "The internet can now open connections to what this group protects.")
        elif direction == "egress" and all_ports:
            yield Risk("network", stack, group, "SecurityGroupEgress", None, f"all ports to {json.loads(peer)}",
                       "The group may now send anything anywhere (exfiltration is no longer limited to HTTPS and NFS).")


# --- IAM --------------------------------------------------------------------------------------------

def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(template: dict[str, Any]) -> set[tuple[str, ...]]:
    """(holder, effect, action, resource, principal, condition) for every statement of every policy."""
    found: set[tuple[str, ...]] = set()

    def add(holder: str, document: Any) -> None:
        for statement in _as_list((document or {}).get("Statement", [])):
            principal = json.dumps(statement.get("Principal"), sort_keys=True) if "Principal" in statement else ""
            condition = json.dumps(statement.get("Condition"), sort_keys=True) if "Condition" in statement else ""
            for action in _as_list(statement.get("Action", statement.get("NotAction", []))):
                for resource in _as_list(statement.get("Resource", statement.get("NotResource", "-"))):
                    found.add((holder, statement.get("Effect", "Allow"), json.dumps(action, sort_keys=True),
                               json.dumps(resource, sort_keys=True), principal, condition))

    for lid, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in props.get("Roles", []) or [{"Ref": lid}]:
                add(json.dumps(role, sort_keys=True), props.get("PolicyDocument"))
        elif resource["Type"] == "AWS::IAM::Role":
            add(f"{lid} (trust)", props.get("AssumeRolePolicyDocument"))
            for policy in props.get("Policies", []):
                add(lid, policy.get("PolicyDocument"))
            for arn in props.get("ManagedPolicyArns", []):
                found.add((lid, "Allow", MANAGED_POLICY, json.dumps(arn, sort_keys=True), "", ""))
        elif resource["Type"] in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy"):
            add(lid, props.get("PolicyDocument"))
        elif resource["Type"] == "AWS::EFS::FileSystem":
            add(lid, props.get("FileSystemPolicy"))
    return found


def _wildcard_action(action: str) -> bool:
    return "*" in action


def _wildcard_resource(action: str, resource: str) -> bool:
    return resource == '"*"' and json.loads(action) not in RESOURCELESS_ACTIONS


def _unanchored_pattern(resource: str) -> bool:
    """An ARN pattern with a wildcard that names none of our resources (only literals and pseudo
    parameters), e.g. ``arn:${AWS::Partition}:s3:::*``: it matches every resource of its kind.
    CDK's own patterns hang under a resource (``<table ARN>/index/*``, ``<function ARN>:*``)."""
    def names_a_resource(value: Any) -> bool:
        if isinstance(value, dict):
            if any(key in value for key in ("Fn::GetAtt", "Fn::GetStackOutput", "Fn::ImportValue")):
                return True
            if isinstance(value.get("Ref"), str) and not value["Ref"].startswith("AWS::"):
                return True
            return any(names_a_resource(item) for item in value.values())
        return isinstance(value, list) and any(names_a_resource(item) for item in value)

    return "*" in resource and resource != '"*"' and not names_a_resource(json.loads(resource))


def _open_principal(principal: str) -> bool:
    """Anyone (``*``), or an account named literally (ours is always a reference to AWS::AccountId)."""
    if not principal:
        return False
    value = json.loads(principal)
    if value == "*":
        return True
    for aws in _as_list(value.get("AWS", [])) if isinstance(value, dict) else []:
        if aws == "*" or (isinstance(aws, str) and re.match(r"^(arn:aws[\w-]*:iam::)?\d{12}", aws)):
            return True
    return False


def iam_risks(stack: str, old: dict[str, Any], new: dict[str, Any]) -> Iterable[Risk]:
    before, after = grants(old), grants(new)
    holders_before = {(g[0], g[2]): g for g in before}
    for holder, effect, action, resource, principal, condition in sorted(after - before):
        if effect != "Allow":
            continue
        shown = f"{effect} {json.loads(action)} on {json.loads(resource)}" + (f" to {json.loads(principal)}" if principal else "")
        if action == MANAGED_POLICY:
            if any(name in resource for name in BROAD_MANAGED_POLICIES):
                yield Risk("iam", stack, holder, "ManagedPolicyArns", None, json.loads(resource),
                           "An AWS managed policy of the admin/full-access kind grants far more than the role needs.")
            continue
        if _wildcard_action(action):
            yield Risk("iam", stack, holder, "Action", None, shown, "A wildcard action grants every present and future action it matches.")
        elif _wildcard_resource(action, resource):
            previous = holders_before.get((holder, action))
            yield Risk("iam", stack, holder, "Resource", json.loads(previous[3]) if previous else None, shown,
                       "The action now applies to every resource of its kind in the account.")
        elif "*" in resource and (holder, action) in holders_before and "*" not in holders_before[(holder, action)][3]:
            yield Risk("iam", stack, holder, "Resource", json.loads(holders_before[(holder, action)][3]), shown,
                       "The statement now matches a wider ARN pattern than before.")
        elif (holder, action) not in holders_before and _unanchored_pattern(resource):
            yield Risk("iam", stack, holder, "Resource", None, shown,
                       "The ARN pattern names none of the stack's resources: the action applies to every resource it matches.")
        if _open_principal(principal):
            yield Risk("iam", stack, holder, "Principal", None, shown, "Anyone, or another account, is now admitted by this policy.")


# --- Stacks and the report ------------------------------------------------------------------------

def resource_pairs(old: dict[str, Any], new: dict[str, Any]) -> Iterable[tuple[str, dict[str, Any] | None, dict[str, Any] | None]]:
    """(logical id, old or None, new or None) for every resource on either side; a logical id whose
    type changed is a different resource, so it is one removed and one added."""
    old_resources, new_resources = old.get("Resources", {}), new.get("Resources", {})
    for lid in sorted(set(old_resources) | set(new_resources)):
        before, after = old_resources.get(lid), new_resources.get(lid)
        if before is not None and after is not None and before["Type"] != after["Type"]:
            yield lid, before, None
            yield lid, None, after
        else:
            yield lid, before, after


def stack_risks(stack: str, old: dict[str, Any], new: dict[str, Any]) -> list[Risk]:
    """Every risk one stack's change carries (a stack absent on one side is compared with an empty one)."""
    found: list[Risk] = []
    before, after = old.get(DEPLOYMENT) or {}, new.get(DEPLOYMENT) or {}
    if before.get("TerminationProtection") and not after.get("TerminationProtection"):
        found.append(Risk("data-protection", stack, "(stack)", "TerminationProtection", True, after.get("TerminationProtection", False),
                          "`cdk destroy` (or a deleted pipeline stage) can now delete the stack and what it does not retain."))
    for lid, resource_old, resource_new in resource_pairs(old, new):
        for check in RULES.get((resource_new or resource_old)["Type"], []):
            found.extend(check(stack, lid, resource_old, resource_new))
    found.extend(cors_risks(stack, old, new))
    found.extend(iam_risks(stack, old, new))
    found.extend(network_risks(stack, old, new))
    return found


def all_risks(base: Templates, current: Templates) -> list[Risk]:
    moves = find_moves(base, current)
    # Against the base as the moves leave it, a moved resource is one that stays: a moved TLS-only
    # policy is not a removed one, and a safeguard it loses on the way is found in its new stack.
    rebased = base_with_moves(base, moves)
    found = [risk for stack in sorted(set(rebased) | set(current))
             for risk in stack_risks(stack, rebased.get(stack, {}), current.get(stack, {}))]
    return found + list(move_risks(base, current, moves))


# --- Moves between stacks -------------------------------------------------------------------------

# The property that names a resource of each type uniquely in its account and region (a security
# group in its VPC, a deployment group in its application). Names that need not be unique (a REST
# API's, a user pool's, an inline policy's) are not here: two resources may share them.
PHYSICAL_NAMES = {
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::Events::Rule": "Name",
    "AWS::Scheduler::Schedule": "Name",
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::EC2::SecurityGroup": "GroupName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::StepFunctions::StateMachine": "StateMachineName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::SSM::Parameter": "Name",
}


def physical_name(resource: dict[str, Any]) -> Any:
    """The name a resource is created with, when the template fixes it (None when CloudFormation makes one
    up, or when the name is built from the stack's own name or id, which another stack does not share)."""
    name = _props(resource).get(PHYSICAL_NAMES.get(resource["Type"], ""))
    text = json.dumps(name, sort_keys=True)
    return None if name is None or '"AWS::StackName"' in text or '"AWS::StackId"' in text else name


def _noun(resource_type: str) -> str:
    """``AWS::Logs::LogGroup`` -> ``log group``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", resource_type.rsplit("::", 1)[-1]).lower()


def move_hazard(move: Move, old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """What to do before deploying a move that CloudFormation cannot simply make, or None for one it can."""
    source, target, noun = move.from_stack, move.to_stack, _noun(move.resource_type)
    # Removing a resource from a stack follows the deletion policy of the template it is removed from.
    retained = old.get("DeletionPolicy", "Delete") in RETAINED
    name = physical_name(old)
    collides = name is not None and name == physical_name(new)
    stateful = move.resource_type in STATEFUL
    if stateful and not retained:
        return (f"{source} deletes the {noun} and its data while {target} creates a new, empty one: retain it first "
                f"(DeletionPolicy Retain, deployed on its own), then import it into {target} (cdk import).")
    if collides and retained:
        alternative = "" if stateful else ", or delete it,"
        return (f"{source} keeps the retained {noun} `{_short(name)}`, so {target} cannot create one under that name: "
                f"import it into {target} (cdk import) once {source} no longer holds it{alternative} before deploying {target}.")
    if collides:
        return (f"The name `{_short(name)}` stays taken until {source} deletes its {noun}, so creating it in {target} fails "
                f"if {target} is deployed first: deploy the removal from {source}, then the addition to {target} (two deploys).")
    if stateful:
        return (f"{source} keeps the retained {noun} and its data while {target} creates a new, empty one: import the old "
                f"one into {target} (cdk import) once {source} no longer holds it, instead of creating it.")
    return None


def move_risks(base: Templates, current: Templates, moves: Iterable[Move]) -> Iterable[Risk]:
    """A risk for each move CloudFormation cannot simply make, on the stack it leaves: an acknowledgement of
    that (stack, logical id) also passes the replacement guard, which sees the same move as a deletion."""
    for move in moves:
        old = base[move.from_stack]["Resources"][move.logical_id]
        new = current[move.to_stack]["Resources"][move.logical_id]
        why = move_hazard(move, old, new)
        if why:
            yield Risk("move", move.from_stack, move.logical_id, "(stack)", move.from_stack, move.to_stack, why)


def unacknowledged(risks: list[Risk], acknowledgements: list[dict[str, Any]]) -> list[Risk]:
    """Risks no acknowledgement (stack, logical id and, when given, property) covers."""
    def covered(risk: Risk) -> bool:
        return any(
            entry.get("stack") == risk.stack and entry.get("logical_id") == risk.logical_id
            and entry.get("property", risk.property) == risk.property
            for entry in acknowledgements
        )

    return [risk for risk in risks if not covered(risk)]

"""Resource-level cdk-nag acknowledgements: every suppression in the project goes through here."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on ``construct`` (and its children) with a written reason."""
    if len(reason) < 20:
        raise ValueError(f"a cdk-nag suppression needs a real reason, got {reason!r} for {rule_id}")
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))

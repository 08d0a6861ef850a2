"""Resource-level cdk-nag acknowledgements: every suppression in the project goes through here."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Validations

from constructs import IConstruct

MIN_REASON = 20


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on ``construct`` (and its children) with a written reason."""
    acknowledge_all(construct, {rule_id: reason})


def acknowledge_all(construct: IConstruct, reasons: Mapping[str, str]) -> None:
    """Acknowledge several findings on one construct, each with its reason (one call into jsii, not one each)."""
    for rule_id, reason in reasons.items():
        if len(reason) < MIN_REASON:
            raise ValueError(f"a cdk-nag suppression needs a real reason, got {reason!r} for {rule_id}")
    Validations.of(construct).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id, reason in reasons.items()))

"""The settings every customer-managed key of a service has, written once."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms

from constructs import Construct


def retained_key(scope: Construct, construct_id: str, *, description: str) -> kms.Key:
    """A KMS key rotated yearly, retained when removed (what it encrypted would be unreadable without it),
    and deletable only after the longest waiting period, 30 days, during which a deletion can be cancelled."""
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
        pending_window=Duration.days(30),
    )

"""In a stage with a customer-managed key, every log group is encrypted with a key CloudWatch Logs may use for those groups only."""

from __future__ import annotations

import json

import pytest

from tests.conftest import resources_of

PREFIX = "/product-catalog/prod/"


def logs_key(templates):
    (key_id, key), = [(lid, r) for lid, r in resources_of(templates["prod/Network"], "AWS::KMS::Key").items() if lid.startswith("LogsKey")]
    return key_id, key


@pytest.mark.parametrize("stack", ["Network", "Service"])
def test_every_prod_log_group_is_named_under_the_prefix_and_encrypted_with_the_logs_key(templates, stack):
    key_id, _ = logs_key(templates)
    groups = resources_of(templates[f"prod/{stack}"], "AWS::Logs::LogGroup")
    assert groups
    for logical_id, group in groups.items():
        assert group["Properties"]["LogGroupName"].startswith(PREFIX), logical_id
        assert key_id in json.dumps(group["Properties"]["KmsKeyId"]), logical_id  # by reference (or cross-stack output)


def test_the_logs_key_admits_cloudwatch_logs_for_the_stage_log_groups_only(templates):
    _, key = logs_key(templates)
    props = key["Properties"]
    assert props["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    (logs,) = [s for s in props["KeyPolicy"]["Statement"] if "logs." in json.dumps(s.get("Principal"))]
    condition = json.dumps(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert f"log-group:{PREFIX}*" in condition
    assert not [s for s in props["KeyPolicy"]["Statement"] if s.get("Principal") == "*"]


def test_a_stage_without_a_customer_managed_key_keeps_cloudwatch_logs_encryption(templates):
    assert not resources_of(templates["dev/Network"], "AWS::KMS::Key")
    for stack in ("Network", "Service"):
        for group in resources_of(templates[f"dev/{stack}"], "AWS::Logs::LogGroup").values():
            assert "KmsKeyId" not in group["Properties"]

"""StatefulStack: table, idempotency store, file system, user pool: all retained, all encrypted."""

from __future__ import annotations

import pytest

from tests.conftest import only, resources_of

STATEFUL_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::EFS::FileSystem",
    "AWS::Cognito::UserPool",
    "AWS::KMS::Key",
)


def product_table(template):
    return next(
        t for t in resources_of(template, "AWS::DynamoDB::Table").values()
        if t["Properties"].get("TableName") in ("product", "product-dev")
    )


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_every_stateful_resource_is_retained_on_delete_and_replace(templates, stage):
    template = templates[f"{stage}/Stateful"]
    stateful = {lid: r for lid, r in template["Resources"].items() if r["Type"] in STATEFUL_TYPES}
    assert stateful
    for logical_id, resource in stateful.items():
        assert resource.get("DeletionPolicy") == "Retain", logical_id
        assert resource.get("UpdateReplacePolicy") == "Retain", logical_id


def test_product_table_is_keyed_by_string_id(templates):
    table = product_table(templates["prod/Stateful"])["Properties"]
    assert table["TableName"] == "product"
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_product_table_has_point_in_time_recovery_and_on_demand_billing(templates, stage):
    table = product_table(templates[f"{stage}/Stateful"])["Properties"]
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_prod_tables_use_the_customer_managed_key_and_dev_the_aws_managed_one(templates):
    prod = product_table(templates["prod/Stateful"])["Properties"]["SSESpecification"]
    assert prod["SSEType"] == "KMS"
    assert "Fn::GetAtt" in prod["KMSMasterKeyId"]
    assert only(templates["prod/Stateful"], "AWS::KMS::Key")["Properties"]["EnableKeyRotation"] is True
    dev = product_table(templates["dev/Stateful"])["Properties"]
    assert dev.get("SSESpecification", {}).get("SSEEnabled") in (None, False) or "KMSMasterKeyId" not in dev["SSESpecification"]
    assert not resources_of(templates["dev/Stateful"], "AWS::KMS::Key")


def test_deletion_protection_follows_the_stage(templates):
    assert product_table(templates["prod/Stateful"])["Properties"]["DeletionProtectionEnabled"] is True
    assert product_table(templates["dev/Stateful"])["Properties"]["DeletionProtectionEnabled"] is False


def test_idempotency_store_expires_records_by_ttl(templates):
    tables = resources_of(templates["prod/Stateful"], "AWS::DynamoDB::Table")
    (store,) = [t for lid, t in tables.items() if lid.startswith("IdempotencyTable")]
    assert store["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_import_records_are_retained_protected_and_expire_after_30_days(templates):
    tables = resources_of(templates["prod/Stateful"], "AWS::DynamoDB::Table")
    (imports,) = [t for lid, t in tables.items() if lid.startswith("ImportsTable")]
    assert imports["Properties"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert imports["DeletionPolicy"] == "Retain" and imports["Properties"]["DeletionProtectionEnabled"] is True
    assert imports["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_product_table_streams_new_and_old_images_for_the_change_events(templates):
    (table,) = [t for lid, t in resources_of(templates["prod/Stateful"], "AWS::DynamoDB::Table").items() if lid.startswith("ProductTable")]
    assert table["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_file_system_is_encrypted_with_backups_only_where_the_stage_asks(templates):
    prod = only(templates["prod/Stateful"], "AWS::EFS::FileSystem")["Properties"]
    dev = only(templates["dev/Stateful"], "AWS::EFS::FileSystem")["Properties"]
    assert prod["Encrypted"] is True and dev["Encrypted"] is True
    assert prod["BackupPolicy"] == {"Status": "ENABLED"}
    # CloudFormation leaves automatic backups off when BackupPolicy is absent.
    assert dev.get("BackupPolicy", {"Status": "DISABLED"}) == {"Status": "DISABLED"}


def test_file_system_policy_denies_transport_without_tls(templates):
    policy = only(templates["prod/Stateful"], "AWS::EFS::FileSystem")["Properties"]["FileSystemPolicy"]
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert deny == [
        {
            "Sid": "DenyUnencryptedTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def test_file_system_has_a_mount_target_in_each_private_subnet(templates):
    assert len(resources_of(templates["prod/Stateful"], "AWS::EFS::MountTarget")) == 3


def test_access_point_forces_a_non_root_posix_identity_and_creates_its_root(templates):
    access_point = only(templates["prod/Stateful"], "AWS::EFS::AccessPoint")["Properties"]
    assert access_point["PosixUser"] == {"Gid": "1001", "Uid": "1001"}
    assert access_point["RootDirectory"] == {
        "CreationInfo": {"OwnerGid": "1001", "OwnerUid": "1001", "Permissions": "750"},
        "Path": "/product",
    }


def test_file_system_security_group_admits_nothing_by_itself(templates):
    group = only(templates["prod/Stateful"], "AWS::EC2::SecurityGroup")["Properties"]
    assert "SecurityGroupIngress" not in group


def test_user_pool_has_no_self_sign_up_and_requires_mfa(templates):
    pool = only(templates["prod/Stateful"], "AWS::Cognito::UserPool")["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["MfaConfiguration"] == "ON"
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 14

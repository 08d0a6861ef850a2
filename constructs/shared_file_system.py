"""SharedFileSystem: an encrypted EFS file system that functions mount through one access point."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_efs as efs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.lambda_limits import check_mount_path

from constructs import Construct

if TYPE_CHECKING:
    from catalog_constructs.service_function import ServiceFunction as MountingFunction

_PERMISSIONS = re.compile(r"^[0-7]{3,4}$")
_ROOT_PATH = re.compile(r"^(/[A-Za-z0-9_.\-]+)+$")


class SharedFileSystem(Construct):
    """Encrypted EFS with mount targets in the private subnets, TLS-only, IAM-authorized mounts.

    The file system and its security group admit nobody by default. A function is given the mount
    with ``mount_config`` and let in with ``grant_mount``: NFS from the function's own security group,
    and an IAM grant of ClientMount (plus ClientWrite unless read-only) scoped to this file system
    through the access point.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        root_path: str = "/files",
        posix_uid: int = 1001,
        posix_gid: int = 1001,
        root_permissions: str = "750",
        automatic_backups: bool = True,
        performance_mode: efs.PerformanceMode = efs.PerformanceMode.GENERAL_PURPOSE,
        throughput_mode: efs.ThroughputMode = efs.ThroughputMode.ELASTIC,
    ) -> None:
        """
        :param vpc: the VPC to place mount targets in.
        :param vpc_subnets: subnets for mount targets (one per AZ; use the private subnets).
        :param root_path: directory the access point exposes as the root (default ``/files``).
        :param posix_uid: POSIX user id every access goes through as (default 1001, not root).
        :param posix_gid: POSIX group id every access goes through as (default 1001, not root).
        :param root_permissions: octal mode the root directory is created with (default ``750``).
        :param automatic_backups: enrol the file system in AWS Backup's daily plan (default on).
        :param performance_mode: EFS performance mode (default general purpose). Changing it replaces the file system.
        :param throughput_mode: EFS throughput mode (default elastic).
        """
        if not isinstance(root_path, str) or not _ROOT_PATH.fullmatch(root_path):
            raise InvalidPropError("root_path", root_path, "an absolute path such as /files")
        for field, value in (("posix_uid", posix_uid), ("posix_gid", posix_gid)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4_294_967_295:
                raise InvalidPropError(field, value, "a non-root POSIX id from 1 to 4294967295")
        if not isinstance(root_permissions, str) or not _PERMISSIONS.fullmatch(root_permissions):
            raise InvalidPropError("root_permissions", root_permissions, "an octal mode such as 750")
        if performance_mode == efs.PerformanceMode.MAX_IO and throughput_mode == efs.ThroughputMode.ELASTIC:
            raise InvalidPropError(
                "performance_mode", "maxIO", "generalPurpose with elastic throughput (EFS rejects Max I/O with elastic; use bursting)"
            )
        super().__init__(scope, construct_id)

        self.security_group = ec2.SecurityGroup(
            self,
            "SecurityGroup",
            vpc=vpc,
            description="EFS mount targets: NFS from the functions that mount this file system only",
            allow_all_outbound=False,
        )
        self.file_system = efs.FileSystem(
            self,
            "FileSystem",
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_group=self.security_group,
            encrypted=True,
            enable_automatic_backups=automatic_backups,
            performance_mode=performance_mode,
            throughput_mode=throughput_mode,
            removal_policy=RemovalPolicy.RETAIN,
            allow_anonymous_access=False,
        )
        self.file_system.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyUnencryptedTransport",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["*"],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
        self.access_point = self.file_system.add_access_point(
            "AccessPoint",
            path=root_path,
            create_acl=efs.Acl(owner_uid=str(posix_uid), owner_gid=str(posix_gid), permissions=root_permissions),
            posix_user=efs.PosixUser(uid=str(posix_uid), gid=str(posix_gid)),
        )

    def mount_config(self, mount_path: str) -> lambda_.FileSystem:
        """The ``file_system`` prop of a function that mounts the access point at ``mount_path`` (under /mnt/).

        It carries no permission: pair it with ``grant_mount``.
        """
        check_mount_path(mount_path)
        return lambda_.FileSystem(
            arn=self.access_point.access_point_arn,
            local_mount_path=mount_path,
            dependency=[self.file_system.mount_targets_available],
        )

    def grant_mount(self, grantee: MountingFunction, *, read_only: bool) -> iam.Grant:
        """Let ``grantee`` mount this file system through the access point, read-only or read-write.

        Opens NFS from the grantee's security group only, and grants ClientMount (and ClientWrite unless
        ``read_only``) on this file system, usable only through this access point.
        """
        # allow_to puts the ingress rule beside the grantee's group when they are in different stacks,
        # so the stateful stack never depends on the service stack.
        grantee.connections.allow_to(self.file_system, ec2.Port.tcp(efs.FileSystem.DEFAULT_PORT), "NFS to the mounted file system")
        actions = ["elasticfilesystem:ClientMount"] + ([] if read_only else ["elasticfilesystem:ClientWrite"])
        # Scoped by hand rather than through FileSystem.grant, which cannot add the access-point condition.
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=actions,
            resource_arns=[self.file_system.file_system_arn],
            conditions={"StringEquals": {"elasticfilesystem:AccessPointArn": self.access_point.access_point_arn}},
        )

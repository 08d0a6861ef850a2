"""ServiceUserPool: the Cognito user pool whose users may call the service's authorized methods."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from catalog_constructs.nag import acknowledge

from constructs import Construct


class ServiceUserPool(Construct):
    """An admin-provisioned user pool (no self sign-up) with MFA, a strict password policy and an app client.

    It holds identities, so it is retained on removal and lives with the stateful resources.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        deletion_protection: bool = True,
        mfa: cognito.Mfa = cognito.Mfa.REQUIRED,
        access_token_validity: Duration = Duration.hours(1),
    ) -> None:
        """
        :param deletion_protection: refuse DeleteUserPool, even from CloudFormation (default on).
        :param mfa: MFA policy (default required, with authenticator apps).
        :param access_token_validity: lifetime of access and id tokens (default one hour).
        """
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            mfa=mfa,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=deletion_protection,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.client = self.user_pool.add_client(
            "ApiClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            access_token_validity=access_token_validity,
            id_token_validity=access_token_validity,
        )
        acknowledge(
            self.user_pool,
            "AwsSolutions-COG8",
            "Threat protection needs the Cognito Plus feature plan, priced per user; the pool is admin-provisioned "
            "with no self sign-up and MFA required. Enable it per account if the risk profile asks.",
        )

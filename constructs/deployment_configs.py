"""The CodeDeploy traffic-shifting configurations a ServiceFunction can deploy with, by CodeDeploy name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog_constructs.errors import InvalidPropError

if TYPE_CHECKING:
    from aws_cdk import aws_codedeploy as codedeploy

# Keys are CodeDeploy's own names without the "CodeDeployDefault.Lambda" prefix; values name the
# LambdaDeploymentConfig constant. Plain strings, so configuration can be checked without loading
# the CodeDeploy module.
LAMBDA_DEPLOYMENT_CONFIGS: dict[str, str] = {
    "AllAtOnce": "ALL_AT_ONCE",
    "Canary10Percent5Minutes": "CANARY_10_PERCENT_5_MINUTES",
    "Canary10Percent10Minutes": "CANARY_10_PERCENT_10_MINUTES",
    "Canary10Percent15Minutes": "CANARY_10_PERCENT_15_MINUTES",
    "Canary10Percent30Minutes": "CANARY_10_PERCENT_30_MINUTES",
    "Linear10PercentEvery1Minute": "LINEAR_10_PERCENT_EVERY_1_MINUTE",
    "Linear10PercentEvery2Minutes": "LINEAR_10_PERCENT_EVERY_2_MINUTES",
    "Linear10PercentEvery3Minutes": "LINEAR_10_PERCENT_EVERY_3_MINUTES",
    "Linear10PercentEvery10Minutes": "LINEAR_10_PERCENT_EVERY_10_MINUTES",
}


def check_deployment_config(name: object) -> None:
    """Reject a name that is not one of LAMBDA_DEPLOYMENT_CONFIGS."""
    if not isinstance(name, str) or name not in LAMBDA_DEPLOYMENT_CONFIGS:
        raise InvalidPropError("deployment_config", name, "one of " + ", ".join(LAMBDA_DEPLOYMENT_CONFIGS))


def lambda_deployment_config(name: str) -> codedeploy.ILambdaDeploymentConfig:
    """The predefined CodeDeploy config called ``name`` (e.g. ``Canary10Percent5Minutes``)."""
    from aws_cdk import aws_codedeploy as codedeploy

    check_deployment_config(name)
    return getattr(codedeploy.LambdaDeploymentConfig, LAMBDA_DEPLOYMENT_CONFIGS[name])

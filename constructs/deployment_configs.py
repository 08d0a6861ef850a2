"""The CodeDeploy traffic-shifting configurations a ServiceFunction can deploy with, by CodeDeploy name."""

from __future__ import annotations

from aws_cdk import aws_codedeploy as codedeploy

from catalog_constructs.errors import InvalidPropError

# Keys are CodeDeploy's own names without the "CodeDeployDefault.Lambda" prefix.
LAMBDA_DEPLOYMENT_CONFIGS: dict[str, codedeploy.ILambdaDeploymentConfig] = {
    "AllAtOnce": codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
    "Canary10Percent5Minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
    "Canary10Percent10Minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_10_MINUTES,
    "Canary10Percent15Minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_15_MINUTES,
    "Canary10Percent30Minutes": codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_30_MINUTES,
    "Linear10PercentEvery1Minute": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_1_MINUTE,
    "Linear10PercentEvery2Minutes": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_2_MINUTES,
    "Linear10PercentEvery3Minutes": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_3_MINUTES,
    "Linear10PercentEvery10Minutes": codedeploy.LambdaDeploymentConfig.LINEAR_10_PERCENT_EVERY_10_MINUTES,
}


def lambda_deployment_config(name: str) -> codedeploy.ILambdaDeploymentConfig:
    """The predefined CodeDeploy config called ``name`` (e.g. ``Canary10Percent5Minutes``)."""
    try:
        return LAMBDA_DEPLOYMENT_CONFIGS[name]
    except (KeyError, TypeError):
        raise InvalidPropError("deployment_config", name, "one of " + ", ".join(LAMBDA_DEPLOYMENT_CONFIGS)) from None

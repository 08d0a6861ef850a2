"""The dev stage with N services in its service stack: the real one plus N-1 more, each a function,
alias, deployment group, alarms and routes on the API. Measures what one more service costs.

    python bench/scaling_app.py N
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(services: int) -> int:
    from aws_cdk import App, Validations, aws_apigateway as apigw
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from catalog_constructs.service_function import ServiceFunction
    from devtools.synth import cdk_context
    from stacks.config import load_stages
    from stacks.product_service_stage import ProductServiceStage

    app = App(builtin_cloud_formation_validation=False)
    stage = ProductServiceStage(app, config=load_stages(cdk_context()["stages"])["dev"])
    service = stage.service
    code = _code()
    for index in range(1, services):
        extra = ServiceFunction(
            service, f"ExtraFunction{index}", code=code, handler="product_api.handler.lambda_handler",
            vpc=stage.network.network.vpc, vpc_subnets=stage.network.network.private_subnets,
        )
        resource = service.api.api.root.add_resource(f"extra{index}")
        integration = apigw.LambdaIntegration(extra.alias, allow_test_invoke=False)
        for method in ("GET", "POST"):
            resource.add_method(method, integration, authorizer=service.api.authorizer,
                                authorization_type=apigw.AuthorizationType.COGNITO,
                                request_validator=service.api.request_validator)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    app.synth()
    return 0


def _code():
    from catalog_constructs.python_bundle import bundled_code
    from stacks.service_stack import BUNDLE_CACHE, RUNTIME_PACKAGE, RUNTIME_REQUIREMENTS

    return bundled_code(package_dir=RUNTIME_PACKAGE, requirements=RUNTIME_REQUIREMENTS, python_version="3.13",
                        architecture="arm64", cache_dir=BUNDLE_CACHE)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))

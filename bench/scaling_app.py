"""The dev stage with N functions: the declared ones plus N-1 more, each a declaration with its own API
route, table grant, role, alias, deployment group and alarms. Measures what one more function costs.

    python bench/scaling_app.py N
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def extra_functions(count: int) -> tuple:
    from stacks.function_declaration import ApiRoute, ApiTrigger, FunctionDeclaration

    return tuple(
        FunctionDeclaration(
            name=f"extra{index}",
            description=f"Benchmark function {index}",
            package="product_api",
            handler="product_api.handler.lambda_handler",
            extra_packages=("catalog",),
            requirements="catalog.txt",
            triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path=f"/extra{index}"), ApiRoute(method="POST", path=f"/extra{index}"))),),
            tables={"product": "read"},
        )
        for index in range(1, count)
    )


def main(functions: int) -> int:
    from aws_cdk import App, Validations
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from devtools.synth import cdk_context
    from services.product_catalog.definition import DEFINITION
    from stacks.config import load_stages
    from stacks.service_stage import ServiceStage

    app = App(builtin_cloud_formation_validation=False)
    ServiceStage(app, definition=DEFINITION.with_functions(*extra_functions(functions)), config=load_stages(cdk_context()["stages"])["dev"])
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))

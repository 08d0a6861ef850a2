"""The dev stage with N functions: the declared ones plus N-1 more, each a declaration with its own API
route, table grant, role, alias, deployment group and alarms. Measures what one more function costs.

    python bench/scaling_app.py N
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


# Benchmark functions per group stack: each costs about 10 resources there and 3-4 in its routes' nested stack.
GROUP_SIZE = 40


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
            # Placed by their own name, never by position: GROUP_SIZE functions per group stack.
            group=f"bench{(index - 1) // GROUP_SIZE}",
        )
        for index in range(1, count)
    )


def scaled_definition(functions: int):
    """The catalog's definition with ``functions`` functions: its own plus ``functions - 1`` benchmark ones."""
    from services.product_catalog.definition import DEFINITION

    return DEFINITION.with_functions(*extra_functions(functions))


def build(app, functions: int, alarms: dict | None = None):
    """Add the dev stage with ``functions`` functions (and the cdk-nag rule packs) to ``app``.

    :param alarms: settings laid over the dev stage's ``alarms`` (the monitoring bench turns the
        generator's operational alarms and dashboards off for its baseline).
    """
    from aws_cdk import Validations
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from devtools.synth import cdk_context
    from stacks.config import parse_stage
    from stacks.declaration_checks import api_resource_paths
    from stacks.service_stage import ServiceStage

    definition = scaled_definition(functions)
    dev = cdk_context()["stages"]["dev"]
    # Each benchmark function has a path of its own: the stage stands for an account whose quota of
    # resources per REST API AWS raised (300 by default).
    api = {**dev["api"], "resource_quota": max(300, len(api_resource_paths(definition)))}
    config = parse_stage("dev", {**dev, "api": api, "alarms": {**dev["alarms"], **(alarms or {})}}, tuple(d.name for d in definition.functions),
                         tuple(t.name for t in definition.tables))
    ServiceStage(app, definition=definition, config=config)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app


def main(functions: int) -> int:
    from aws_cdk import App

    from devtools.synth import cdk_context

    app = build(App(context=cdk_context(), builtin_cloud_formation_validation=False), functions)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))

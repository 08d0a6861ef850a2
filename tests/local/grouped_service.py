"""The catalog with one more API function in a group of its own, for `make serve` over nested stacks.

    python -m tests.local.grouped_service OUTDIR     # synthesizes the dev stage into OUTDIR

``extra-listing`` is the export listing's code behind ``GET /extra1``: it lives in ``dev/ExtraFunctions``
and its route in a nested stack of ``dev/Service``, the rest of the catalog where it always is.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from services.product_catalog.definition import DEFINITION, EXPORT_LISTING
from stacks.function_declaration import ApiRoute, ApiTrigger, FunctionDeclaration

GROUPED_ROUTE = ApiRoute(method="GET", path="/extra1")

# The export listing itself (its code, packages, requirements and mount), under another name and route.
EXTRA_LISTING = FunctionDeclaration(**{
    **dict(EXPORT_LISTING),
    "name": "extra-listing",
    "description": "Lists the catalog exports behind GET /extra1, from a group stack",
    "triggers": (ApiTrigger(routes=(GROUPED_ROUTE,)),),
    "group": "extra",
})

GROUPED = DEFINITION.with_functions(EXTRA_LISTING)


def build(app: Any) -> Any:
    """Add the dev stage of ``GROUPED`` to ``app`` (without cdk-nag: the catalog's own synth runs it)."""
    from devtools.synth import cdk_context
    from stacks.config import parse_stage
    from stacks.service_stage import ServiceStage

    config = parse_stage("dev", cdk_context()["stages"]["dev"], tuple(d.name for d in GROUPED.functions),
                         tuple(t.name for t in GROUPED.tables))
    ServiceStage(app, definition=GROUPED, config=config)
    return app


def main(outdir: str) -> int:
    from devtools.synth import synthesize

    assembly = synthesize(Path(outdir), build=build)
    if assembly.synth_error:
        print(assembly.synth_error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

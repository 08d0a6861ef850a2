#!/usr/bin/env python3
"""CDK app: the product catalog's stages, one per entry of cdk.json context ``stages``.

    cdk synth                  # every stage in cdk.json "stages"
    cdk synth -c stage=prod    # only prod

Invalid configuration ends the run with one line naming the field, the value and what is allowed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from aws_cdk import App, Validations
from catalog_constructs.errors import BundlingError, InvalidPropError

from stacks.config import load_stages, select_stages

CDK_JSON = Path(__file__).resolve().parent / "cdk.json"


def build_app(app: App) -> App:
    """Add the configured stages (and the cdk-nag rule packs) to ``app``."""
    stages_context = app.node.try_get_context("stages")
    if stages_context is None and CDK_JSON.is_file():
        # Run as plain `python app.py` (not through the CLI, which passes cdk.json context itself).
        stages_context = json.loads(CDK_JSON.read_text())["context"].get("stages")
    from services.product_catalog.definition import DEFINITION
    from stacks.declaration_checks import check_stage_settings

    stages = load_stages(
        stages_context, tuple(d.name for d in DEFINITION.functions), tuple(t.name for t in DEFINITION.tables)
    )
    selected = select_stages(stages, app.node.try_get_context("stage"))
    for config in selected:
        check_stage_settings(DEFINITION, config)
    # Imported once the configuration is known to be valid: the construct modules pull in most of
    # aws-cdk-lib (seconds of import), and a bad setting should be reported at once.
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    from stacks.service_stage import ServiceStage

    for config in selected:
        ServiceStage(app, definition=DEFINITION, config=config)
    if app.node.try_get_context("nag") in (None, True, "true"):
        Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    return app


def unsuppressed_findings(outdir: str) -> list[str]:
    """One line per cdk-nag finding in the assembly's validation report (none when everything passed)."""
    report = Path(outdir) / "validation-report.json"
    if not report.is_file():
        return []
    return [
        f"{violation['ruleName']} on {construct['constructPath']}: {violation['description']}"
        for plugin in json.loads(report.read_text()).get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def main() -> int:
    # The CDK's built-in CloudFormation validation plugin costs ~60% of synth time; cfn-lint runs on
    # every template in the test suite instead (tests/test_template_policies.py).
    # Through the CLI the context (stages and feature flags) comes from cdk.json by CDK_CONTEXT_JSON; run
    # as plain `python app.py`, it is read here, so both give the same templates.
    context = None if "CDK_CONTEXT_JSON" in os.environ or not CDK_JSON.is_file() else json.loads(CDK_JSON.read_text())["context"]
    app = App(context=context, builtin_cloud_formation_validation=False)
    try:
        build_app(app)
    except InvalidPropError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    except BundlingError as error:
        print(f"bundling error: {' '.join(str(error).split())}", file=sys.stderr)
        return 3
    from stacks.budgets import assembly_budget_errors, resource_budget_error

    try:
        app.synth()
    except RuntimeError as error:  # run directly, cdk-nag errors fail synth with a jsii traceback
        if (budget := resource_budget_error(str(error))) is not None:
            print(budget, file=sys.stderr)
            return 4
        if "ValidationFailed" not in str(error):
            raise
    budgets = assembly_budget_errors(Path(app.outdir))
    if budgets:
        print("\n".join(budgets), file=sys.stderr)
        return 4
    # Through the CLI (which sets @aws-cdk/core:failSynthOnValidationErrors=false) they would pass
    # silently: the app enforces the report itself, either way.
    findings = unsuppressed_findings(app.outdir)
    if findings:
        print(f"cdk-nag: {len(findings)} unsuppressed finding(s); fix them, or acknowledge each with a reason "
              "(catalog_constructs.nag.acknowledge):", file=sys.stderr)
        for finding in findings:
            print(f"  {finding}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

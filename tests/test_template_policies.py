"""Policy checks over every synthesized template: cfn-lint, cdk-nag, and an independent structural check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import SynthesizedApp, assembly_templates

STATEFUL_TYPES = {"AWS::DynamoDB::Table", "AWS::EFS::FileSystem", "AWS::Cognito::UserPool", "AWS::KMS::Key"}


def template_files(synthesized: SynthesizedApp) -> list[Path]:
    files = assembly_templates(synthesized.outdir, synthesized.generated.outdir)
    assert len(files) == 17  # dev, prod, the generated stage (four stacks each), the orders service (five: one group)
    return files


@pytest.fixture(scope="module")
def cfn_lint_findings(synthesized) -> dict[str, list[str]]:
    """cfn-lint's findings per file name (the run started right after synthesis, in conftest)."""
    stdout, stderr = synthesized.cfn_lint.communicate(timeout=300)
    assert synthesized.cfn_lint.returncode != 1, stderr  # 1 means cfn-lint itself failed
    findings: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        findings.setdefault(Path(line.split(":", 1)[0]).name, []).append(line)
    return findings


def test_cfn_lint_reports_no_error_or_warning_on_any_template(synthesized, cfn_lint_findings):
    ours = {name: lines for name, lines in cfn_lint_findings.items() if name.endswith(".template.json")}
    assert len(template_files(synthesized)) == 17
    assert ours == {}


def test_cfn_lint_does_fail_on_a_broken_template(cfn_lint_findings):
    assert any(":E3" in finding for finding in cfn_lint_findings["cfn-lint-canary.json"])


@pytest.mark.parametrize("app", ["stages", "generated"])
def test_cdk_nag_aws_solutions_and_serverless_report_nothing_unsuppressed(synthesized, app):
    assembly = synthesized if app == "stages" else synthesized.generated
    assert assembly.synth_error is None, assembly.synth_error
    report = assembly.validation_report
    violations = [
        (plugin["pluginName"], violation["ruleName"], construct["constructPath"])
        for plugin in (report or {}).get("pluginReports", [])
        for violation in plugin.get("violations", [])
        for construct in violation["violatingConstructs"]
    ]
    assert violations == []


def test_cdk_nag_does_fail_on_an_insecure_construct(tmp_path):
    from aws_cdk import App, Stack, Validations
    from aws_cdk import aws_sqs as sqs
    from cdk_nag import AwsSolutionsChecks, ServerlessChecks

    app = App(outdir=str(tmp_path), builtin_cloud_formation_validation=False)
    sqs.Queue(Stack(app, "Insecure"), "Queue", enforce_ssl=False)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app), ServerlessChecks(app))
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-SQS4" in rules


def test_the_app_turns_each_nag_finding_into_one_line(tmp_path):
    from app import unsuppressed_findings

    report = {"pluginReports": [{"pluginName": "AwsSolutions", "violations": [{
        "ruleName": "AwsSolutions-SQS4", "description": "The SQS queue does not require requests to use SSL.",
        "violatingConstructs": [{"constructPath": "Insecure/Queue/Resource"}],
    }]}]}
    (tmp_path / "validation-report.json").write_text(json.dumps(report))
    assert unsuppressed_findings(str(tmp_path)) == [
        "AwsSolutions-SQS4 on Insecure/Queue/Resource: The SQS queue does not require requests to use SSL."
    ]
    assert unsuppressed_findings(str(tmp_path / "missing")) == []


# Where troposphere 4.11.1's generated classes are wrong, not the template: its awslambda module
# defines LoggingConfig twice and the WebFunctionRevision one (no LogFormat) shadows Function's.
# Properties CloudFormation has (cfn-lint's registry schemas check them) that troposphere 4.11 lacks:
# LoggingConfig.LogFormat, and an SQS mapping's ScalingConfig.MaximumConcurrency (CloudFormation 2023).
TROPOSPHERE_GAPS = {("AWS::Lambda::Function", "LogFormat"), ("AWS::Lambda::EventSourceMapping", "MaximumConcurrency")}


def test_every_resource_is_a_valid_cloudformation_resource_to_troposphere(templates):
    """An independent reading of the templates: troposphere rebuilds each resource from its own classes."""
    troposphere_types = troposphere_resource_classes()
    checked = 0
    for name, template in templates.items():
        for logical_id, resource in template["Resources"].items():
            if resource["Type"].startswith(("Custom::", "AWS::CDK::")):
                continue
            cls = troposphere_types[resource["Type"]]
            try:
                cls.from_dict(logical_id, as_troposphere(resource.get("Properties", {}))).to_dict()
            except (AttributeError, TypeError, ValueError) as error:
                if not any(t == resource["Type"] and p in str(error) for t, p in TROPOSPHERE_GAPS):
                    pytest.fail(f"{name} {logical_id} ({resource['Type']}): {error}")
            checked += 1
    assert checked > 100


def troposphere_resource_classes() -> dict[str, type]:
    import importlib
    import pkgutil

    import troposphere

    classes = {}
    for module_info in pkgutil.iter_modules(troposphere.__path__):
        if module_info.name in {"template_generator"}:
            continue
        module = importlib.import_module(f"troposphere.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and isinstance(getattr(value, "resource_type", None), str):
                classes[value.resource_type] = value
    return classes


def as_troposphere(value):
    """Template JSON to what troposphere's from_dict accepts: intrinsics and tags as its own types."""
    from troposphere import AWSHelperFn, Tags

    class Intrinsic(AWSHelperFn):
        def __init__(self, data):
            self.data = data

    if isinstance(value, dict):
        if len(value) == 1 and (key := next(iter(value))) and (key == "Ref" or key.startswith("Fn::")):
            return Intrinsic(value)
        return {
            key: Tags({t["Key"]: t["Value"] for t in item}) if key.endswith("Tags") and isinstance(item, list) else as_troposphere(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [as_troposphere(item) for item in value]
    return value


def test_prod_templates_contain_every_mission_part(templates):
    """Structural check of the prod stage, read straight from the JSON (not through CDK)."""
    types: dict[str, int] = {}
    for stack in ("Network", "Stateful", "Service"):
        for resource in templates[f"prod/{stack}"]["Resources"].values():
            types[resource["Type"]] = types.get(resource["Type"], 0) + 1
    expected_at_least = {
        "AWS::EC2::VPC": 1, "AWS::EC2::NatGateway": 1, "AWS::EC2::VPCEndpoint": 2, "AWS::EC2::FlowLog": 1,
        "AWS::EFS::FileSystem": 1, "AWS::EFS::AccessPoint": 1, "AWS::EFS::MountTarget": 3,
        "AWS::DynamoDB::Table": 2, "AWS::Cognito::UserPool": 1,
        "AWS::Lambda::Function": 2, "AWS::IAM::Role": 3, "AWS::Lambda::Version": 1, "AWS::Lambda::Alias": 1,
        "AWS::CodeDeploy::Application": 1, "AWS::CodeDeploy::DeploymentGroup": 1, "AWS::CloudWatch::Alarm": 2,
        "AWS::ApiGateway::RestApi": 1, "AWS::ApiGateway::Method": 5, "AWS::ApiGateway::Stage": 1,
    }
    missing = {t: n for t, n in expected_at_least.items() if types.get(t, 0) < n}
    assert missing == {}


def test_stateful_resources_live_only_in_the_stateful_stacks(templates):
    for name, template in templates.items():
        if name.endswith("/Stateful"):
            continue
        found = {lid: r["Type"] for lid, r in template["Resources"].items() if r["Type"] in STATEFUL_TYPES}
        if name.endswith("/Network"):
            # An exception: the key that encrypts the log groups, which the flow logs here need first.
            found = {lid: kind for lid, kind in found.items() if not lid.startswith("LogsKey")}
        # The function stacks' message keys, which their (retained) queues need first, retained with them.
        found = {lid: kind for lid, kind in found.items() if not lid.startswith("MessageKey")}
        if name.endswith("/Alarms"):
            # The other: the alarm topic's key, which every stack's alarms need first (it encrypts no data at rest
            # beyond notifications in flight; it is retained like every key).
            found = {lid: kind for lid, kind in found.items() if not lid.startswith("AlarmTopicKey")}
        assert found == {}, name


def test_every_key_outside_the_stateful_stack_is_retained(templates):
    for name, template in templates.items():
        for lid, resource in template["Resources"].items():
            if resource["Type"] == "AWS::KMS::Key":
                assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain", (name, lid)


@pytest.fixture(scope="module", params=["stages", "generated"])
def unsuppressed_findings(request, tmp_path_factory):
    """cdk-nag's findings with every acknowledgement recorded instead of applied (cdk.json's stages, and
    the generated stage whose functions use every declaration option)."""
    from catalog_constructs import nag

    import app  # noqa: F401 - loads every stack and construct module, so all importers of acknowledge are found
    from stacks import service_stage  # noqa: F401
    from tests.conftest import synthesize
    from tests.generated_stage import build_generated_app

    originals = {"acknowledge": nag.acknowledge, "acknowledge_all": nag.acknowledge_all}
    recorded: list[tuple[str, str, str]] = []

    def record_all(construct, reasons):
        recorded.extend((construct.node.path, rule, reason) for rule, reason in reasons.items())

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nag, "Validations", None)  # any acknowledgement that still reaches CDK fails loudly
        replacements = {"acknowledge_all": record_all, "acknowledge": lambda construct, rule, reason: record_all(construct, {rule: reason})}
        # Found, not listed: a new module that acknowledges findings cannot slip past this check.
        for module in list(sys.modules.values()):
            for name, original in originals.items():
                if getattr(module, name, None) is original:
                    patch.setattr(module, name, replacements[name])
        outdir = tmp_path_factory.mktemp("unsuppressed")
        build = (lambda app: build_generated_app(app, outdir)) if request.param == "generated" else None
        assembly = synthesize(outdir / "cdk.out", build=build)
    findings = {
        (construct["constructPath"], violation["ruleName"])
        for plugin in assembly.validation_report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    }
    return recorded, findings


def test_every_suppression_matches_a_real_finding(unsuppressed_findings):
    recorded, findings = unsuppressed_findings
    assert recorded
    stale = [
        (path, rule) for path, rule, _ in recorded
        if not any(rule == found_rule and (found_path == path or found_path.startswith(path + "/")) for found_path, found_rule in findings)
    ]
    assert stale == []


def test_every_finding_is_suppressed_with_a_reason(unsuppressed_findings):
    recorded, findings = unsuppressed_findings
    for found_path, found_rule in findings:
        reasons = [r for path, rule, r in recorded if rule == found_rule and (found_path == path or found_path.startswith(path + "/"))]
        assert reasons and all(len(reason) > 40 for reason in reasons), (found_path, found_rule)

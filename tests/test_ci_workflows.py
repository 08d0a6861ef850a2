"""The GitHub workflows in .github/: lint-clean, pinned, and running the README's commands.

jactionlint (actionlint's checks plus security and policy rules; its binary ships in the wheel) lints
the workflows and the local actions, with shellcheck from the venv checking every `run:` script. The
workflows' own scripts are run here too, with `make`, `git` and `gh` replaced by recorders.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import jactionlint
import pytest
import yaml

from devtools.review import cli, snapshots
from tests.conftest import ROOT

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
LOCAL_ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
VENV_BIN = Path(sys.executable).parent
# owner/repo[/path]@<full commit SHA> # v<version>
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*$")


def lint(*files: Path, cwd: Path = ROOT) -> tuple[subprocess.CompletedProcess, list[dict[str, Any]]]:
    """jactionlint's findings (JSON) on ``files``, every level counted, with the venv's shellcheck on PATH."""
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([jactionlint.get_binary_path(), "--format", "json", "--strict-exit", "--no-color",
                             *map(str, files)], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return result, json.loads(result.stdout or "[]")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def workflow(name: str) -> dict[str, Any]:
    return load(GITHUB / "workflows" / f"{name}.yml")


def step(name: str, job: str, step_name: str) -> dict[str, Any]:
    (found,) = [s for s in workflow(name)["jobs"][job]["steps"] if s.get("name") == step_name]
    return found


def uses_lines(text: str) -> list[str]:
    """The value of every `uses:` line, with its comment."""
    return [m.group(1).strip() for m in re.finditer(r"^\s*(?:-\s+)?uses:\s*(.+)$", text, re.MULTILINE)]


def unpinned(text: str) -> list[str]:
    """The actions of a workflow or action file not pinned to a commit SHA with their version in a comment."""
    return [uses for uses in uses_lines(text) if not uses.startswith("./") and not PINNED.match(uses)]


def readme_test_command() -> str:
    """The README's test command: the line of "The two commands" whose comment says it runs the test suite."""
    section = (ROOT / "README.md").read_text().split("## The two commands", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    (command,) = [line.split("#", 1)[0].strip() for line in block.splitlines() if "the test suite" in line]
    return command


def run_script(script: str, cwd: Path, env: dict[str, str], stubs: dict[str, str]) -> subprocess.CompletedProcess:
    """``script`` as the workflows' `shell: bash` runs it, with the commands in ``stubs`` replaced by scripts."""
    bin_dir = cwd / ".stubs"
    bin_dir.mkdir(exist_ok=True)
    for command, body in stubs.items():
        (bin_dir / command).write_text(f"#!/usr/bin/env bash\n{body}\n")
        (bin_dir / command).chmod(0o755)
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd), **env},
                          capture_output=True, text=True, check=False)


# --- lint -----------------------------------------------------------------------------------------------------------

def test_jactionlint_finds_nothing_in_the_workflows_and_local_actions():
    assert WORKFLOWS and LOCAL_ACTIONS
    result, findings = lint(*WORKFLOWS, *LOCAL_ACTIONS)
    assert [f"{f['filepath']}:{f['line']} [{f['kind']}] {f['message']}" for f in findings] == []
    assert result.returncode == 0, result.stderr


BROKEN = """\
on: pull_request
permissions: {}
concurrency: {group: broken, cancel-in-progress: true}
jobs:
  test:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with: {fetch-deep: 0, persist-credentials: false}
      - run: echo "${{ matrix.os }}"
      - run: make review BASE=$BASE_SHA
"""


@pytest.fixture(scope="module")
def broken_findings(tmp_path_factory) -> dict[tuple[str, int], str]:
    """(rule, line) -> message, for a workflow with one mistake on each of its lines 10 to 12."""
    root = tmp_path_factory.mktemp("broken")
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "broken.yml").write_text(BROKEN)
    result, findings = lint(root / ".github" / "workflows" / "broken.yml", cwd=root)
    assert result.returncode == 1
    return {(f["kind"], f["line"]): f["message"] for f in findings}


def test_jactionlint_reports_an_input_the_action_does_not_have(broken_findings):
    assert "fetch-deep" in broken_findings[("action", 10)]


def test_jactionlint_reports_an_expression_on_an_undefined_property(broken_findings):
    assert '"os" is not defined' in broken_findings[("expression", 11)]


def test_shellcheck_from_the_venv_checks_run_scripts(broken_findings):
    assert "SC2086" in broken_findings[("shellcheck", 12)]


# --- pins -----------------------------------------------------------------------------------------------------------

def test_the_pin_check_rejects_a_tag_a_short_sha_and_a_sha_without_its_version():
    text = """\
      - uses: actions/checkout@v7.0.1
      - uses: actions/checkout@3d3c42e
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - uses: ./.github/actions/python
"""
    assert unpinned(text) == ["actions/checkout@v7.0.1", "actions/checkout@3d3c42e",
                              "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"]


@pytest.mark.parametrize("path", [*WORKFLOWS, *LOCAL_ACTIONS], ids=lambda p: str(p.relative_to(GITHUB)))
def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment(path):
    text = path.read_text()
    parsed = load(path)
    steps = [s for job in parsed.get("jobs", {}).values() for s in job.get("steps", [])] + parsed.get("runs", {}).get("steps", [])
    # Every `uses:` the YAML holds is on a line of its own that the check reads (none in flow style).
    assert len(uses_lines(text)) == len([s for s in steps if "uses" in s]) > 0
    assert unpinned(text) == []


# --- what the workflows run -----------------------------------------------------------------------------------------

def test_the_pull_request_runs_exactly_the_readmes_test_command():
    runs = [s["run"] for s in workflow("pull-request")["jobs"]["test"]["steps"] if "run" in s]
    assert runs == [readme_test_command()]


def test_the_release_tests_with_the_readmes_test_command_before_packaging():
    runs = [s["run"] for s in workflow("release")["jobs"]["build"]["steps"] if "run" in s]
    assert runs[0] == readme_test_command() and "make package" in runs[1]


def test_ci_run_runs_the_readmes_test_command_and_nothing_else():
    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))]
    assert commands == [readme_test_command()]


@pytest.mark.parametrize(("job", "step_name", "command"), [
    ("review", "Review against the base", 'make review BASE="$BASE_SHA"'),
    ("upgrade", "Upgrade in place from the base (local emulator)", 'make deploy-local BASE="$BASE_SHA"'),
])
def test_the_review_and_the_upgrade_run_against_the_pull_requests_base(job, step_name, command):
    found = step("pull-request", job, step_name)
    assert found["run"] == command and found["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}"}


def test_only_the_job_that_publishes_the_release_may_write():
    writers = {(name, job_name) for name in ("pull-request", "release")
               for job_name, job in {"(workflow)": workflow(name), **workflow(name)["jobs"]}.items()
               if "write" in (job.get("permissions") or {}).values()}
    assert writers == {("release", "publish")}


def test_a_blocking_review_still_writes_its_report_to_the_job_summary(tmp_path, monkeypatch):
    """The review job relies on it: the report is in the summary when `make review` fails the job."""
    committed = snapshots.load_snapshots()
    current = copy.deepcopy(committed)
    current["prod/Stateful"]["Deployment"]["TerminationProtection"] = False
    monkeypatch.setattr(snapshots, "current_synth", lambda: (current, {}))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    assert cli.main(["review", "--no-release-plan", "--output", str(tmp_path / "review.md")]) == 1
    summary = (tmp_path / "summary.md").read_text()
    assert summary == (tmp_path / "review.md").read_text() and "**unacknowledged**" in summary


# --- the release's scripts, run with recorders ----------------------------------------------------------------------

FAKE_MAKE = """\
echo "$*" >> make.calls
stage="${2#STAGE=}"
mkdir -p "dist/$stage"
echo "{\\"stage\\": \\"$stage\\"}" > "dist/$stage/manifest.json"
echo "template of $stage" > "dist/$stage/$stage-Service.template.json"
"""


@pytest.fixture(scope="module")
def packaged(tmp_path_factory) -> tuple[Path, list[str]]:
    """The release's packaging step run twice in a copy of cdk.json: (its release/ folder, make's calls)."""
    workdir = tmp_path_factory.mktemp("release")
    (workdir / "cdk.json").write_text((ROOT / "cdk.json").read_text())
    script = step("release", "build", "Package every stage")["run"]
    for run in range(2):
        result = run_script(script, workdir, {"GITHUB_REF_NAME": "v1.2.3"},
                            {"make": FAKE_MAKE, "git": "echo 1700000000"})
        assert result.returncode == 0, result.stderr
        if run == 0:
            first = {p.name: p.read_bytes() for p in (workdir / "release").iterdir()}
    assert first == {p.name: p.read_bytes() for p in (workdir / "release").iterdir()}, "not reproducible"
    return workdir / "release", (workdir / "make.calls").read_text().splitlines()


def test_the_release_packages_every_stage_of_cdk_json(packaged):
    _, calls = packaged
    stages = sorted(json.loads((ROOT / "cdk.json").read_text())["context"]["stages"])
    assert calls == [f"package STAGE={stage}" for stage in stages] * 2


def test_the_release_assets_are_an_archive_and_a_manifest_per_stage_with_their_checksums(packaged):
    release, _ = packaged
    stages = sorted(json.loads((ROOT / "cdk.json").read_text())["context"]["stages"])
    assets = {p.name for p in release.iterdir()}
    assert assets == {"SHA256SUMS", *(f"{s}-v1.2.3.tar.gz" for s in stages), *(f"{s}-v1.2.3-manifest.json" for s in stages)}
    sums = dict(reversed(line.split("  ", 1)) for line in (release / "SHA256SUMS").read_text().splitlines())
    assert sums == {name: hashlib.sha256((release / name).read_bytes()).hexdigest() for name in assets - {"SHA256SUMS"}}
    with tarfile.open(release / f"{stages[0]}-v1.2.3.tar.gz") as archive:
        assert sorted(archive.getnames()) == [stages[0], f"{stages[0]}/{stages[0]}-Service.template.json",
                                              f"{stages[0]}/manifest.json"]


@pytest.mark.parametrize(("exists", "expected"), [
    (False, "release create v1.2.3 release/a.tar.gz --verify-tag --generate-notes --title v1.2.3"),
    (True, "release upload v1.2.3 release/a.tar.gz --clobber"),
])
def test_publishing_creates_the_release_or_replaces_the_assets_of_a_re_run(tmp_path, exists, expected):
    (tmp_path / "release").mkdir()
    (tmp_path / "release" / "a.tar.gz").write_text("a")
    fake_gh = f'[ "$2" = view ] && exit {0 if exists else 1}; echo "$*" >> gh.calls'
    script = step("release", "publish", "Attach the packages to the release")["run"]
    result = run_script(script, tmp_path, {"GITHUB_REF_NAME": "v1.2.3"}, {"gh": fake_gh})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gh.calls").read_text().splitlines() == [expected]

"""ruff, with the project's rules (pyproject.toml [tool.ruff]), finds nothing in the repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

RUFF = Path(sys.executable).parent / "ruff"


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(RUFF), "check", "--no-cache", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_ruff_reports_nothing():
    result = ruff(".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_does_fail_on_a_lint_error(tmp_path):
    (tmp_path / "bad.py").write_text("import os\n")
    result = ruff("--config", str(ROOT / "pyproject.toml"), "bad.py", cwd=tmp_path)
    assert result.returncode == 1 and "F401" in result.stdout

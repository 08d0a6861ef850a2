"""The grouped catalog (tests/local/grouped_service.py) synthesized in a subprocess while other tests run."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devtools.synth import ROOT

FIXTURE = "grouped_assembly"


class BackgroundGroupedSynth:
    """About 3 s of synth on the other core, started at collection when a test asks for it."""

    def __init__(self) -> None:
        self.outdir = Path(tempfile.mkdtemp(prefix="grouped-synth."))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.local.grouped_service", str(self.outdir)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )

    def assembly(self) -> Path:
        self.start()
        assert self.process is not None
        stdout, stderr = self.process.communicate(timeout=300)
        assert self.process.returncode == 0, (stdout + stderr)[-3000:]
        return self.outdir / "assembly-dev"


GROUPED_SYNTH = BackgroundGroupedSynth()


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.config.option.collectonly and any(FIXTURE in getattr(item, "fixturenames", ()) for item in session.items):
        GROUPED_SYNTH.start()


@pytest.fixture(scope="session")
def grouped_assembly() -> Path:
    return GROUPED_SYNTH.assembly()

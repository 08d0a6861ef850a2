"""The functions' code assets: what ships, for which platform, how big; each function only its own."""

from __future__ import annotations

import io
import re
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import ROOT

REQUIREMENTS = ROOT / "runtime" / "requirements" / "catalog.txt"
REQUIREMENTS_FILES = sorted((ROOT / "runtime" / "requirements").glob("*.txt"))
ZIPPED_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


def pins(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    found = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            found[name] = pinned
    return found


@pytest.fixture(scope="module")
def code_asset(synthesized) -> Path:
    assets = [p for p in synthesized.outdir.glob("asset.*") if (p / "product_api" / "handler.py").is_file()]
    assert len(assets) == 1, assets
    return assets[0]


@pytest.mark.parametrize("requirements", REQUIREMENTS_FILES, ids=lambda p: p.name)
def test_every_requirement_is_pinned_exactly(requirements):
    assert pins(requirements) and all(re.fullmatch(r"\d+(\.\d+)*", pinned) for pinned in pins(requirements).values())


@pytest.mark.parametrize("requirements", REQUIREMENTS_FILES, ids=lambda p: p.name)
def test_the_venv_runs_the_versions_that_ship(requirements):
    assert {name: version(name) for name in pins(requirements)} == pins(requirements)


def test_every_declared_function_has_its_package_and_pins():
    from services.product_catalog.definition import DEFINITION

    FUNCTIONS = DEFINITION.functions

    for declaration in FUNCTIONS:
        assert (ROOT / "runtime" / declaration.package / "__init__.py").is_file(), declaration.name
        if declaration.requirements:
            assert (ROOT / "runtime" / "requirements" / declaration.requirements).is_file(), declaration.name


def test_the_traffic_hook_ships_only_its_own_package(synthesized):
    (asset,) = [p for p in synthesized.outdir.glob("asset.*") if (p / "traffic_hook" / "handler.py").is_file()]
    assert sorted(p.name for p in asset.iterdir()) == ["traffic_hook"]


def test_asset_holds_the_handler_package_and_its_dependencies(code_asset):
    assert (code_asset / "product_api" / "handler.py").is_file()
    assert (code_asset / "aws_lambda_powertools").is_dir()
    assert (code_asset / "pydantic").is_dir()


def test_compiled_dependencies_are_built_for_python_313_on_arm64(code_asset):
    (extension,) = (code_asset / "pydantic_core").glob("_pydantic_core*.so")
    assert "cpython-313-aarch64-linux-gnu" in extension.name


def test_asset_ships_no_tests_caches_or_aws_sdk(code_asset):
    names = {p.name for p in code_asset.rglob("*")}
    assert "__pycache__" not in names
    assert not (code_asset / "boto3").exists() and not (code_asset / "botocore").exists()
    assert not (code_asset / "tests").exists()


def test_asset_is_far_below_lambda_size_limits(code_asset):
    files = [p for p in code_asset.rglob("*") if p.is_file()]
    unzipped = sum(p.stat().st_size for p in files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(code_asset))
    assert unzipped < UNZIPPED_LIMIT / 10
    assert buffer.tell() < ZIPPED_LIMIT / 10


def test_bundle_cache_keeps_only_the_most_recently_used_assets(tmp_path):
    import os

    from catalog_constructs.python_bundle import prune_cache

    for age in range(10):
        entry = tmp_path / f"asset{age}"
        entry.mkdir()
        os.utime(entry, (1_000_000 - age, 1_000_000 - age))
    prune_cache(tmp_path, keep=3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asset0", "asset1", "asset2"]

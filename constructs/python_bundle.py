"""Bundle a Python Lambda package and its pinned dependencies without Docker, cached by content.

Dependencies are installed with ``uv pip install --python-platform`` as wheels built for the function's
architecture and Python version, so no container is needed. Both steps are cached under ``cache_dir``
by a hash of their inputs, and that hash is the asset hash: templates stay byte-identical across
machines, and a synth with a warm cache does no work and no network access.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from aws_cdk import AssetHashType
from aws_cdk import aws_lambda as lambda_
from catalog_constructs.errors import BundlingError, InvalidPropError
from catalog_constructs.lambda_limits import check_runtime

_PLATFORMS = {"arm64": "aarch64-manylinux2014", "x86_64": "x86_64-manylinux2014"}
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".pytest_cache")
# Assembled bundles kept (the API's is ~12 MB, a hook's a few KB): enough for the variants one
# session synthesizes, with every function's bundle counted.
KEEP_ASSETS = 16
# Bump to invalidate every cached bundle when the way bundles are built changes (2: no console scripts).
_BUNDLE_FORMAT = "2"


def _source_digest(package_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in package_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if path.suffix in {".pyc", ".pyo"}:
            continue
        digest.update(path.relative_to(package_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise BundlingError("uv is needed to bundle Lambda dependencies: install the project (make setup)")
        return found


def _publish(build: callable, target: Path) -> None:
    """Build into a temporary sibling of ``target`` and rename it into place (atomic, race-safe)."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        build(tmp)
        os.replace(tmp, target)
    except OSError:
        if not target.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _install_dependencies(requirements: Path, python_version: str, architecture: str, target: Path) -> None:
    command = [
        _uv(), "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:", "--no-compile",
        "--python-platform", _PLATFORMS[architecture], "--python-version", python_version,
        "--target", str(target), "-r", str(requirements),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"uv could not install {requirements}: {result.stderr.strip() or result.stdout.strip()}")
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    _drop_console_scripts(target)


def _drop_console_scripts(target: Path) -> None:
    """Remove the console scripts an install writes to ``bin/`` and their lines in each RECORD.

    The installer points their shebang at the building machine's interpreter (``#!/home/.../.venv/bin/python``):
    a path that differs per checkout and makes the bundle's bytes differ per machine, in a script that
    Lambda never runs.
    """
    scripts = target / "bin"
    if not scripts.is_dir():
        return
    shutil.rmtree(scripts)
    for record in target.glob("*.dist-info/RECORD"):
        lines = record.read_text().splitlines(keepends=True)
        record.write_text("".join(line for line in lines if not line.startswith("bin/")))


def prune_cache(directory: Path, *, keep: int) -> None:
    """Delete all but the ``keep`` most recently used entries of ``directory``."""
    if not directory.is_dir():
        return
    entries = sorted((p for p in directory.iterdir() if not p.name.startswith(".")), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[keep:]:
        shutil.rmtree(stale, ignore_errors=True)


def bundled_code(
    *,
    package_dir: Path,
    requirements: Path | None,
    python_version: str,
    architecture: str,
    cache_dir: Path,
    extra_packages: Sequence[Path] = (),
) -> lambda_.Code:
    """The Lambda code asset for ``package_dir`` plus the pinned ``requirements`` for the given platform.

    :param package_dir: the importable package holding the handler (copied under its own name).
    :param requirements: a fully pinned requirements file (installed with --no-deps: list every package),
        or None for a function that needs only the standard library and the runtime's boto3.
    :param python_version: the function's Python version, e.g. ``3.13``.
    :param architecture: ``arm64`` or ``x86_64``.
    :param cache_dir: where dependency sets and assembled bundles are kept between synths.
    :param extra_packages: more packages the handler imports (default none), each copied under its own name.
    """
    check_runtime(python_version, architecture)
    packages = [package_dir, *extra_packages]
    for package in packages:
        if not (package / "__init__.py").is_file():
            raise InvalidPropError("package_dir", str(package), "a Python package directory (with __init__.py)")
    if requirements is not None and not requirements.is_file():
        raise InvalidPropError("requirements", str(requirements), "a pinned requirements file that exists")
    pinned = requirements.read_bytes() if requirements is not None else b""
    deps_key = hashlib.sha256(
        b"\0".join([_BUNDLE_FORMAT.encode(), pinned, python_version.encode(), architecture.encode()])
    ).hexdigest()[:20]
    deps_dir = cache_dir / "deps" / f"py{python_version}-{architecture}-{deps_key}"
    if requirements is not None:
        _publish(lambda tmp: _install_dependencies(requirements, python_version, architecture, tmp), deps_dir)

    sources = ":".join(f"{package.name}:{_source_digest(package)}" for package in packages)
    asset_hash = hashlib.sha256(f"{deps_key}:{sources}".encode()).hexdigest()
    asset_dir = cache_dir / "assets" / asset_hash[:32]

    def assemble(tmp: Path) -> None:
        if requirements is not None:
            shutil.copytree(deps_dir, tmp, dirs_exist_ok=True)
        for package in packages:
            shutil.copytree(package, tmp / package.name, ignore=_IGNORED)

    _publish(assemble, asset_dir)
    os.utime(asset_dir)  # most recently used first when pruning
    prune_cache(cache_dir / "assets", keep=KEEP_ASSETS)
    return lambda_.Code.from_asset(str(asset_dir), asset_hash=asset_hash, asset_hash_type=AssetHashType.CUSTOM)

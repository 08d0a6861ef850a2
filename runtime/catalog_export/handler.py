"""Write the catalog as gzipped JSON Lines onto the file system, keep the newest N, with a manifest.

A reader never sees half a file: each export, and the manifest, is written under a temporary name in
the same directory, flushed to disk and renamed into place (an atomic rename on EFS as on any POSIX
file system). Every product is read strongly consistent; the export is a scan, not a point-in-time
snapshot of the table (that would be DynamoDB's export to S3).

    {FILE_SYSTEM_PATH}/exports/catalog-20261124T020000Z.jsonl.gz
    {FILE_SYSTEM_PATH}/exports/manifest.json   [{"name", "created", "items", "bytes", "sha256"}, ...] newest first
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalog.repository import repository
from structured_logs.logger import logged_handler, logger

MANIFEST = "manifest.json"
EXPORTS_DIR = "exports"


def exports_dir() -> Path:
    return Path(os.environ["FILE_SYSTEM_PATH"]) / EXPORTS_DIR


def _write_atomically(target: Path, write: Any) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    with open(temporary, "wb") as stream:
        write(stream)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temporary, target)


def read_manifest(directory: Path) -> list[dict[str, Any]]:
    path = directory / MANIFEST
    return json.loads(path.read_text()) if path.is_file() else []


def export_catalog(directory: Path, *, keep: int, now: datetime | None = None) -> dict[str, Any]:
    """Write one export into ``directory``, prune to the newest ``keep``; the new manifest entry."""
    if keep < 1:
        raise ValueError(f"EXPORTS_KEEP must be at least 1, not {keep}")
    now = now or datetime.now(UTC)
    directory.mkdir(parents=True, exist_ok=True)
    name = f"catalog-{now:%Y%m%dT%H%M%S%fZ}.jsonl.gz"
    count = 0

    def write(stream: Any) -> None:
        nonlocal count
        # mtime=0: the same catalog gives the same bytes, and the same checksum.
        with gzip.GzipFile(fileobj=stream, mode="wb", mtime=0, filename="") as archive:
            for product in repository().scan_all():
                archive.write(product.model_dump_json().encode() + b"\n")
                count += 1

    target = directory / name
    _write_atomically(target, write)
    digest = hashlib.sha256()
    with open(target, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    entry = {
        "name": name,
        "created": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "items": count,
        "bytes": target.stat().st_size,
        "sha256": digest.hexdigest(),
    }
    entries = sorted([entry, *read_manifest(directory)], key=lambda e: e["name"], reverse=True)
    kept, pruned = entries[:keep], entries[keep:]
    _write_atomically(directory / MANIFEST, lambda stream: stream.write(json.dumps(kept, indent=2).encode()))
    for stale in pruned:  # after the manifest stops naming them
        (directory / stale["name"]).unlink(missing_ok=True)
    return entry


@logged_handler()
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    entry = export_catalog(exports_dir(), keep=int(os.environ.get("EXPORTS_KEEP", "7")))
    logger.info("catalog exported", extra={"export": entry})  # "name" is a LogRecord attribute: nested
    return entry

"""A directory as a zip whose bytes depend only on the files' names, contents and executable bits.

The CDK CLI zips a directory asset when it publishes it (cdk-assets); a package has no CLI to do that, so
the zip is made here. zipfile writes each entry's modification time and mode, and the order it is given:
all three are fixed (sorted paths, 1980-01-01, 0644 or 0755), so two runs on two machines give the same
bytes and the same content hash.
"""

from __future__ import annotations

import hashlib
import io
import stat
import zipfile
from pathlib import Path

# The earliest time a zip entry can carry (DOS time): the same for every entry on every machine.
_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_directory(directory: Path) -> bytes:
    """The zip of every file under ``directory`` (paths relative to it), deterministic."""
    buffer = io.BytesIO()
    files = sorted((p for p in directory.rglob("*") if p.is_file()), key=lambda p: p.relative_to(directory).as_posix())
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(directory).as_posix(), date_time=_EPOCH)
            executable = path.stat().st_mode & stat.S_IXUSR
            entry.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            entry.create_system = 3  # Unix, so the mode above is read (Lambda extracts with it)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes(), compresslevel=6)
    return buffer.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()

"""The scheduled export onto the file system, and the listing behind GET /product/exports."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from catalog.models import ProductIn
from catalog.repository import repository

from devtools.local.events import rest_event
from devtools.local.runtime import LocalLambdaContext

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def export_catalog(*args, **kwargs):
    from catalog_export.handler import export_catalog as export

    return export(*args, **kwargs)


def export_handler(event, context):
    from catalog_export.handler import lambda_handler

    return lambda_handler(event, context)


def listing_handler(event, context):
    from export_listing.handler import lambda_handler

    return lambda_handler(event, context)


def exports_dir(system) -> Path:
    return Path(system.environment["FILE_SYSTEM_PATH"]) / "exports"


def test_an_export_is_gzipped_json_lines_of_every_product_with_its_checksum(system):
    for name in ("Cup", "Plate", "Bowl"):
        repository().create(ProductIn(name=name, price="1.00", currency="EUR"))
    entry = export_handler({"job": "catalog-export"}, LocalLambdaContext())
    path = exports_dir(system) / entry["name"]
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert sorted(json.loads(line)["name"] for line in lines) == ["Bowl", "Cup", "Plate"]
    assert (entry["items"], entry["bytes"]) == (3, path.stat().st_size)
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_only_the_newest_exports_are_kept_and_the_manifest_names_exactly_them(system):
    directory = exports_dir(system)
    names = [export_catalog(directory, keep=2, now=START + timedelta(days=day))["name"] for day in range(4)]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert [entry["name"] for entry in manifest] == [names[3], names[2]]
    assert sorted(p.name for p in directory.iterdir()) == sorted([names[2], names[3], "manifest.json"])


def test_a_reader_never_sees_a_partial_file(system, monkeypatch):
    directory = exports_dir(system)
    export_catalog(directory, keep=3, now=START)
    before = sorted(p.name for p in directory.iterdir())

    def broken_scan(*_, **__):
        yield repository().create(ProductIn(name="Half", price="1.00", currency="EUR"))
        raise ConnectionError("DynamoDB went away mid-export")

    monkeypatch.setattr(type(repository()), "scan_all", broken_scan)
    try:
        export_catalog(directory, keep=3, now=START + timedelta(days=1))
    except ConnectionError:
        pass
    visible = sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))
    assert visible == before  # no new export, manifest unchanged; only a hidden temporary file remains


def test_the_listing_returns_name_created_items_bytes_and_sha256_of_each_export(system):
    entry = export_catalog(exports_dir(system), keep=3, now=START)
    result = listing_handler(rest_event("GET", "/product/exports"), LocalLambdaContext())
    assert result["statusCode"] == 200
    assert json.loads(result["body"]) == {"items": [entry]}
    assert set(entry) == {"name", "created", "items", "bytes", "sha256"}


def test_the_listing_is_empty_before_the_first_export(system):
    result = listing_handler(rest_event("GET", "/product/exports"), LocalLambdaContext())
    assert (result["statusCode"], json.loads(result["body"])) == (200, {"items": []})


def test_an_unreadable_manifest_is_a_json_500_with_the_request_id(system):
    exports_dir(system).mkdir(parents=True, exist_ok=True)
    (exports_dir(system) / "manifest.json").write_text("{not json")
    result = listing_handler(rest_event("GET", "/product/exports"), LocalLambdaContext())
    body = json.loads(result["body"])
    assert result["statusCode"] == 500 and body["error"]["code"] == "internal_error" and body["error"]["request_id"]

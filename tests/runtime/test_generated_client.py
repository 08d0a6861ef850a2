"""A client generated from the OpenAPI document by a standard generator works, with no warning.

openapi-python-client generates a package from services/product_catalog/openapi.json once per
session; the tests import it and use it over HTTP against the API as `make serve` runs it (the real
handlers behind the gateway's routing and body validation, moto's in-memory DynamoDB).
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT

DOCUMENT = ROOT / "services" / "product_catalog" / "openapi.json"
PACKAGE = "catalog_api_client"


@dataclass(frozen=True)
class Generation:
    returncode: int
    output: str  # stdout and stderr
    root: Path  # holds the generated package


@pytest.fixture(scope="session")
def generation(tmp_path_factory: pytest.TempPathFactory) -> Generation:
    root = tmp_path_factory.mktemp("generated-client")
    venv_bin = Path(sys.executable).parent
    result = subprocess.run(
        [str(venv_bin / "openapi-python-client"), "generate", "--path", str(DOCUMENT), "--output-path", str(root / PACKAGE),
         "--meta", "none", "--fail-on-warning"],
        check=False,
        # Its post-generation hooks run ruff, which is in the venv.
        env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"},
        capture_output=True, text=True, timeout=120,
    )
    return Generation(result.returncode, result.stdout + result.stderr, root)


@pytest.fixture(scope="session")
def generated(generation: Generation) -> Iterator[dict[str, ModuleType]]:
    """The generated package's modules by name (``client``, ``models``, ``api.default.create_product``, ...)."""
    assert generation.returncode == 0, generation.output
    sys.path.insert(0, str(generation.root))
    try:
        operations = (generation.root / PACKAGE / "api" / "default").glob("[!_]*.py")
        names = ["client", "models", "types", *(f"api.default.{path.stem}" for path in operations)]
        yield {name: importlib.import_module(f"{PACKAGE}.{name}") for name in names}
    finally:
        sys.path.remove(str(generation.root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture
def client(generated: dict[str, ModuleType], templates: dict[str, Any], dynamodb: Any) -> Iterator[Any]:
    """A generated client pointed at the dev API served on 127.0.0.1 (every request authorized)."""
    from devtools.local.serve import serve

    server = serve(templates["dev/Service"], port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    with generated["client"].Client(base_url=f"http://127.0.0.1:{server.server_port}/prod", timeout=10) as api_client:
        yield api_client
    server.shutdown()
    server.server_close()


def test_the_generator_reports_no_warning_and_no_error(generation):
    reported = [line for line in generation.output.splitlines() if line.strip() and not line.startswith("Generating ")]
    assert (generation.returncode, reported) == (0, [])


def test_the_generated_client_has_one_function_per_operation_of_the_document(generation):
    document = json.loads(DOCUMENT.read_text())
    operation_ids = {operation["operationId"] for methods in document["paths"].values() for operation in methods.values()}
    generated_modules = {p.stem for p in (generation.root / PACKAGE / "api" / "default").glob("[!_]*.py")}
    assert generated_modules == operation_ids


def test_create_get_list_and_delete_through_the_generated_client(generated, client):
    models = generated["models"]
    api = {name.rsplit(".", 1)[1]: module for name, module in generated.items() if name.startswith("api.")}

    body = models.ProductIn(name="Espresso cup", price="12.50", currency="EUR", stock=3)
    created = api["create_product"].sync_detailed(client=client, body=body)
    assert created.status_code == 201 and isinstance(created.parsed, models.Product)
    product = created.parsed
    assert (product.name, product.price, product.stock, product.version) == ("Espresso cup", "12.50", 3, 1)
    assert created.headers["ETag"] == '"1"' and created.headers["Location"] == f"/prod/product/{product.id}"

    fetched = api["get_product"].sync(product.id, client=client)
    assert isinstance(fetched, models.Product) and fetched.to_dict() == product.to_dict()

    page = api["list_products"].sync(client=client, limit=10)
    assert isinstance(page, models.ProductPage) and [item.id for item in page.items] == [product.id]

    deleted = api["delete_product"].sync_detailed(product.id, client=client, if_match=created.headers["ETag"])
    assert (deleted.status_code, deleted.parsed) == (204, None)
    gone = api["get_product"].sync(product.id, client=client)
    assert isinstance(gone, models.ErrorBody) and gone.error.code == "not_found"


def test_a_body_the_gateway_rejects_is_an_error_body_to_the_generated_client(generated, client):
    models = generated["models"]
    create = generated["api.default.create_product"]

    rejected = create.sync_detailed(client=client, body=models.ProductIn(name="Cup", price="1.00", currency="eur"))
    assert rejected.status_code == 422 and isinstance(rejected.parsed, models.ErrorBody)
    (detail,) = rejected.parsed.error.details
    assert detail.location == "body"
    assert isinstance(detail.field, generated["types"].Unset)  # the gateway's validator names no field


def test_the_export_listing_through_the_generated_client(generated, client, tmp_path, monkeypatch):
    from catalog_export.handler import export_catalog

    monkeypatch.setenv("FILE_SYSTEM_PATH", str(tmp_path))
    entry = export_catalog(tmp_path / "exports", keep=3, now=datetime(2026, 11, 24, 2, 0, tzinfo=UTC))
    listing = generated["api.default.list_exports"].sync(client=client)
    assert isinstance(listing, generated["models"].ExportList)
    assert [item.to_dict() for item in listing.items] == [entry]

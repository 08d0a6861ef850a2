"""The service's OpenAPI document: every operation of every function the service declares with API routes.

    python -m services.product_catalog.openapi > services/product_catalog/openapi.json

Each API-facing function documents its own operations in the ``contract`` module of its runtime
package (``openapi()`` -> ``{"paths": ..., "schemas": ...}``, e.g. runtime/product_api/contract.py);
this module puts them together with the service's one error body (``ErrorBody``), keeps only the
schemas an operation refers to, and refuses a document in which a declared route is undocumented, an
operation is served by no function, or a ``$ref`` points nowhere.
tests/runtime/test_openapi.py fails when the committed document is out of date.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stacks.function_declaration import FunctionDeclaration

INFO = {
    "title": "Product catalog API",
    "version": "1.0.0",
    "description": (
        "Products (/product), bulk imports (/product/imports) and catalog exports (/product/exports). "
        "Writes need a Cognito token (Authorization header)."
    ),
}
REF_PREFIX = "#/components/schemas/"


class ContractError(ValueError):
    """The functions' documentation does not add up to the service's API."""


def service_functions() -> tuple[FunctionDeclaration, ...]:
    """The service's function declarations: the one place the contract (and its tests) read them from."""
    from services.product_catalog.definition import DEFINITION

    return DEFINITION.functions


def openapi_document(functions: Iterable[FunctionDeclaration] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``functions`` (default: the service's own, ``service_functions()``)."""
    from catalog.models import ErrorBody

    functions = service_functions() if functions is None else tuple(functions)

    error_body = ErrorBody.model_json_schema(ref_template=REF_PREFIX + "{model}")
    schemas: dict[str, Any] = {**error_body.pop("$defs", {}), "ErrorBody": error_body}
    paths: dict[str, dict[str, Any]] = {}
    served_by: dict[tuple[str, str], str] = {}
    for function in functions:
        declared = {(route.method, route.path) for route in function.api_routes}
        if not declared:
            continue
        part = _contract_of(function, declared).openapi()
        documented = {(method.upper(), path) for path, operations in part["paths"].items() for method in operations}
        if documented != declared:
            raise ContractError(
                f"{function.name} serves {_listed(declared)} but its contract documents {_listed(documented)}"
                f" (missing: {_listed(declared - documented)}; not served: {_listed(documented - declared)})"
            )
        for key in sorted(documented):
            if key in served_by:
                raise ContractError(f"{key[0]} {key[1]} is documented by both {served_by[key]} and {function.name}")
            served_by[key] = function.name
        for path, operations in part["paths"].items():
            paths.setdefault(path, {}).update(operations)
        for name, schema in part["schemas"].items():
            if schemas.setdefault(name, schema) != schema:
                raise ContractError(f"{function.name} defines the schema {name} differently from another function")
    document = {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/"}],
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {"schemas": {}},
    }
    used = _schemas_used(document, schemas)
    document["components"]["schemas"] = {name: schemas[name] for name in sorted(used)}
    dangling = sorted(ref for ref in refs_in(document) if resolve(document, ref) is None)
    if dangling:
        raise ContractError(f"$ref to nothing: {', '.join(dangling)}")
    return document


def as_json(document: dict[str, Any]) -> str:
    """The document as committed: sorted keys, two-space indent, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def refs_in(value: Any) -> list[str]:
    """Every ``$ref`` anywhere in ``value``."""
    if isinstance(value, dict):
        return [ref for key, item in value.items() for ref in ([item] if key == "$ref" else refs_in(item))]
    if isinstance(value, list):
        return [ref for item in value for ref in refs_in(item)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    """What a local ``$ref`` (``#/a/b``, JSON pointer escapes) points to in ``document``; None if nothing."""
    if not ref.startswith("#/"):
        return None
    target: Any = document
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if not isinstance(target, dict) or token not in target:
            return None
        target = target[token]
    return target


def _contract_of(function: FunctionDeclaration, declared: set[tuple[str, str]]) -> Any:
    try:
        return importlib.import_module(f"{function.package}.contract")
    except ModuleNotFoundError as error:
        if error.name != f"{function.package}.contract":
            raise
        raise ContractError(
            f"{function.name} serves {_listed(declared)} but documents nothing: "
            f"add runtime/{function.package}/contract.py with openapi() (see runtime/export_listing/contract.py)"
        ) from None


def _schemas_used(document: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The names of the schemas the paths refer to, directly or through other schemas."""
    used: set[str] = set()
    pending = [ref for ref in refs_in(document["paths"]) if ref.startswith(REF_PREFIX)]
    while pending:
        name = pending.pop()[len(REF_PREFIX):]
        if name not in used and name in schemas:
            used.add(name)
            pending += [ref for ref in refs_in(schemas[name]) if ref.startswith(REF_PREFIX)]
    return used


def _listed(operations: set[tuple[str, str]]) -> str:
    return ", ".join(f"{method} {path}" for method, path in sorted(operations)) or "nothing"


if __name__ == "__main__":
    print(as_json(openapi_document()), end="")

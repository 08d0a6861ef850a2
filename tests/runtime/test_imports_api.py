"""POST /product/imports and GET /product/imports/{id}: the envelope, the 202, the progress."""

from __future__ import annotations

import json

from devtools.local.events import rest_event
from devtools.local.runtime import LocalLambdaContext
from tests.moto_server import queue_depth

ITEM = {"name": "Cup", "price": "3.50", "currency": "EUR"}


def call(method, path, **kwargs):
    from product_api.handler import lambda_handler

    result = lambda_handler(rest_event(method, path, **kwargs), LocalLambdaContext())
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    headers.update({k.lower(): values[-1] for k, values in (result.get("multiValueHeaders") or {}).items()})
    return result["statusCode"], headers, json.loads(result["body"] or "null")


def test_an_import_is_accepted_with_its_location_and_every_item_is_queued(system):
    status, headers, body = call("POST", "/product/imports", body={"items": [ITEM] * 25})
    assert (status, body["status"]) == (202, "pending")
    assert headers["location"] == f"/prod/product/imports/{body['id']}"
    assert queue_depth(system.queue_urls["imports"]) == 25


def test_a_new_import_reads_back_as_pending_with_nothing_counted(system):
    _, _, accepted = call("POST", "/product/imports", body={"items": [ITEM] * 3})
    status, _, body = call("GET", f"/product/imports/{accepted['id']}")
    assert (status, body) == (200, {"id": accepted["id"], "status": "pending", "total": 3, "succeeded": 0, "failed": 0, "errors": []})


def test_items_are_not_validated_one_by_one_at_the_door(system):
    status, _, _ = call("POST", "/product/imports", body={"items": [{"name": ""}, ITEM]})
    assert status == 202


def test_the_envelope_needs_1_to_1000_items(system):
    for items in ([], [ITEM] * 1001):
        status, _, body = call("POST", "/product/imports", body={"items": items})
        assert (status, body["error"]["code"]) == (422, "validation_failed")
    assert queue_depth(system.queue_urls["imports"]) == 0


def test_items_must_be_objects(system):
    status, _, body = call("POST", "/product/imports", body={"items": ["cup"]})
    assert (status, body["error"]["code"]) == (422, "validation_failed")


def test_a_body_over_1_mib_is_413_before_anything_is_queued(system):
    status, _, body = call("POST", "/product/imports", body={"items": [{**ITEM, "description": "x" * 2000}] * 600})
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    assert queue_depth(system.queue_urls["imports"]) == 0


def test_the_product_body_limit_still_applies_to_post_product(system):
    status, _, _ = call("POST", "/product", body={**ITEM, "description": "x" * 17_000})
    assert status == 413


def test_an_unknown_import_is_404(system):
    status, _, body = call("GET", "/product/imports/2b0c4c7e-1111-4222-8333-444455556666")
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, _, _ = call("GET", "/product/imports/not-an-id")
    assert status == 404

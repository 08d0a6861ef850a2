"""PUT /product/{id}: full replacement with optimistic concurrency."""

from __future__ import annotations

import uuid

REPLACEMENT = {"name": "Mug", "price": "8.00", "currency": "EUR", "category": "kitchen"}


def test_put_with_the_current_etag_replaces_the_product(api):
    created = api.create().body
    response = api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": '"1"'})
    assert response.status == 200
    assert response.headers["ETag"] == '"2"'
    assert response.body["name"] == "Mug"
    assert response.body["version"] == 2
    assert response.body["created_at"] == created["created_at"]


def test_put_removes_optional_fields_left_out(api):
    created = api.create().body
    response = api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": '"1"'})
    assert response.body["description"] is None
    assert response.body["stock"] is None


def test_put_without_if_match_is_428(api):
    created = api.create().body
    response = api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT)
    assert response.status == 428
    assert response.error_code == "precondition_required"


def test_put_with_a_stale_etag_is_412_and_tells_the_current_one(api):
    created = api.create().body
    api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": '"1"'})
    response = api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": '"1"'})
    assert response.status == 412
    assert response.headers["ETag"] == '"2"'


def test_put_with_if_match_star_updates_any_version(api):
    created = api.create().body
    assert api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": "*"}).status == 200


def test_put_with_a_weak_etag_is_accepted(api):
    created = api.create().body
    assert api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": 'W/"1"'}).status == 200


def test_put_with_a_malformed_if_match_is_400(api):
    created = api.create().body
    response = api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": "version-1"})
    assert response.status == 400


def test_put_with_an_empty_if_match_is_412_not_428(api):
    created = api.create().body
    response = api.request("PUT", f"/product/{created['id']}", body=REPLACEMENT, headers={"If-Match": ""})
    assert (response.status, response.headers["ETag"]) == (412, '"1"')


def test_put_of_an_unknown_product_is_404(api):
    response = api.request("PUT", f"/product/{uuid.uuid4()}", body=REPLACEMENT, headers={"If-Match": '"1"'})
    assert response.status == 404


def test_put_never_creates_a_product(api):
    api.request("PUT", f"/product/{uuid.uuid4()}", body=REPLACEMENT, headers={"If-Match": "*"})
    assert api.request("GET", "/product").body["items"] == []


def test_put_with_invalid_fields_is_422(api):
    created = api.create().body
    response = api.request("PUT", f"/product/{created['id']}", body={"name": "x"}, headers={"If-Match": '"1"'})
    assert response.status == 422

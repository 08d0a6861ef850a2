"""DELETE /product/{id}."""

from __future__ import annotations

import uuid


def test_delete_is_204_and_the_product_is_gone(api):
    created = api.create().body
    response = api.request("DELETE", f"/product/{created['id']}")
    assert response.status == 204
    assert response.body is None
    assert api.request("GET", f"/product/{created['id']}").status == 404


def test_delete_of_an_unknown_product_is_404(api):
    assert api.request("DELETE", f"/product/{uuid.uuid4()}").status == 404


def test_delete_with_a_stale_if_match_is_412_and_keeps_the_product(api):
    created = api.create().body
    api.request("PUT", f"/product/{created['id']}", body={"name": "n", "price": 1, "currency": "EUR"}, headers={"If-Match": "*"})
    assert api.request("DELETE", f"/product/{created['id']}", headers={"If-Match": '"1"'}).status == 412
    assert api.request("GET", f"/product/{created['id']}").status == 200


def test_delete_with_the_current_if_match_is_204(api):
    created = api.create().body
    assert api.request("DELETE", f"/product/{created['id']}", headers={"If-Match": '"1"'}).status == 204


def test_delete_with_an_empty_if_match_is_412_and_keeps_the_product(api):
    # If-Match = "*" / #entity-tag (RFC 9110): empty is a list of no tags, which no version matches.
    created = api.create().body
    response = api.request("DELETE", f"/product/{created['id']}", headers={"If-Match": ""})
    assert (response.status, response.headers["ETag"]) == (412, '"1"')
    assert api.request("GET", f"/product/{created['id']}").status == 200


def test_delete_with_an_empty_if_match_of_an_unknown_product_is_404(api):
    assert api.request("DELETE", f"/product/{uuid.uuid4()}", headers={"If-Match": " "}).status == 404


def test_delete_with_a_malformed_if_match_is_400_and_keeps_the_product(api):
    created = api.create().body
    response = api.request("DELETE", f"/product/{created['id']}", headers={"If-Match": "version-1"})
    assert (response.status, response.error_code) == (400, "malformed_request")
    assert api.request("GET", f"/product/{created['id']}").status == 200

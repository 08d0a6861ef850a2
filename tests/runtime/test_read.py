"""GET /product and GET /product/{id}."""

from __future__ import annotations

import uuid

from catalog.pagination import encode_token


def test_get_returns_the_product_with_its_etag(api):
    created = api.create().body
    response = api.request("GET", f"/product/{created['id']}")
    assert response.status == 200
    assert response.headers["ETag"] == '"1"'


def test_get_of_an_unknown_id_is_404(api):
    response = api.request("GET", f"/product/{uuid.uuid4()}")
    assert response.status == 404
    assert response.error_code == "not_found"


def test_get_of_an_id_that_is_not_a_uuid_is_404(api):
    assert api.request("GET", "/product/" + "x" * 3000).status == 404


def test_list_of_an_empty_catalog_is_an_empty_page(api):
    response = api.request("GET", "/product")
    assert response.status == 200
    assert response.body == {"items": [], "next_token": None}


def test_list_pages_through_every_product_exactly_once(api):
    ids = {api.create().body["id"] for _ in range(7)}
    seen, token = [], None
    while True:
        query = {"limit": "3", **({"next_token": token} if token else {})}
        page = api.request("GET", "/product", query=query).body
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        token = page["next_token"]
        if not token:
            break
    assert sorted(seen) == sorted(ids)


def test_limit_defaults_to_20(api):
    for _ in range(21):
        api.create()
    assert len(api.request("GET", "/product").body["items"]) == 20


def test_limit_outside_1_to_100_is_422(api):
    for limit in ("0", "101", "-5"):
        response = api.request("GET", "/product", query={"limit": limit})
        assert response.status == 422, limit
        assert response.body["error"]["details"][0]["field"] == "limit"


def test_non_numeric_limit_is_422(api):
    assert api.request("GET", "/product", query={"limit": "ten"}).status == 422


def test_malformed_token_is_400(api):
    for token in ("garbage", "e30", "%%%", "eyJ2IjoxfQ"):
        response = api.request("GET", "/product", query={"next_token": token})
        assert response.status == 400, token
        assert response.body["error"]["details"] == [{"field": "next_token"}]


def test_tampered_token_with_a_non_uuid_id_is_400(api):
    token = encode_token("00000000-0000-4000-8000-000000000000")[:-2] + "zz"
    assert api.request("GET", "/product", query={"next_token": token}).status == 400

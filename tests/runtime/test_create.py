"""POST /product."""

from __future__ import annotations

from tests.runtime.conftest import VALID_PRODUCT


def test_create_returns_201_with_the_stored_product(api):
    response = api.create()
    assert response.status == 201
    assert response.body["name"] == "Espresso cup"
    assert response.body["version"] == 1
    assert response.body["created_at"] == response.body["updated_at"]


def test_create_sets_location_under_the_stage_path_and_an_etag(api):
    response = api.create()
    assert response.headers["Location"] == f"/prod/product/{response.body['id']}"
    assert response.headers["ETag"] == '"1"'


def test_created_product_can_be_read_back(api):
    created = api.create().body
    assert api.request("GET", f"/product/{created['id']}").body == created


def test_price_is_exact_decimal_text_with_two_places(api):
    assert api.create({**VALID_PRODUCT, "price": 0.1}).body["price"] == "0.10"
    assert api.create({**VALID_PRODUCT, "price": "999999999.99"}).body["price"] == "999999999.99"
    assert api.create({**VALID_PRODUCT, "price": 19.99}).body["price"] == "19.99"


def test_price_with_more_than_two_decimal_places_is_422(api):
    response = api.create({**VALID_PRODUCT, "price": "1.005"})
    assert response.status == 422
    assert [d["field"] for d in response.body["error"]["details"]] == ["price"]


def test_boolean_price_or_stock_is_422(api):
    assert api.create({**VALID_PRODUCT, "price": True}).status == 422
    assert api.create({**VALID_PRODUCT, "stock": False}).status == 422


def test_every_invalid_field_is_listed_in_one_422(api):
    response = api.create({"name": "", "price": -1, "currency": "euro", "colour": "red"})
    assert response.status == 422
    assert response.error_code == "validation_failed"
    fields = {detail["field"] for detail in response.body["error"]["details"]}
    assert fields == {"name", "price", "currency", "colour"}


def test_missing_required_fields_are_422(api):
    response = api.request("POST", "/product", body={})
    assert response.status == 422
    assert {d["field"] for d in response.body["error"]["details"]} == {"name", "price", "currency"}


def test_malformed_json_is_400(api):
    response = api.request("POST", "/product", body='{"name": ', headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert response.error_code == "malformed_request"


def test_json_that_is_not_an_object_is_422(api):
    response = api.request("POST", "/product", body="[1, 2]", headers={"Content-Type": "application/json"})
    assert response.status == 422


def test_wrong_content_type_is_415(api):
    response = api.request("POST", "/product", body="name=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status == 415
    assert response.error_code == "unsupported_media_type"


def test_missing_content_type_is_415(api):
    assert api.request("POST", "/product", body='{"name": "x"}').status == 415


def test_json_with_charset_is_accepted(api):
    import json

    response = api.request(
        "POST", "/product", body=json.dumps(VALID_PRODUCT), headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert response.status == 201


def test_body_over_16_kib_is_413(api):
    response = api.create({**VALID_PRODUCT, "description": "x" * 17_000})
    assert response.status == 413
    assert response.error_code == "payload_too_large"


def test_same_idempotency_key_and_body_returns_the_same_product(api):
    first = api.create(headers={"Idempotency-Key": "order-42"})
    retry = api.create(headers={"Idempotency-Key": "order-42"})
    assert (first.status, retry.status) == (201, 201)
    assert retry.body == first.body
    assert len(api.request("GET", "/product").body["items"]) == 1


def test_same_idempotency_key_with_another_body_is_422(api):
    api.create(headers={"Idempotency-Key": "order-42"})
    response = api.create({**VALID_PRODUCT, "name": "Another"}, headers={"Idempotency-Key": "order-42"})
    assert response.status == 422
    assert response.body["error"]["details"] == [{"field": "Idempotency-Key"}]


def test_idempotency_keys_are_scoped_to_the_caller(api):
    alice = api.create(headers={"Idempotency-Key": "k"}, claims={"sub": "alice"})
    bob = api.create(headers={"Idempotency-Key": "k"}, claims={"sub": "bob"})
    assert alice.body["id"] != bob.body["id"]


def test_overlong_idempotency_key_is_400(api):
    assert api.create(headers={"Idempotency-Key": "k" * 256}).status == 400


def test_requests_without_idempotency_key_create_distinct_products(api):
    assert api.create().body["id"] != api.create().body["id"]

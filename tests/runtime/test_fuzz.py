"""Property-based: whatever a client sends to any route, the answer is never a 500."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.runtime.conftest import VALID_PRODUCT

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# Bodies near the valid shape reach deeper into validation than random JSON does.
product_like = st.fixed_dictionaries(
    {},
    optional={key: json_values | st.just(value) for key, value in VALID_PRODUCT.items()}
    | {"category": json_values, "id": json_values, "version": json_values},
)
bodies = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    product_like.map(json.dumps),
    st.just(json.dumps(VALID_PRODUCT)),
)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=40)
headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(["application/json", "text/plain", "application/json; charset=latin-1", ""]) | header_values,
        "If-Match": st.sampled_from(['"1"', "*", 'W/"1"', '"99999999999999999999"']) | header_values,
        "Idempotency-Key": header_values,
    },
)
ids = st.one_of(st.uuids().map(str), st.text(max_size=60).filter(lambda s: "/" not in s and s))
queries = st.fixed_dictionaries({}, optional={"limit": st.text(max_size=8) | st.integers().map(str), "next_token": st.text(max_size=80)})


def assert_not_a_server_error(response) -> None:
    assert response.status < 500, response
    if response.status >= 400:
        assert set(response.body["error"]) >= {"code", "message"}


@FUZZ
@given(body=bodies, hdrs=headers)
def test_create_never_fails_with_500(api, body, hdrs):
    assert_not_a_server_error(api.request("POST", "/product", body=body, headers=hdrs))


@FUZZ
@given(product_id=ids, body=bodies, hdrs=headers)
def test_replace_never_fails_with_500(api, product_id, body, hdrs):
    assert_not_a_server_error(api.request("PUT", f"/product/{product_id}", body=body, headers=hdrs))


@FUZZ
@given(product_id=ids, hdrs=headers)
def test_get_and_delete_never_fail_with_500(api, product_id, hdrs):
    assert_not_a_server_error(api.request("GET", f"/product/{product_id}", headers=hdrs))
    assert_not_a_server_error(api.request("DELETE", f"/product/{product_id}", headers=hdrs))


@FUZZ
@given(query=queries)
def test_list_never_fails_with_500(api, query):
    assert_not_a_server_error(api.request("GET", "/product", query=query))


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]), path=st.text(max_size=40))
def test_any_method_and_path_never_fails_with_500(api, method, path):
    assert_not_a_server_error(api.request(method, "/" + path))

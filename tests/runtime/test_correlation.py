"""Structured logs: every function's lines carry one correlation id per request, and it follows the request
from the API through the import queue, the table's stream and the change-event topic."""

from __future__ import annotations

import json

import pytest
from structured_logs import correlation

from devtools.local.events import rest_event, sqs_event
from devtools.local.runtime import LocalLambdaContext
from tests.moto_server import client, receive_all
from tests.runtime.test_product_events import stream_mapping

ITEM = {"name": "Cup", "price": "3.50", "currency": "EUR", "category": "kitchen"}
CALLER_ID = "checkout-7f3a:retry-1"


def api(method, path, context=None, **kwargs):
    from product_api.handler import lambda_handler

    event = rest_event(method, path, **kwargs)
    result = lambda_handler(event, context or LocalLambdaContext())
    return event, result


def import_worker(messages, context):
    from import_worker.handler import lambda_handler

    return lambda_handler(sqs_event(messages, "arn:aws:sqs:eu-west-1:123456789012:imports"), context)


def received(queue_url):
    return client("sqs").receive_message(
        QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
    )["Messages"]


def test_an_api_request_logs_under_the_callers_correlation_id(system, log_records):
    event, _ = api("GET", "/product/not-a-uuid", headers={"X-Correlation-Id": CALLER_ID})
    records = log_records.all()
    assert records and {r["correlation_id"] for r in records} == {CALLER_ID}
    assert {r["api_request_id"] for r in records} == {event["requestContext"]["requestId"]}


def test_the_correlation_header_is_found_in_any_case(system, log_records):
    api("GET", "/product", headers={"x-correlation-id": CALLER_ID})
    (handled,) = log_records.with_message("request handled")
    assert handled["correlation_id"] == CALLER_ID


def test_without_the_header_an_api_request_logs_under_its_request_id(system, log_records):
    event, _ = api("GET", "/product")
    (handled,) = log_records.with_message("request handled")
    assert handled["correlation_id"] == event["requestContext"]["requestId"]


@pytest.mark.parametrize("sent", ["x" * 129, "two words", "", "<script>"])
def test_an_implausible_header_is_not_taken_as_the_correlation_id(system, log_records, sent):
    event, _ = api("GET", "/product", headers={"X-Correlation-Id": sent})
    (handled,) = log_records.with_message("request handled")
    assert handled["correlation_id"] == event["requestContext"]["requestId"]


def test_every_line_names_the_service_the_function_and_its_invocation(system, log_records):
    context = LocalLambdaContext()
    api("GET", "/product", context=context)
    (handled,) = log_records.with_message("request handled")
    # POWERTOOLS_SERVICE_NAME as the logger first read it (the suite's environments name -test and -local)
    assert handled["service"].startswith("product-catalog-")
    assert (handled["function_name"], handled["function_request_id"]) == (context.function_name, context.aws_request_id)
    assert (handled["level"], handled["method"], handled["resource"], handled["status"]) == ("INFO", "GET", "/product", 200)


def test_one_invocations_correlation_id_does_not_leak_into_the_next(system, log_records):
    api("GET", "/product", headers={"X-Correlation-Id": CALLER_ID})
    event, _ = api("GET", "/product")
    second = log_records.with_message("request handled")[1]
    assert second["correlation_id"] == event["requestContext"]["requestId"]


def test_an_import_sends_its_items_with_the_requests_correlation_id(system):
    api("POST", "/product/imports", body={"items": [ITEM, ITEM]}, headers={"X-Correlation-Id": CALLER_ID})
    messages = received(system.queue_urls["imports"])
    assert [m["MessageAttributes"][correlation.ATTRIBUTE]["StringValue"] for m in messages] == [CALLER_ID, CALLER_ID]


def test_the_import_worker_logs_each_item_under_the_id_its_message_carries(system, log_records):
    api("POST", "/product/imports", body={"items": [ITEM]}, headers={"X-Correlation-Id": CALLER_ID})
    assert import_worker(received(system.queue_urls["imports"]), LocalLambdaContext()) == {"batchItemFailures": []}
    (imported,) = log_records.with_message("item imported")
    assert (imported["correlation_id"], imported["function_name"]) == (CALLER_ID, LocalLambdaContext.function_name)


def test_a_message_without_the_attribute_is_logged_under_the_lambda_request_id(system, log_records):
    from catalog.imports import import_store, item_message

    import_store().create("imp-plain", 1)
    client("sqs").send_message(QueueUrl=system.queue_urls["imports"], MessageBody=item_message("imp-plain", 0, ITEM))
    context = LocalLambdaContext()
    import_worker(received(system.queue_urls["imports"]), context)
    (imported,) = log_records.with_message("item imported")
    assert imported["correlation_id"] == context.aws_request_id


def test_each_record_of_a_batch_keeps_its_own_id_and_the_invocation_its_own(system, log_records):
    from catalog.imports import import_store, item_message

    import_store().create("imp-mixed", 2)
    for index, sent in enumerate(("first-caller", "second-caller")):
        client("sqs").send_message(
            QueueUrl=system.queue_urls["imports"], MessageBody=item_message("imp-mixed", index, ITEM),
            MessageAttributes=correlation.message_attributes(sent),
        )
    context = LocalLambdaContext()
    import_worker(received(system.queue_urls["imports"]), context)
    from structured_logs.logger import logger

    logger.info("batch done")  # what the invocation's id is once every record is done
    by_index = {r["index"]: r["correlation_id"] for r in log_records.with_message("item imported")}
    assert by_index == {0: "first-caller", 1: "second-caller"}
    (done,) = log_records.with_message("batch done")
    assert done["correlation_id"] == context.aws_request_id


def test_a_product_written_through_the_api_publishes_its_event_with_the_callers_id(system, log_records):
    api("POST", "/product", body=ITEM, headers={"X-Correlation-Id": CALLER_ID})
    stream_mapping(system).poll_once()
    (message,) = receive_all(system.queue_urls["product-events-example"])
    assert message["MessageAttributes"][correlation.ATTRIBUTE]["StringValue"] == CALLER_ID
    assert correlation.ATTRIBUTE not in json.loads(message["Body"])["product"]  # an attribute, not product data
    (published,) = log_records.with_message("event published")
    assert published["correlation_id"] == CALLER_ID


def test_an_update_without_an_id_does_not_keep_the_previous_writers(system, log_records):
    _, created = api("POST", "/product", body=ITEM, headers={"X-Correlation-Id": CALLER_ID})
    product = json.loads(created["body"])
    update, _ = api("PUT", f"/product/{product['id']}", body={**ITEM, "stock": 2}, headers={"If-Match": '"1"'})
    stream_mapping(system).poll_once()
    updated = receive_all(system.queue_urls["product-events-example"])[1]
    assert updated["MessageAttributes"][correlation.ATTRIBUTE]["StringValue"] == update["requestContext"]["requestId"]


def test_a_deletion_is_published_under_the_publishers_own_id(system, log_records):
    from catalog.models import ProductIn
    from catalog.repository import repository

    product = repository().create(ProductIn(**ITEM), correlation_id=CALLER_ID)
    repository().delete(product.id, expected_version=1)
    stream_mapping(system).poll_once()
    created, deleted = log_records.with_message("event published")
    assert created["correlation_id"] == CALLER_ID
    assert deleted["correlation_id"] == deleted["function_request_id"]


def test_a_scheduled_or_asynchronous_event_may_carry_its_id(system, log_records):
    from catalog_export.handler import lambda_handler

    lambda_handler({"job": "catalog-export", "correlation_id": "nightly-2026-12-01"}, LocalLambdaContext())
    context = LocalLambdaContext()
    lambda_handler({"job": "catalog-export"}, context)
    first, second = log_records.with_message("catalog exported")
    assert (first["correlation_id"], second["correlation_id"]) == ("nightly-2026-12-01", context.aws_request_id)


def test_an_sns_message_attribute_is_found_delivered_directly_or_wrapped_in_a_queue_message():
    direct = {"Sns": {"MessageAttributes": {"correlation_id": {"Type": "String", "Value": "via-sns"}}}}
    wrapped = {"body": json.dumps(direct["Sns"]), "messageAttributes": {}}
    assert (correlation.from_record(direct), correlation.from_record(wrapped)) == ("via-sns", "via-sns")


def test_a_record_without_an_id_has_none():
    assert correlation.from_record({"body": "not json", "messageAttributes": {}}) is None
    assert correlation.from_record({"dynamodb": {"OldImage": {"correlation_id": {"S": "old-writer"}}}}) is None

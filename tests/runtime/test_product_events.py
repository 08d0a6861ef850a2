"""The change-event publisher, with DynamoDB stream events as Lambda's event source mapping sends them."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from catalog.models import ProductIn
from catalog.repository import repository

from devtools.local.event_sources import StreamMapping
from devtools.local.events import dynamodb_stream_event
from devtools.local.runtime import LocalLambdaContext
from tests.moto_server import client, receive_all

CUP = {"name": "Cup", "price": "3.50", "currency": "EUR", "category": "kitchen"}


@pytest.fixture
def publisher(system):
    """The publisher module, imported once Powertools' environment is set."""
    from product_events import handler

    return handler


def stream_mapping(system, handler=None, retry_attempts=5):
    from product_events.handler import lambda_handler

    handler = handler or lambda_handler
    stream_arn = client("dynamodb").describe_table(TableName="product-local")["Table"]["LatestStreamArn"]
    return StreamMapping(client("dynamodbstreams"), client("sqs"), stream_arn, handler,
                         on_failure_queue_url=system.queue_urls["product-events-stream-failures"], retry_attempts=retry_attempts)


def subscriber_events(system):
    return [json.loads(m["Body"]) for m in receive_all(system.queue_urls["product-events-example"])]


def test_create_update_delete_publish_three_events_in_version_order(system):
    product = repository().create(ProductIn(**CUP))
    repository().replace(product.id, ProductIn(**{**CUP, "price": "4.00", "name": "Big cup"}), expected_version=1)
    repository().delete(product.id, expected_version=2)
    stream_mapping(system).poll_once()
    events = subscriber_events(system)
    assert [(e["event_type"], e["version"]) for e in events] == [("ProductCreated", 1), ("ProductUpdated", 2), ("ProductDeleted", 2)]
    assert [e["event_id"] for e in events] == [f"{product.id}:1:ProductCreated", f"{product.id}:2:ProductUpdated", f"{product.id}:2:ProductDeleted"]


def test_an_update_names_the_changed_fields_and_the_old_and_new_price(system):
    product = repository().create(ProductIn(**CUP))
    repository().replace(product.id, ProductIn(**{**CUP, "price": "4.00", "name": "Big cup"}), expected_version=1)
    stream_mapping(system).poll_once()
    updated = subscriber_events(system)[1]
    assert updated["changed_fields"] == ["name", "price"]
    assert updated["price"] == {"old": "3.50", "new": "4.00"}


def test_an_update_that_keeps_the_price_carries_no_price_change(system):
    product = repository().create(ProductIn(**CUP))
    repository().replace(product.id, ProductIn(**{**CUP, "stock": 5}), expected_version=1)
    stream_mapping(system).poll_once()
    updated = subscriber_events(system)[1]
    assert updated["changed_fields"] == ["stock"] and "price" not in updated


def test_events_carry_the_attributes_subscribers_filter_on(system):
    repository().create(ProductIn(**CUP))
    stream_mapping(system).poll_once()
    (message,) = receive_all(system.queue_urls["product-events-example"])
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes.pop("correlation_id")  # tests/runtime/test_correlation.py
    assert attributes == {"event_type": "ProductCreated", "category": "kitchen"}


def test_after_a_failed_record_the_rest_of_the_batch_is_failed_too_so_order_survives_the_retry(system, publisher):
    first = repository().create(ProductIn(**CUP))
    second = repository().create(ProductIn(**{**CUP, "name": "Plate"}))
    records = client("dynamodbstreams")
    stream_arn = client("dynamodb").describe_table(TableName="product-local")["Table"]["LatestStreamArn"]
    shard = records.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = records.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    batch = records.get_records(ShardIterator=iterator)["Records"]
    calls = []

    def publish_failing_for_the_first(event):
        calls.append(event["product_id"])
        if event["product_id"] == first.id:
            raise RuntimeError("SNS down")

    with mock.patch.object(publisher, "publish", side_effect=publish_failing_for_the_first):
        result = publisher.lambda_handler(dynamodb_stream_event(batch, stream_arn), LocalLambdaContext())
    failed = [failure["itemIdentifier"] for failure in result["batchItemFailures"]]
    assert failed == [r["dynamodb"]["SequenceNumber"] for r in batch]  # both: the second waits for the first
    assert calls == [first.id]  # the second was never published ahead of the first
    assert second.id not in calls


def test_a_batch_that_keeps_failing_goes_to_the_on_failure_queue(system, publisher):
    repository().create(ProductIn(**CUP))
    with mock.patch.object(publisher, "publish", side_effect=RuntimeError("SNS down")):
        mapping = stream_mapping(system, retry_attempts=2)
        mapping.poll_once()
    assert mapping.invocations == 3
    (failure,) = receive_all(system.queue_urls["product-events-stream-failures"])
    info = json.loads(failure["Body"])["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"].endswith("/stream/" + info["streamArn"].rsplit("/stream/", 1)[1])
    assert subscriber_events(system) == []


def test_the_subscription_filter_admits_only_the_declared_event_types(system):
    sns = client("sns")
    sns.publish(TopicArn=system.topic_arns["product-events"], Message="{}",
                MessageAttributes={"event_type": {"DataType": "String", "StringValue": "PriceAlert"}})
    assert receive_all(system.queue_urls["product-events-example"]) == []

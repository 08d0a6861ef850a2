"""The import worker, with SQS events as Lambda's event source mapping sends them."""

from __future__ import annotations

import json

from catalog.imports import import_store, item_message, product_id_for
from catalog.repository import repository

from devtools.local.event_sources import QueueMapping
from devtools.local.events import sqs_event
from devtools.local.runtime import LocalLambdaContext
from tests.moto_server import client, queue_depth, receive_all

GOOD = {"name": "Cup", "price": "3.50", "currency": "EUR"}


def queue_messages(system, import_id, items):
    sqs, url = client("sqs"), system.queue_urls["imports"]
    for index, item in enumerate(items):
        sqs.send_message(QueueUrl=url, MessageBody=item_message(import_id, index, item))
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]


def invoke(messages, system):
    from import_worker.handler import lambda_handler

    return lambda_handler(sqs_event(messages, "arn:aws:sqs:eu-west-1:123456789012:imports"), LocalLambdaContext())


def test_valid_items_become_products_with_ids_derived_from_the_import(system):
    import_store().create("imp-1", 2)
    result = invoke(queue_messages(system, "imp-1", [GOOD, {**GOOD, "name": "Plate"}]), system)
    assert result == {"batchItemFailures": []}
    assert repository().get(product_id_for("imp-1", 1)).name == "Plate"
    status = import_store().get("imp-1")
    assert (status.status, status.succeeded, status.failed) == ("done", 2, 0)


def test_an_invalid_item_is_recorded_failed_at_once_and_not_retried(system):
    import_store().create("imp-2", 2)
    result = invoke(queue_messages(system, "imp-2", [GOOD, {"name": "Cup", "price": "-1", "currency": "EUR"}]), system)
    assert result == {"batchItemFailures": []}
    status = import_store().get("imp-2")
    assert (status.succeeded, status.failed) == (1, 1)
    (error,) = status.errors
    assert (error.index, error.code) == (1, "validation_failed") and error.message.startswith("price:")


def test_a_batch_with_one_poison_message_reports_exactly_that_message(system):
    import_store().create("imp-3", 2)
    messages = queue_messages(system, "imp-3", [GOOD, {**GOOD, "name": "Plate"}])
    client("sqs").send_message(QueueUrl=system.queue_urls["imports"], MessageBody="not an import item")
    messages += client("sqs").receive_message(QueueUrl=system.queue_urls["imports"], MaxNumberOfMessages=10)["Messages"]
    poison = next(m for m in messages if m["Body"] == "not an import item")
    assert invoke(messages, system) == {"batchItemFailures": [{"itemIdentifier": poison["MessageId"]}]}


def test_the_same_message_delivered_twice_creates_one_product_and_counts_once(system):
    import_store().create("imp-4", 1)
    messages = queue_messages(system, "imp-4", [GOOD])
    invoke(messages, system)
    invoke(messages, system)  # a redelivery
    products, _ = repository().list(limit=100, after_id=None)
    assert [p.id for p in products] == [product_id_for("imp-4", 0)]
    status = import_store().get("imp-4")
    assert (status.total, status.succeeded, status.failed, status.status) == (1, 1, 0, "done")


def test_a_message_that_keeps_failing_ends_in_the_dead_letter_queue_after_5_receipts(system):
    url = system.queue_urls["imports"]
    client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps({"import_id": "never-created", "index": 0, "item": GOOD}))
    from import_worker.handler import lambda_handler

    mapping = QueueMapping(client("sqs"), url, lambda_handler, batch_size=10)
    mapping.drain()
    assert mapping.invocations == 5  # maxReceiveCount, from the worker's declaration
    (dead,) = receive_all(system.queue_urls["imports-dead-letter"])
    assert json.loads(dead["Body"])["import_id"] == "never-created"
    assert queue_depth(url) == 0

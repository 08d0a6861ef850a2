"""Turn product table stream records into ProductCreated/Updated/Deleted events on the SNS topic.

Each event carries the product id, its version, the changed field names, the old and new price when
the price changed, and an ``event_id`` (product id, version, type) subscribers deduplicate on; the
message attributes ``event_type`` and ``category`` are what subscription filter policies match, and
``correlation_id`` is the id of the request that wrote the product (the item's attribute; a deletion's
is this invocation's), so a subscriber's logs lead back to the writer's.

Order: the stream delivers one product's records in order within a shard. Once a record of a batch
fails, every later record of that batch is reported failed too, unpublished: Lambda retries the batch
from the first failure, so no event is ever published before an earlier one of the same shard.
Partial batch responses come from Powertools' BatchProcessor.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from structured_logs.correlation import ATTRIBUTE as CORRELATION_ATTRIBUTE
from structured_logs.logger import logged_handler, logger, outgoing_attributes, per_record

metrics = Metrics()
EVENT_TYPES = {"INSERT": "ProductCreated", "MODIFY": "ProductUpdated", "REMOVE": "ProductDeleted"}
# Bookkeeping, not content: a change of only these is not reported as a changed field.
NOT_CONTENT = frozenset({"version", "updated_at", "created_at"})
# Not published at all: the writer's correlation id travels as a message attribute instead.
NOT_PUBLISHED = frozenset({CORRELATION_ATTRIBUTE})


class EarlierRecordFailed(RuntimeError):
    """Not published, so that it is not published before the earlier record of its batch that failed."""


# A batch whose every record failed is reported record by record, not raised: Lambda retries it the
# same way, and the function's Errors metric (a release's rollback alarm) stays for real faults.
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
# Whether a record of the batch being processed has failed; Powertools processes records in order.
_batch = {"failed": False}


@lru_cache(maxsize=1)
def sns_client() -> Any:
    import boto3

    return boto3.client("sns")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value) if value % 1 else int(value)
    return value


def change_event(event_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """The event for one stream record (images as plain attribute dicts)."""
    event_type = EVENT_TYPES[event_name]
    old, new = _published(old), _published(new)
    current = new if new is not None else old or {}
    product_id = str(current.get("id"))
    version = int(current.get("version", 0))
    if event_type == "ProductCreated":
        changed = sorted(k for k in (new or {}) if k not in NOT_CONTENT and k != "id")
    elif event_type == "ProductUpdated":
        changed = sorted(
            k for k in set(old or {}) | set(new or {}) if k not in NOT_CONTENT and (old or {}).get(k) != (new or {}).get(k)
        )
    else:
        changed = []
    event: dict[str, Any] = {
        "event_id": f"{product_id}:{version}:{event_type}",
        "event_type": event_type,
        "product_id": product_id,
        "version": version,
        "changed_fields": changed,
    }
    if "price" in changed or event_type == "ProductCreated":
        event["price"] = {"old": _price(old), "new": _price(new)}
    if event_type != "ProductDeleted":
        event["product"] = {k: _plain(v) for k, v in (new or {}).items()}
    if current.get("category") is not None:
        event["category"] = current["category"]
    return event


def _published(image: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if image is None else {k: v for k, v in image.items() if k not in NOT_PUBLISHED}


def _price(image: dict[str, Any] | None) -> str | None:
    price = (image or {}).get("price")
    return None if price is None else f"{Decimal(str(price)):.2f}"


def publish(event: dict[str, Any]) -> None:
    # The correlation id rides along, so a subscriber's logs lead back to this publisher's.
    attributes = {"event_type": {"DataType": "String", "StringValue": event["event_type"]}, **outgoing_attributes()}
    if event.get("category"):
        attributes["category"] = {"DataType": "String", "StringValue": str(event["category"])}
    sns_client().publish(
        TopicArn=os.environ["PRODUCT_EVENTS_TOPIC_ARN"],
        Message=json.dumps(event, sort_keys=True),
        MessageAttributes=attributes,
    )


@per_record
def publish_record(record: DynamoDBRecord) -> None:
    if _batch["failed"]:
        raise EarlierRecordFailed("an earlier record of this batch failed; retried after it")
    try:
        change = record.dynamodb
        event = change_event(record.event_name.name, change.old_image or None, change.new_image or None)
        publish(event)
    except Exception:
        _batch["failed"] = True
        raise
    metrics.add_metric(name=event["event_type"], unit=MetricUnit.Count, value=1)
    logger.info("event published", extra={"event_id": event["event_id"], "event_type": event["event_type"]})


@logged_handler()
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    _batch["failed"] = False
    return process_partial_response(event=event, record_handler=publish_record, processor=processor, context=context)

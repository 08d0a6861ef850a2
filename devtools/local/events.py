"""API Gateway REST (v1 proxy) events for the product API, as API Gateway would send them to the function.

The event shape lives in catalog_constructs.rest_events; the resources come from the product API's
route declarations (product_api.routes), so tests, the local server and the smoke test use the contract.
"""

from __future__ import annotations

import uuid
from typing import Any

from catalog_constructs.rest_events import match_resource as _match_resource
from catalog_constructs.rest_events import rest_event as _rest_event
from product_api.routes import RESOURCES


def match_resource(path: str, resources: tuple[str, ...] = RESOURCES) -> tuple[str, dict[str, str]] | None:
    """The API resource a request path maps to, and its path parameters."""
    return _match_resource(path, resources)


def rest_event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """A REST proxy event for ``method path`` (path without the stage), with a fresh request id."""
    kwargs.setdefault("resources", RESOURCES)
    return _rest_event(method, path, request_id=str(uuid.uuid4()), **kwargs)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str = "eu-west-1") -> dict[str, Any]:
    """The event an SQS event source mapping sends Lambda, from ``receive_message`` results."""
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()},
                "md5OfBody": message.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for message in messages
        ]
    }


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as Lambda's SQS event spells it (``stringValue``), not as ReceiveMessage does."""
    return {
        "stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
        "stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType", "String"),
    }


def dynamodb_stream_event(records: list[dict[str, Any]], stream_arn: str, region: str = "eu-west-1") -> dict[str, Any]:
    """The event a DynamoDB stream event source mapping sends Lambda, from ``get_records`` results."""
    return {
        "Records": [
            {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": record.get("eventVersion", "1.1"),
                "eventSource": "aws:dynamodb",
                "awsRegion": region,
                "dynamodb": {**record["dynamodb"], "ApproximateCreationDateTime": _epoch(record["dynamodb"].get("ApproximateCreationDateTime"))},
                "eventSourceARN": stream_arn,
            }
            for record in records
        ]
    }


def _epoch(value: Any) -> Any:
    # boto3 returns a datetime; Lambda sends epoch seconds.
    return value.timestamp() if hasattr(value, "timestamp") else value

"""Where a correlation id travels, and how it is found again: pure functions, no dependencies.

A request keeps one id across functions: the API takes the caller's ``X-Correlation-Id`` (when it is
a plausible id) or else API Gateway's request id; every message a function sends carries its id in
the ``correlation_id`` message attribute (SQS and SNS alike), an asynchronous or scheduled event in
its ``correlation_id`` field, a written item its ``correlation_id`` attribute (for the table's stream),
and a function that receives one of these logs under that id.

Imported by the service definition too (the CORS allow-list names the header): keep it free of
Powertools and boto3.
"""

from __future__ import annotations

import json
import re
from typing import Any

HEADER = "X-Correlation-Id"
ATTRIBUTE = "correlation_id"
# A caller's id is logged on every line of its request, so only short, plain ids are taken (a UUID,
# a W3C trace id, "order-42:retry"); anything else falls back to the request id.
_PLAUSIBLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def plausible(value: Any) -> str | None:
    """``value`` when it may serve as a correlation id, else None."""
    return value if isinstance(value, str) and _PLAUSIBLE.fullmatch(value) else None


def api_request_id(event: Any) -> str | None:
    """API Gateway's id of a REST proxy request (the ``request_id`` of its error bodies)."""
    context = event.get("requestContext") if isinstance(event, dict) else None
    return plausible(context.get("requestId")) if isinstance(context, dict) else None


def from_api_request(event: Any) -> str | None:
    """The caller's ``X-Correlation-Id`` (any case) if plausible, else the request id."""
    headers = event.get("headers") if isinstance(event, dict) else None
    if isinstance(headers, dict):
        lowered = HEADER.lower()
        sent = next((value for key, value in headers.items() if str(key).lower() == lowered), None)
        if plausible(sent):
            return sent
    return api_request_id(event)


def from_event(event: Any) -> str | None:
    """The id an asynchronous or scheduled invocation's event carries in its ``correlation_id`` field."""
    return plausible(event.get(ATTRIBUTE)) if isinstance(event, dict) else None


def from_record(record: Any) -> str | None:
    """The id a batch record's producer put on it: an SQS message attribute, an SNS message attribute
    (delivered directly, or to a queue without raw delivery, inside the body), the new image's
    attribute of a stream record (a deletion has none: the writer's id is not in the old image), or None."""
    if not isinstance(record, dict):
        return None
    change = record.get("dynamodb")
    if isinstance(change, dict):
        written = (change.get("NewImage") or {}).get(ATTRIBUTE)
        return plausible(written.get("S")) if isinstance(written, dict) else None
    sqs_attributes = record.get("messageAttributes")
    if isinstance(sqs_attributes, dict) and isinstance(sqs_attributes.get(ATTRIBUTE), dict):
        return plausible(sqs_attributes[ATTRIBUTE].get("stringValue"))
    envelope = record.get("Sns")
    if envelope is None and isinstance(record.get("body"), str) and record["body"].startswith("{"):
        try:
            envelope = json.loads(record["body"])
        except ValueError:
            return None
    sns_attributes = envelope.get("MessageAttributes") if isinstance(envelope, dict) else None
    if isinstance(sns_attributes, dict) and isinstance(sns_attributes.get(ATTRIBUTE), dict):
        return plausible(sns_attributes[ATTRIBUTE].get("Value"))
    return None


def message_attributes(correlation_id: str | None) -> dict[str, dict[str, str]]:
    """The message attribute that carries ``correlation_id`` (the same shape for SQS and SNS)."""
    return {ATTRIBUTE: {"DataType": "String", "StringValue": correlation_id}} if correlation_id else {}

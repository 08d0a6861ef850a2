"""Send an import's items to the import queue, ten to a request (SQS's batch limit)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from catalog.imports import item_message
from catalog.settings import settings
from structured_logs.logger import outgoing_attributes

SQS_BATCH = 10
ATTEMPTS = 3


class ImportQueueError(RuntimeError):
    """Some items could not be queued after retries (an SQS fault: the caller gets a 500)."""


@lru_cache(maxsize=1)
def sqs_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def send_items(import_id: str, items: list[dict[str, Any]]) -> None:
    """One message per item, carrying the request's correlation id; entries SQS reports as failed are
    sent again, up to ATTEMPTS times."""
    queue_url = settings().imports_queue_url
    attributes = outgoing_attributes()
    pending = {str(index): item_message(import_id, index, item) for index, item in enumerate(items)}
    for _ in range(ATTEMPTS):
        keys = list(pending)
        for start in range(0, len(keys), SQS_BATCH):
            entries = [
                {"Id": key, "MessageBody": pending[key], **({"MessageAttributes": attributes} if attributes else {})}
                for key in keys[start:start + SQS_BATCH]
            ]
            response = sqs_client().send_message_batch(QueueUrl=queue_url, Entries=entries)
            for sent in response.get("Successful", []):
                pending.pop(sent["Id"], None)
        if not pending:
            return
    raise ImportQueueError(f"{len(pending)} items of import {import_id} could not be queued")

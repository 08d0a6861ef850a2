"""Bulk imports: the import record, the messages that carry its items, and the id each item gets.

An import record counts its items by *index sets* (DynamoDB number sets): recording the same item
twice, as a redelivered message does, adds the same index again and changes nothing. Each item's
product id is derived from the import id and its index, so a redelivered item finds its product
already written and creates no second one.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from decimal import Decimal
from functools import lru_cache
from typing import Any

from catalog.import_models import ImportStatus, ItemError
from catalog.repository import dynamodb_client
from catalog.settings import settings

MAX_ERROR_MESSAGE = 160
RECORD_DAYS = 30


def product_id_for(import_id: str, index: int) -> str:
    """The product id item ``index`` of an import gets: the same on every delivery, shaped like any other id."""
    digest = hashlib.sha256(f"{import_id}:{index}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def item_message(import_id: str, index: int, item: dict[str, Any]) -> str:
    """The SQS message body for one item."""
    return json.dumps({"import_id": import_id, "index": index, "item": item}, default=str)


def parse_item_message(body: str) -> tuple[str, int, Any]:
    """(import id, index, item) of a message body; ValueError if it is not one."""
    message = json.loads(body, parse_float=Decimal)
    import_id, index = message["import_id"], message["index"]
    if not isinstance(import_id, str) or not isinstance(index, int) or isinstance(index, bool):
        raise ValueError("not an import item message")
    return import_id, index, message["item"]


class ImportStore:
    """Import records in their DynamoDB table (key ``id``)."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, import_id: str, total: int) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                "id": {"S": import_id},
                "total": {"N": str(total)},
                "errors": {"M": {}},
                "created_at": {"N": str(int(time.time()))},
                "expires_at": {"N": str(int(time.time()) + RECORD_DAYS * 86_400)},
            },
            ConditionExpression="attribute_not_exists(id)",
        )

    def record_success(self, import_id: str, index: int) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"id": {"S": import_id}},
            UpdateExpression="ADD succeeded :index",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeValues={":index": {"NS": [str(index)]}},
        )

    def record_failure(self, import_id: str, index: int, code: str, message: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"id": {"S": import_id}},
            UpdateExpression="ADD failed :index SET errors.#index = :error",
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeNames={"#index": str(index)},
            ExpressionAttributeValues={
                ":index": {"NS": [str(index)]},
                ":error": {"M": {"code": {"S": code}, "message": {"S": message[:MAX_ERROR_MESSAGE]}}},
            },
        )

    def get(self, import_id: str) -> ImportStatus | None:
        item = self._client.get_item(TableName=self._table, Key={"id": {"S": import_id}}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        total = int(item["total"]["N"])
        succeeded = len(item.get("succeeded", {}).get("NS", []))
        failed = len(item.get("failed", {}).get("NS", []))
        errors = sorted(
            (ItemError(index=int(index), code=error["M"]["code"]["S"], message=error["M"]["message"]["S"])
             for index, error in item.get("errors", {}).get("M", {}).items()),
            key=lambda error: error.index,
        )
        done = succeeded + failed
        status = "done" if done >= total else "running" if done else "pending"
        return ImportStatus(id=import_id, status=status, total=total, succeeded=succeeded, failed=failed, errors=errors)


@lru_cache(maxsize=1)
def import_store() -> ImportStore:
    return ImportStore(dynamodb_client(), settings().imports_table_name)

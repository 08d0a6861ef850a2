"""ProductRepository: products in DynamoDB, every write conditional so concurrent writers never lose data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from structured_logs.correlation import ATTRIBUTE as CORRELATION_ATTRIBUTE

from catalog.errors import NotFound, PreconditionFailed
from catalog.models import Product, ProductIn, new_id
from catalog.settings import settings

_OPTIONAL_FIELDS = ("description", "category", "stock")
# CORRELATION_ATTRIBUTE is no product field: the correlation id of the last write, which the table's
# stream carries to the change-event publisher (structured_logs.correlation). Product ignores it on reads.
_REMOVABLE = (*_OPTIONAL_FIELDS, CORRELATION_ATTRIBUTE)  # removed by a full update that does not set them


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    """One DynamoDB client per execution environment, created on first use (boto3 is slow to import)."""
    import boto3
    from botocore.config import Config

    return boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 3}))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AlreadyExists(Exception):
    """A product with this id exists already (a create was repeated)."""


class ProductRepository:
    """CRUD on the product table; ``expected_version`` None means "any version" (If-Match: *)."""

    def __init__(self, client: Any, table_name: str, primary_key: str = "id") -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._client = client
        self._table = table_name
        self._key = primary_key
        self._serialize = TypeSerializer().serialize
        self._deserialize = TypeDeserializer().deserialize

    def _to_item(self, values: dict[str, Any]) -> dict[str, Any]:
        return {name: self._serialize(value) for name, value in values.items() if value is not None}

    def _from_item(self, item: dict[str, Any]) -> Product:
        values = {name: self._deserialize(value) for name, value in item.items()}
        values["id"] = values.pop(self._key)
        return Product.model_validate(values)

    def _key_of(self, product_id: str) -> dict[str, Any]:
        return {self._key: {"S": product_id}}

    def create(self, data: ProductIn, *, product_id: str | None = None, correlation_id: str | None = None) -> Product:
        """Write a new product (a fresh id unless ``product_id``); raises AlreadyExists if that id is taken."""
        now = _now()
        product = Product(**data.model_dump(), id=product_id or new_id(), created_at=now, updated_at=now, version=1)
        values = product.model_dump()
        values[self._key] = values.pop("id")
        values[CORRELATION_ATTRIBUTE] = correlation_id
        try:
            self._client.put_item(
                TableName=self._table,
                Item=self._to_item(values),
                ConditionExpression="attribute_not_exists(#key)",
                ExpressionAttributeNames={"#key": self._key},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            raise AlreadyExists(product.id) from None
        return product

    def scan_all(self, *, page_size: int = 500) -> Iterator[Product]:
        """Every product, each read strongly consistent, page by page."""
        request: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True, "Limit": page_size}
        while True:
            page = self._client.scan(**request)
            for item in page.get("Items", []):
                yield self._from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get(self, product_id: str) -> Product | None:
        item = self._client.get_item(TableName=self._table, Key=self._key_of(product_id), ConsistentRead=True)
        return self._from_item(item["Item"]) if "Item" in item else None

    def list(self, *, limit: int, after_id: str | None) -> tuple[list[Product], str | None]:
        """Up to ``limit`` products after ``after_id``, and the id to continue after (None at the end)."""
        request: dict[str, Any] = {"TableName": self._table, "Limit": limit}
        if after_id:
            request["ExclusiveStartKey"] = self._key_of(after_id)
        page = self._client.scan(**request)
        last = page.get("LastEvaluatedKey")
        return [self._from_item(item) for item in page.get("Items", [])], (last[self._key]["S"] if last else None)

    def replace(
        self, product_id: str, data: ProductIn, *, expected_version: int | None, correlation_id: str | None = None
    ) -> Product:
        """Full update; raises NotFound if absent, PreconditionFailed if the version moved on."""
        values = {**data.model_dump(), CORRELATION_ATTRIBUTE: correlation_id}
        fields = (*ProductIn.model_fields, CORRELATION_ATTRIBUTE)
        sets = [f"#{name} = :{name}" for name in fields if values.get(name) is not None]
        removes = [f"#{name}" for name in _REMOVABLE if values.get(name) is None]
        used = [name for name in fields if values.get(name) is not None or name in _REMOVABLE]
        names = {f"#{name}": name for name in used}
        names["#key"] = self._key
        attribute_values = {f":{name}": value for name, value in values.items() if value is not None}
        attribute_values.update({":updated_at": _now(), ":one": 1})
        condition = "attribute_exists(#key)"
        if expected_version is not None:
            condition += " AND #version = :expected"
            attribute_values[":expected"] = expected_version
        names.update({"#version": "version", "#updated_at": "updated_at"})
        expression = "SET " + ", ".join([*sets, "#updated_at = :updated_at", "#version = #version + :one"])
        if removes:
            expression += " REMOVE " + ", ".join(removes)
        response = self._conditional(
            "update_item",
            product_id,
            UpdateExpression=expression,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=self._to_item(attribute_values),
            ReturnValues="ALL_NEW",
        )
        return self._from_item(response["Attributes"])

    def delete(self, product_id: str, *, expected_version: int | None) -> None:
        """Delete; raises NotFound if absent, PreconditionFailed if the version moved on."""
        condition, values = "attribute_exists(#key)", {}
        names = {"#key": self._key}
        if expected_version is not None:
            condition += " AND #version = :expected"
            names["#version"] = "version"
            values[":expected"] = {"N": str(expected_version)}
        self._conditional(
            "delete_item",
            product_id,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            **({"ExpressionAttributeValues": values} if values else {}),
        )

    def _conditional(self, operation: str, product_id: str, **request: Any) -> dict[str, Any]:
        client = self._client
        try:
            return getattr(client, operation)(
                TableName=self._table,
                Key=self._key_of(product_id),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **request,
            )
        except client.exceptions.ConditionalCheckFailedException as error:
            # The old item comes back with the failure: present means stale version, absent means gone.
            if error.response.get("Item"):
                current = self._from_item(error.response["Item"])
                raise PreconditionFailed(
                    f"product {product_id} is at version {current.version}", headers={"ETag": current.etag}
                ) from None
            raise NotFound(f"product {product_id} does not exist") from None


@lru_cache(maxsize=1)
def repository() -> ProductRepository:
    config = settings()
    return ProductRepository(dynamodb_client(), config.table_name, config.primary_key)

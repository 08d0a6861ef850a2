"""make serve creates every declared table as the stateful stack would: keys, sort keys, indexes, streams."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from devtools.local.system import LocalSystem, table_name
from services.product_catalog.definition import DEFINITION
from tests.fixtures.orders.definition import ORDERS


@pytest.fixture
def client():
    with mock_aws():
        yield lambda service: boto3.client(service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_a_declared_sort_key_and_index_exist_locally(client, tmp_path):
    system = LocalSystem(client, ORDERS, tmp_path).create()
    table = client("dynamodb").describe_table(TableName=table_name("orders"))["Table"]
    assert table["KeySchema"] == [{"AttributeName": "customer_id", "KeyType": "HASH"}, {"AttributeName": "order_id", "KeyType": "RANGE"}]
    (index,) = table["GlobalSecondaryIndexes"]
    assert (index["IndexName"], index["KeySchema"][1]) == ("by-status", {"AttributeName": "placed_at", "KeyType": "RANGE"})
    assert system.environment["ORDERS_TABLE_SORT_KEY"] == "order_id"


def test_the_work_queue_of_a_queue_trigger_exists_with_its_dead_letter_queue(client, tmp_path):
    system = LocalSystem(client, ORDERS, tmp_path).create()
    assert {"fulfilment", "fulfilment-dead-letter"} <= set(system.queue_urls)
    assert system.environment["FULFILMENT_QUEUE_URL"] == system.queue_urls["fulfilment"]


def test_a_streamed_table_has_its_stream_locally(client, tmp_path):
    LocalSystem(client, DEFINITION, tmp_path).create()
    table = client("dynamodb").describe_table(TableName=table_name("product"))["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert "StreamSpecification" not in client("dynamodb").describe_table(TableName=table_name("imports"))["Table"]

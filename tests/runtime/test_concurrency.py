"""Concurrent writers with If-Match: exactly one winner per version, no lost update."""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend
from moto.server import ThreadedMotoServer

from tests.conftest import create_tables
from tests.runtime.sandbox_worker import write_increments

SANDBOXES = 3
ROUNDS = 6


@pytest.fixture
def dynamodb_server(monkeypatch):
    """A moto server on 127.0.0.1 whose item writes are atomic, as DynamoDB's are (moto's are not).

    The lock only makes each single request atomic; a read followed by a write across two requests
    is still racy, which is exactly what the handler's conditional writes must handle.
    """
    lock = threading.RLock()
    for name in ("update_item", "delete_item", "put_item", "get_item", "scan"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    create_tables(boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing"))
    yield endpoint
    server.stop()


def test_concurrent_if_match_updates_lose_nothing(dynamodb_server, aws_env):
    client = boto3.client("dynamodb", endpoint_url=dynamodb_server)
    product_id = "00000000-0000-4000-8000-000000000001"
    client.put_item(TableName="product-test", Item={
        "id": {"S": product_id}, "name": {"S": "counter"}, "price": {"N": "1"}, "currency": {"S": "EUR"},
        "stock": {"N": "0"}, "version": {"N": "1"},
        "created_at": {"S": "2026-01-01T00:00:00.000Z"}, "updated_at": {"S": "2026-01-01T00:00:00.000Z"},
    })

    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(SANDBOXES, mp_context=spawn) as sandboxes:
        start = manager.Barrier(SANDBOXES)
        work = partial(write_increments, dynamodb_server, product_id, start)
        results = list(sandboxes.map(work, [ROUNDS] * SANDBOXES))
    outcomes = [outcome for sandbox in results for outcome in sandbox]

    statuses = Counter(status for status, _ in outcomes)
    winners_per_version = Counter(version for status, version in outcomes if status == 200)
    final = client.get_item(TableName="product-test", Key={"id": {"S": product_id}})["Item"]
    assert set(statuses) <= {200, 412}, statuses
    assert all(count == 1 for count in winners_per_version.values()), winners_per_version
    # Every successful increment is in the final stock: no writer overwrote another's update.
    assert int(final["stock"]["N"]) == statuses[200]
    assert int(final["version"]["N"]) == 1 + statuses[200]
    assert statuses[412] > 0, "the writers never collided: the test proved nothing"

"""Concurrent writers with If-Match: exactly one winner per version, no lost update."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto.dynamodb.models import DynamoDBBackend

WRITERS = 8
ROUNDS = 5


@pytest.fixture
def atomic_items(monkeypatch):
    """DynamoDB applies a conditional write atomically per item; moto does not, so add the lock it lacks.

    The lock only makes each single request atomic (as DynamoDB is); check-then-write across two
    requests is still racy, which is what the handler must cope with.
    """
    lock = threading.RLock()
    for name in ("update_item", "delete_item", "put_item", "get_item", "scan"):
        original = getattr(DynamoDBBackend, name)

        def locked(self, *args, __original=original, **kwargs):
            with lock:
                return __original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, locked)


def test_concurrent_if_match_updates_lose_nothing(api, atomic_items):
    product_id = api.create({"name": "counter", "price": "1", "currency": "EUR", "stock": 0}).body["id"]
    outcomes: Counter[int] = Counter()
    winners_per_version: Counter[int] = Counter()
    outcome_lock = threading.Lock()

    def writer(number: int) -> None:
        for _ in range(ROUNDS):
            current = api.request("GET", f"/product/{product_id}").body
            body = {"name": "counter", "price": "1", "currency": "EUR", "stock": current["stock"] + 1}
            response = api.request(
                "PUT", f"/product/{product_id}", body=body, headers={"If-Match": f'"{current["version"]}"'}
            )
            with outcome_lock:
                outcomes[response.status] += 1
                if response.status == 200:
                    winners_per_version[current["version"]] += 1

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(writer, range(WRITERS)))

    final = api.request("GET", f"/product/{product_id}").body
    assert set(outcomes) <= {200, 412}
    assert outcomes[200] >= 1
    assert all(count == 1 for count in winners_per_version.values()), winners_per_version
    # Every successful increment is in the final stock: none was overwritten by a concurrent writer.
    assert final["stock"] == outcomes[200]
    assert final["version"] == 1 + outcomes[200]

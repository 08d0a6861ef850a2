"""The service's resources on moto in server mode, built by LocalSystem from the declarations, as `make serve` does.

Server mode, not the in-process mock: the mock does not route DynamoDB Streams calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devtools.local.runtime import reset_runtime_caches
from devtools.local.serve import local_credentials, start_emulator
from devtools.local.system import LocalSystem

ENDPOINT: dict[str, str] = {}


def client(service: str) -> Any:
    return boto3.client(service, region_name="eu-west-1", endpoint_url=ENDPOINT["url"],
                        aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """One moto server on 127.0.0.1 for the session; each test resets it."""
    server, endpoint = start_emulator()
    ENDPOINT["url"] = endpoint
    yield endpoint
    server.stop()


@pytest.fixture
def system(emulator: str, tmp_path: Path) -> Iterator[LocalSystem]:
    """A fresh emulated account with every table, queue, topic and subscription the service declares."""
    import urllib.request

    from services.product_catalog.definition import DEFINITION

    urllib.request.urlopen(urllib.request.Request(f"{emulator}/moto-api/reset", method="POST"), timeout=10).read()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in local_credentials(emulator).items():
            patch.setenv(name, value)
        built = LocalSystem(client, DEFINITION, tmp_path / "files").create()
        for name, value in built.environment.items():
            patch.setenv(name, value)
        reset_runtime_caches()
        yield built
    reset_runtime_caches()


def receive_all(queue_url: str) -> list[dict[str, Any]]:
    """Every message in a queue (received and deleted)."""
    sqs, messages = client("sqs"), []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", []):
        messages += batch
        for message in batch:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def queue_depth(queue_url: str) -> int:
    attributes = client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])



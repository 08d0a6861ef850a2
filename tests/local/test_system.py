"""make serve runs the whole service: an import through HTTP ends in products and change events."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from devtools.local.api_template import service_template
from tests.conftest import ROOT

ITEM = {"name": "Mug", "price": "4.20", "currency": "EUR", "category": "kitchen"}
INVALID = {3: {"name": "", "price": "1.00", "currency": "EUR"}, 11: {"name": "Bad", "price": "1.005", "currency": "EUR"},
           20: {"name": "Bad", "price": "1.00", "currency": "euro"}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served(synthesized):
    template = service_template(synthesized.outdir / "assembly-dev")  # never a nested stack's template
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local.serve", "--port", str(port), "--template", str(template)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    endpoint, authorization, lines = None, None, []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("AWS emulator: "):
            endpoint = line.split()[2]
        if line.startswith("Authorization: "):
            authorization = line.split(": ", 1)[1].strip()  # the ready-made token make serve prints
        if line.startswith("Product API on"):
            break
    assert endpoint and authorization, "".join(lines)
    yield f"http://127.0.0.1:{port}", endpoint, authorization
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)


def request(url: str, body: dict | None = None, authorization: str | None = None) -> tuple[int, dict, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **({"Authorization": authorization} if authorization else {})}
    message = urllib.request.Request(url, data=data, method="POST" if body else "GET", headers=headers)
    with urllib.request.urlopen(message, timeout=30) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def test_an_import_of_25_items_with_3_invalid_ends_done_and_publishes_22_events(served):
    base, endpoint, authorization = served
    items = [INVALID.get(index, {**ITEM, "name": f"Mug {index}"}) for index in range(25)]
    status, headers, _ = request(f"{base}/prod/product/imports", {"items": items}, authorization)
    assert status == 202
    deadline = time.monotonic() + 60
    while True:
        _, _, progress = request(f"{base}{headers['Location']}")
        if progress["status"] == "done" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (progress["status"], progress["succeeded"], progress["failed"]) == ("done", 22, 3)
    assert [error["index"] for error in progress["errors"]] == sorted(INVALID)

    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    queue = sqs.get_queue_url(QueueName="product-events-example")["QueueUrl"]
    events, deadline = [], time.monotonic() + 30
    while len(events) < 22 and time.monotonic() < deadline:
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            events.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert len(events) == 22 and {e["event_type"] for e in events} == {"ProductCreated"}
    assert len({e["event_id"] for e in events}) == 22

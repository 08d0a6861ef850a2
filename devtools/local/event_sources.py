"""Local event source mappings: what Lambda's pollers do for SQS queues and DynamoDB streams, on the emulator.

moto cannot run Lambda code (that needs Docker), so `make serve` and the tests drive the real handlers
with these pollers, as Lambda's mappings would:

- ``QueueMapping`` receives up to ``batch_size`` messages (with their receive counts), invokes the
  handler with an SQS event, deletes what succeeded and makes each reported failure (or the whole
  batch, if the handler raised) visible again at once. The queue's own redrive policy moves a message
  received ``maxReceiveCount`` times to the dead-letter queue, as in AWS.
- ``StreamMapping`` reads each shard in order, invokes the handler with a stream event, and on
  reported failures retries from the first failed record, up to ``retry_attempts``; then it sends a
  description of the batch it gives up on to the on-failure queue, as Lambda does.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devtools.local.events import dynamodb_stream_event, sqs_event
from devtools.local.runtime import LocalLambdaContext

Handler = Callable[[dict[str, Any], Any], Any]


def _failed_ids(result: Any) -> set[str] | None:
    """Item identifiers the handler reported failed; None when it raised (the whole batch failed)."""
    if isinstance(result, dict) and isinstance(result.get("batchItemFailures"), list):
        return {str(failure.get("itemIdentifier")) for failure in result["batchItemFailures"]}
    return set()


def _invoke(handler: Handler, event: dict[str, Any]) -> set[str] | None:
    try:
        return _failed_ids(handler(event, LocalLambdaContext()))
    except Exception:  # the function failed: Lambda treats the whole batch as failed
        return None


@dataclass
class QueueMapping:
    sqs: Any
    queue_url: str
    handler: Handler
    batch_size: int = 10
    invocations: int = 0

    def __post_init__(self) -> None:
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll_once(self) -> int:
        """One receive and (if anything came) one invocation; the number of messages handled."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=min(self.batch_size, 10),
            AttributeNames=["All"], MessageAttributeNames=["All"], WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return 0
        self.invocations += 1
        failed = _invoke(self.handler, sqs_event(messages, self.queue_arn))
        for message in messages:
            if failed is None or message["MessageId"] in failed:
                self.sqs.change_message_visibility(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)

    def drain(self, *, max_polls: int = 1000) -> None:
        """Poll until the queue answers empty (failed messages come back until they are dead-lettered)."""
        for _ in range(max_polls):
            if not self.poll_once():
                return


@dataclass
class StreamMapping:
    streams: Any
    sqs: Any
    stream_arn: str
    handler: Handler
    on_failure_queue_url: str
    batch_size: int = 100
    retry_attempts: int = 3
    iterators: dict[str, str] = field(default_factory=dict)
    invocations: int = 0

    def _shards(self) -> list[str]:
        return [s["ShardId"] for s in self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]]

    def poll_once(self) -> int:
        """Read every shard once from where it was left; the number of records delivered."""
        delivered = 0
        for shard in self._shards():
            iterator = self.iterators.get(shard) or self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            page = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            records = page.get("Records", [])
            self.iterators[shard] = page.get("NextShardIterator") or iterator
            if records:
                self._deliver(shard, records)
                delivered += len(records)
        return delivered

    def _deliver(self, shard: str, records: list[dict[str, Any]]) -> None:
        pending = records
        for _attempt in range(self.retry_attempts + 1):
            self.invocations += 1
            failed = _invoke(self.handler, dynamodb_stream_event(pending, self.stream_arn))
            if failed == set():
                return
            # Lambda resumes from the first failed record (the lowest sequence number reported).
            sequence = [r["dynamodb"]["SequenceNumber"] for r in pending]
            first = 0 if failed is None else min(sequence.index(s) for s in failed if s in sequence)
            pending = pending[first:]
        self.sqs.send_message(QueueUrl=self.on_failure_queue_url, MessageBody=json.dumps({
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self.retry_attempts + 1},
            "DDBStreamBatchInfo": {
                "shardId": shard, "streamArn": self.stream_arn, "batchSize": len(pending),
                "startSequenceNumber": pending[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": pending[-1]["dynamodb"]["SequenceNumber"],
            },
        }))


class Pollers:
    """Run mappings in a background thread until stopped (for `make serve`)."""

    def __init__(self, mappings: list[Any], interval: float = 0.2) -> None:
        self.mappings = mappings
        self.interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True, name="event-source-mappings")

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                busy = sum(mapping.poll_once() for mapping in self.mappings)
            if not busy:
                self._stop.wait(self.interval)

    def start(self) -> Pollers:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=10)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until a full round of every mapping finds nothing to do."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not sum(mapping.poll_once() for mapping in self.mappings):
                    return
        raise TimeoutError("event source mappings still busy")

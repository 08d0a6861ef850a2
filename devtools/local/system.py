"""The whole service on the local emulator: tables, queues, topic, subscription, files, event source mappings.

Built from the same declarations the stacks are (stacks/functions.py), with local names. Every
function's environment is the one the service would generate for it (``<TABLE>_TABLE_NAME``,
``<QUEUE>_QUEUE_URL``, ``<TOPIC>_TOPIC_ARN``, ``FILE_SYSTEM_PATH``); they are merged into one process
environment, which works because local names never clash.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.local.event_sources import QueueMapping, StreamMapping
from stacks.function_declaration import FunctionDeclaration, QueueTrigger, StreamTrigger, TopicSubscription, env_name

LOCAL_KEYS = {"product": "id", "idempotency": "id", "imports": "id"}


def handler_of(dotted: str) -> Callable[..., Any]:
    """``package.module.function`` -> the function (imported in this process)."""
    module, _, function = dotted.rpartition(".")
    return getattr(importlib.import_module(module), function)


def table_name(name: str) -> str:
    return f"{name}-local"


@dataclass
class LocalSystem:
    """What `make serve` runs besides the HTTP API. ``client`` makes boto3 clients for the emulator."""

    client: Callable[[str], Any]
    functions: Sequence[FunctionDeclaration]
    subscriptions: Sequence[TopicSubscription]
    files_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    mappings: list[Any] = field(default_factory=list)

    def create(self) -> "LocalSystem":
        self._tables()
        self._queues()
        self._topics()
        for declaration in self.functions:
            self.environment.update(self.function_environment(declaration))
        return self

    def _tables(self) -> None:
        dynamodb = self.client("dynamodb")
        streamed = {t.table: t.view for d in self.functions for t in d.triggers_of(StreamTrigger)}
        for name, key in LOCAL_KEYS.items():
            request: dict[str, Any] = {
                "TableName": table_name(name),
                "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            }
            if name in streamed:
                request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": streamed[name]}
            dynamodb.create_table(**request)

    def _queue(self, name: str, *, max_receive_count: int | None = None) -> str:
        sqs = self.client("sqs")
        attributes = {"VisibilityTimeout": "30"}
        if max_receive_count is not None:
            dead_letter = self._queue(f"{name}-dead-letter")
            arn = sqs.get_queue_attributes(QueueUrl=dead_letter, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.queue_urls[name] = url
        return url

    def _queues(self) -> None:
        for declaration in self.functions:
            for trigger in declaration.triggers_of(QueueTrigger):
                self._queue(trigger.queue, max_receive_count=trigger.max_receive_count)
            for _ in declaration.triggers_of(StreamTrigger):
                self._queue(f"{declaration.name}-stream-failures")

    def _topics(self) -> None:
        sns, sqs = self.client("sns"), self.client("sqs")
        for name in sorted({topic for d in self.functions for topic in d.topics}):
            self.topic_arns[name] = sns.create_topic(Name=name)["TopicArn"]
        for subscription in self.subscriptions:
            url = self._queue(subscription.queue, max_receive_count=subscription.max_receive_count)
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            sns.subscribe(
                TopicArn=self.topic_arns[subscription.topic], Protocol="sqs", Endpoint=arn,
                Attributes={
                    "RawMessageDelivery": "true",
                    "FilterPolicy": json.dumps({k: list(v) for k, v in subscription.filter_policy.items()}),
                },
            )

    def function_environment(self, declaration: FunctionDeclaration) -> dict[str, str]:
        """The environment the service generates for ``declaration``, with local names."""
        environment = {}
        for name in declaration.tables:
            environment[env_name(name, "TABLE_NAME")] = table_name(name)
            environment[env_name(name, "TABLE_KEY")] = LOCAL_KEYS[name]
        for name in declaration.queues:
            environment[env_name(name, "QUEUE_URL")] = self.queue_urls[name]
        for name in declaration.topics:
            environment[env_name(name, "TOPIC_ARN")] = self.topic_arns[name]
        if declaration.file_system is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            environment["FILE_SYSTEM_PATH"] = str(self.files_dir)
        return {**environment, **declaration.environment}

    def event_source_mappings(self) -> list[Any]:
        """A local mapping per queue and stream trigger, invoking the declared handler."""
        sqs = self.client("sqs")
        for declaration in self.functions:
            handler = handler_of(declaration.handler)
            for trigger in declaration.triggers_of(QueueTrigger):
                self.mappings.append(QueueMapping(sqs, self.queue_urls[trigger.queue], handler, batch_size=trigger.batch_size))
            for trigger in declaration.triggers_of(StreamTrigger):
                stream_arn = self.client("dynamodb").describe_table(TableName=table_name(trigger.table))["Table"]["LatestStreamArn"]
                self.mappings.append(StreamMapping(
                    self.client("dynamodbstreams"), sqs, stream_arn, handler,
                    on_failure_queue_url=self.queue_urls[f"{declaration.name}-stream-failures"],
                    batch_size=trigger.batch_size, retry_attempts=trigger.retry_attempts,
                ))
        return self.mappings

    def apply_environment(self) -> None:
        os.environ.update(self.environment)

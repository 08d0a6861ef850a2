"""The whole service on the local emulator: tables, queues, topics, subscriptions, files, event source mappings.

Built from the same service definition the stacks are, with local names. Every function's
environment is the one the service would generate for it (``<TABLE>_TABLE_NAME``, ``<QUEUE>_QUEUE_URL``,
``<TOPIC>_TOPIC_ARN``, ``FILE_SYSTEM_PATH``); they are merged into one process environment, which works
because local names never clash. Each trigger creates and emulates its own part (``provision_local``,
``emulate``) through the ``LocalBinding`` this system is.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.local.event_sources import QueueMapping, StreamMapping
from stacks.declared import env_name
from stacks.function_declaration import FunctionDeclaration
from stacks.service_definition import ServiceDefinition, TableDeclaration

# DynamoDB's attribute type codes, by the declared key type.
_ATTRIBUTE_TYPES = {"string": "S", "number": "N", "binary": "B"}


def handler_of(dotted: str) -> Callable[..., Any]:
    """``package.module.function`` -> the function (imported in this process)."""
    module, _, function = dotted.rpartition(".")
    return getattr(importlib.import_module(module), function)


def table_name(name: str) -> str:
    return f"{name}-local"


def create_table_request(table: TableDeclaration, stream_view: str | None) -> dict[str, Any]:
    """The CreateTable request for a declared table, as the stateful stack would create it (on demand)."""
    keys = [(table.partition_key, table.partition_key_type, "HASH")]
    keys += [(table.sort_key, table.sort_key_type, "RANGE")] if table.sort_key else []
    attributes = {name: kind for name, kind, _ in keys}
    indexes = []
    for index in table.indexes:
        index_keys = [(index.partition_key, index.partition_key_type, "HASH")]
        index_keys += [(index.sort_key, index.sort_key_type, "RANGE")] if index.sort_key else []
        attributes.update({name: kind for name, kind, _ in index_keys})
        indexes.append({
            "IndexName": index.name,
            "KeySchema": [{"AttributeName": name, "KeyType": role} for name, _, role in index_keys],
            "Projection": {"ProjectionType": "ALL" if index.projection == "all" else "KEYS_ONLY"},
        })
    request: dict[str, Any] = {
        "TableName": table_name(table.name),
        "KeySchema": [{"AttributeName": name, "KeyType": role} for name, _, role in keys],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": _ATTRIBUTE_TYPES[k]} for n, k in attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        request["GlobalSecondaryIndexes"] = indexes
    if stream_view:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream_view}
    return request


@dataclass
class LocalSystem:
    """What `make serve` runs besides the HTTP API. ``client`` makes boto3 clients for the emulator."""

    client: Callable[[str], Any]
    definition: ServiceDefinition
    files_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)
    mappings: list[Any] = field(default_factory=list)

    def create(self) -> LocalSystem:
        dynamodb = self.client("dynamodb")
        for table in self.definition.tables:
            dynamodb.create_table(**create_table_request(table, self.definition.stream_view(table.name)))
        for declaration in self.definition.functions:
            for trigger in declaration.triggers:
                trigger.provision_local(self, declaration)
        self._topics()
        for declaration in self.definition.functions:
            self.environment.update(self.function_environment(declaration))
        return self

    # -- LocalBinding: what triggers ask for ----------------------------------------------------------
    def create_queue(self, name: str, *, max_receive_count: int | None = None) -> str:
        sqs = self.client("sqs")
        attributes = {"VisibilityTimeout": "30"}
        if max_receive_count is not None:
            dead_letter = self.create_queue(f"{name}-dead-letter")
            arn = sqs.get_queue_attributes(QueueUrl=dead_letter, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receive_count})
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        self.queue_urls[name] = url
        return url

    def poll_queue(self, name: str, handler: Callable[..., Any], *, batch_size: int) -> None:
        self.mappings.append(QueueMapping(self.client("sqs"), self.queue_urls[name], handler, batch_size=batch_size))

    def poll_stream(
        self, table: str, handler: Callable[..., Any], *, on_failure_queue: str, batch_size: int, retry_attempts: int
    ) -> None:
        stream_arn = self.client("dynamodb").describe_table(TableName=table_name(table))["Table"]["LatestStreamArn"]
        self.mappings.append(StreamMapping(
            self.client("dynamodbstreams"), self.client("sqs"), stream_arn, handler,
            on_failure_queue_url=self.queue_urls[on_failure_queue], batch_size=batch_size, retry_attempts=retry_attempts,
        ))

    # -----------------------------------------------------------------------------------------------
    def _topics(self) -> None:
        sns, sqs = self.client("sns"), self.client("sqs")
        for topic in self.definition.topics:
            self.topic_arns[topic.name] = sns.create_topic(Name=topic.name)["TopicArn"]
        for subscription in self.definition.subscriptions:
            url = self.create_queue(subscription.queue, max_receive_count=subscription.max_receive_count)
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
            table = self.definition.table(name)
            environment[env_name(name, "TABLE_NAME")] = table_name(name)
            environment[env_name(name, "TABLE_KEY")] = table.partition_key
            if table.sort_key:
                environment[env_name(name, "TABLE_SORT_KEY")] = table.sort_key
        for name in declaration.queues:
            environment[env_name(name, "QUEUE_URL")] = self.queue_urls[name]
        for name in declaration.topics:
            environment[env_name(name, "TOPIC_ARN")] = self.topic_arns[name]
        if declaration.file_system is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            environment["FILE_SYSTEM_PATH"] = str(self.files_dir)
        return {**environment, **declaration.environment}

    def event_source_mappings(self) -> list[Any]:
        """A local mapping per trigger that has one (queues, streams), invoking the declared handler."""
        for declaration in self.definition.functions:
            for trigger in declaration.triggers:
                trigger.emulate(self, declaration, handler_of(declaration.handler))
        return self.mappings

    def apply_environment(self) -> None:
        os.environ.update(self.environment)

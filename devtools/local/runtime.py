"""Running the product handler outside Lambda: its tables, a Lambda context, fresh runtime caches.

Shared by `make serve`, the local-deploy smoke test and the runtime tests.
"""

from __future__ import annotations

import uuid
from typing import Any


def create_product_tables(client: Any, *table_names: str) -> None:
    """On-demand tables keyed like the deployed ones (string partition key ``id``)."""
    for name in table_names:
        client.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def reset_runtime_caches() -> None:
    """Forget the handler's cached settings and clients (after its environment changed)."""
    from catalog import imports, repository, settings
    from product_api import handler, import_queue

    for cached in (settings.settings, repository.dynamodb_client, repository.repository, handler._create_once,
                   imports.import_store, import_queue.sqs_client):
        cached.cache_clear()


class LocalLambdaContext:
    """The parts of the Lambda context object the handler and Powertools read."""

    function_name = "product-function-local"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:product-function-local:live"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000

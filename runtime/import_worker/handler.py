"""Consume the import queue: validate and write each item, record its outcome on the import.

Partial batch responses come from Powertools' BatchProcessor: only the messages that raised come
back to the queue. An item that can never succeed (it fails validation) is recorded as failed at
once and its message is done: retrying it would change nothing. Anything else that goes wrong
(DynamoDB throttling, a message that is not an import item) raises, so the message is received
again, and after the queue's max receive count it moves to the dead-letter queue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from catalog.imports import import_store, parse_item_message, product_id_for
from catalog.models import ProductIn
from catalog.repository import AlreadyExists, repository
from pydantic import ValidationError
from structured_logs.logger import current_correlation_id, logged_handler, logger, per_record

metrics = Metrics()
# A batch whose every record failed is reported record by record, not raised: Lambda retries it the
# same way, and the function's Errors metric (a release's rollback alarm) stays for real faults.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def describe(error: ValidationError) -> str:
    """The validation problems of an item in one line, e.g. ``price: Input should be ...``."""
    return "; ".join(
        f"{'.'.join(str(part) for part in problem['loc']) or 'item'}: {problem['msg']}" for problem in error.errors(include_url=False)
    )


@per_record
def import_item(record: SQSRecord) -> None:
    import_id, index, item = parse_item_message(record.body)
    try:
        product = ProductIn.model_validate(item)
    except ValidationError as error:
        import_store().record_failure(import_id, index, "validation_failed", describe(error))
        logger.info("item rejected", extra={"import_id": import_id, "index": index})
        metrics.add_metric(name="ImportItemRejected", unit=MetricUnit.Count, value=1)
        return
    try:
        repository().create(product, product_id=product_id_for(import_id, index), correlation_id=current_correlation_id())
        metrics.add_metric(name="ProductCreated", unit=MetricUnit.Count, value=1)
    except AlreadyExists:
        logger.info("item already imported (a redelivery)", extra={"import_id": import_id, "index": index})
    import_store().record_success(import_id, index)
    logger.info("item imported", extra={"import_id": import_id, "index": index})


@logged_handler()
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=import_item, processor=processor, context=context)

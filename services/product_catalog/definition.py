"""The product catalog, as one service definition: its tables, topic, API and functions.

Add a function or a table here: one declaration each (README "Adding a function", "Adding a table").
Per-stage settings go in cdk.json under ``stages.<stage>.functions.<name>`` and
``stages.<stage>.tables.<name>``; the names below are the only ones allowed there.
"""

from __future__ import annotations

from pathlib import Path

from catalog_constructs.gateway_responses import GatewayErrorBodies
from product_api.routes import RESOURCES as PRODUCT_API_RESOURCES
from product_api.routes import ROUTES as PRODUCT_API_ROUTES
from structured_logs import correlation

from stacks.function_declaration import (
    ApiRoute,
    ApiTrigger,
    AsyncInvocation,
    FileSystemMount,
    FunctionDeclaration,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TopicSubscription,
    TrafficCheck,
)
from stacks.service_definition import (
    ApiDeclaration,
    FileSystemDeclaration,
    ServiceDefinition,
    TableDeclaration,
    TopicDeclaration,
)

RUNTIME_DIR = Path(__file__).resolve().parents[2] / "runtime"

EXPORTS_MOUNT = "/mnt/exports"

PRODUCT_API = FunctionDeclaration(
    name="product",
    description="Product catalog CRUD behind /product, and bulk imports",
    package="product_api",
    handler="product_api.handler.lambda_handler",
    extra_packages=("catalog", "api_cors", "structured_logs"),
    requirements="catalog.txt",
    triggers=(ApiTrigger.from_routes(PRODUCT_API_ROUTES),),
    tables={"product": "read_write", "idempotency": "read_write", "imports": "read_write"},
    queues={"imports": "send"},
    # Before any traffic shifts, the new version must list a page of products.
    pre_traffic_check=TrafficCheck.api_request(
        "GET", "/product", resources=PRODUCT_API_RESOURCES, query={"limit": "1"}, expect_status=200
    ),
)

# Writes the items of bulk imports; a message received 5 times goes to the imports dead-letter queue.
IMPORT_WORKER = FunctionDeclaration(
    name="import-worker",
    description="Writes the items of bulk imports from the import queue",
    package="import_worker",
    handler="import_worker.handler.lambda_handler",
    extra_packages=("catalog", "structured_logs"),
    requirements="catalog.txt",
    triggers=(QueueTrigger(queue="imports", batch_size=10, max_receive_count=5, max_concurrency=10),),
    tables={"product": "read_write", "imports": "read_write"},
    settings={"timeout_seconds": 30},
)

# Publishes ProductCreated/Updated/Deleted from the product table's stream.
PRODUCT_EVENTS = FunctionDeclaration(
    name="product-events",
    description="Publishes product change events from the table's stream",
    package="product_events",
    handler="product_events.handler.lambda_handler",
    extra_packages=("structured_logs",),
    requirements="powertools.txt",
    triggers=(StreamTrigger(table="product", batch_size=100, retry_attempts=5, max_record_age_seconds=86_400),),
    topics={"product-events": "publish"},
    settings={"timeout_seconds": 30},
)

# Writes the catalog onto the file system every day (stage setting `schedule`), keeping EXPORTS_KEEP.
CATALOG_EXPORT = FunctionDeclaration(
    name="catalog-export",
    description="Exports the catalog as gzipped JSON Lines onto the shared file system",
    package="catalog_export",
    handler="catalog_export.handler.lambda_handler",
    extra_packages=("catalog", "structured_logs"),
    requirements="catalog.txt",
    triggers=(ScheduleTrigger(expression="rate(1 day)", payload={"job": "catalog-export"}),),
    async_invocation=AsyncInvocation(retry_attempts=2, max_event_age_seconds=3600),
    tables={"product": "read"},
    file_system=FileSystemMount(access="read_write", mount_path=EXPORTS_MOUNT),
    environment={"EXPORTS_KEEP": "7"},
    settings={"timeout_seconds": 300, "memory_size": 1024},
)

# Lists the exports: it only reads the file system.
EXPORT_LISTING = FunctionDeclaration(
    name="export-listing",
    description="Lists the catalog exports behind GET /product/exports",
    package="export_listing",
    handler="export_listing.handler.lambda_handler",
    extra_packages=("api_cors", "structured_logs"),
    requirements="powertools.txt",  # for its logs (Powertools Logger), as every function's
    triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/product/exports"),)),),
    file_system=FileSystemMount(access="read", mount_path=EXPORTS_MOUNT),
)

# The bodies API Gateway answers with itself, in the catalog's error shape (runtime/catalog/errors.py),
# so a client never tells the gateway's rejections from the function's.
_GATEWAY_ERROR = (
    '{"error": {"code": "$context.error.responseType", "message": $context.error.messageString, '
    '"request_id": "$context.requestId"}}'
)
# API Gateway's validation messages quote property names: escapeJavaScript makes them JSON-safe.
_VALIDATION_MESSAGE = "$util.escapeJavaScript($context.error.validationErrorString)"
_INVALID_BODY = (
    # Unparsable JSON is a 400 malformed_request, as the function answers it; a body the model rejects a 422.
    '#if($context.error.validationErrorString.startsWith("Invalid request body"))'
    '#set($context.responseOverride.status = 400)'
    '{"error": {"code": "malformed_request", "message": "the body is not valid JSON", "request_id": "$context.requestId"}}'
    '#else'
    '{"error": {"code": "validation_failed", "message": "the request has invalid fields", "request_id": "$context.requestId", '
    # escapeJavaScript also writes ' as \', which JSON does not allow: turned back (AWS's mapping template reference).
    '"details": [{"location": "body", "message": "' + _VALIDATION_MESSAGE + r""".replaceAll("\\'","'")"}]}}"""
    '#end'
)
_INVALID_PARAMETERS = (
    '{"error": {"code": "malformed_request", "message": "' + _VALIDATION_MESSAGE + '", "request_id": "$context.requestId"}}'
)

DEFINITION = ServiceDefinition(
    name="product-catalog",
    description="Serverless product catalog: CRUD, bulk imports, change events and daily exports",
    runtime_dir=RUNTIME_DIR,
    tables=(
        TableDeclaration(name="product", partition_key="id"),
        # Bulk import records (counts and errors per import), expired 30 days after the import.
        TableDeclaration(name="imports", partition_key="id", time_to_live_attribute="expires_at"),
        # Powertools' idempotency records (its persistence layer writes "id" and "expiration"). The table
        # was first created inside an IdempotencyTable construct: its logical id is kept so it stays.
        TableDeclaration(
            name="idempotency", partition_key="id", time_to_live_attribute="expiration",
            logical_id="IdempotencyTableStoreTable3D3A1871",
        ),
    ),
    topics=(TopicDeclaration(name="product-events", description="ProductCreated/Updated/Deleted change events"),),
    # How other teams consume the change events: a queue of their own with a filter policy (an example).
    subscriptions=(
        TopicSubscription(
            topic="product-events",
            queue="product-events-example",
            filter_policy={"event_type": ("ProductCreated", "ProductUpdated", "ProductDeleted")},
        ),
    ),
    file_system=FileSystemDeclaration(root_path="/product"),
    api=ApiDeclaration(
        name="product",
        description="Product catalog API",
        cors_allow_headers=("Authorization", "Content-Type", "If-Match", "Idempotency-Key", correlation.HEADER),
        cors_expose_headers=("ETag", "Location"),
        error_bodies=GatewayErrorBodies(
            default=_GATEWAY_ERROR, invalid_body=_INVALID_BODY, invalid_body_status="422",
            invalid_parameters=_INVALID_PARAMETERS,
        ),
    ),
    functions=(PRODUCT_API, IMPORT_WORKER, PRODUCT_EVENTS, CATALOG_EXPORT, EXPORT_LISTING),
)

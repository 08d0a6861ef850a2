"""The service's functions. Add yours here: one declaration each (see README "Adding a function").

Per-stage settings go in cdk.json under ``stages.<stage>.functions.<name>``; the names below are the
only ones allowed there.
"""

from __future__ import annotations

from product_api.routes import RESOURCES as PRODUCT_API_RESOURCES, ROUTES as PRODUCT_API_ROUTES
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

EXPORTS_MOUNT = "/mnt/exports"

PRODUCT_API = FunctionDeclaration(
    name="product",
    description="Product catalog CRUD behind /product, and bulk imports",
    package="product_api",
    handler="product_api.handler.lambda_handler",
    extra_packages=("catalog", "api_cors"),
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
    extra_packages=("catalog",),
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
    extra_packages=("catalog",),
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
    extra_packages=("api_cors",),
    triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/product/exports"),)),),
    file_system=FileSystemMount(access="read", mount_path=EXPORTS_MOUNT),
)

FUNCTIONS: tuple[FunctionDeclaration, ...] = (PRODUCT_API, IMPORT_WORKER, PRODUCT_EVENTS, CATALOG_EXPORT, EXPORT_LISTING)

# How other teams consume the change events: a queue of their own with a filter policy (an example).
SUBSCRIPTIONS: tuple[TopicSubscription, ...] = (
    TopicSubscription(
        topic="product-events",
        queue="product-events-example",
        filter_policy={"event_type": ("ProductCreated", "ProductUpdated", "ProductDeleted")},
    ),
)

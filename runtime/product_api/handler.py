"""The Lambda handler behind /product: routing and HTTP mapping; persistence lives in repository.py.

Status codes: 200 read/list/update, 201 create, 204 delete; 400 malformed JSON, query or header;
404 unknown route or id; 405 wrong method; 409 same Idempotency-Key still in progress; 412 stale
If-Match; 413 body over 16 KiB; 415 not application/json; 422 invalid fields or an Idempotency-Key
reused with a different body; 428 PUT without If-Match; 500 anything unexpected (request id only).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache, partial
from http import HTTPStatus
from typing import Annotated, Any

from api_cors import with_cors
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from catalog.errors import (
    ApiError,
    Conflict,
    MalformedRequest,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    PreconditionRequired,
    UnsupportedMediaType,
    ValidationFailed,
    error_body,
    error_response,
)
from catalog.import_models import ImportAccepted, ImportRequest, ImportStatus
from catalog.imports import import_store
from catalog.models import Product, ProductIn, ProductPage, is_valid_id
from catalog.pagination import MAX_TOKEN_LENGTH, decode_token, encode_token
from catalog.repository import dynamodb_client, repository
from catalog.settings import settings
from structured_logs.logger import api_handler, current_correlation_id, logger

from product_api.import_queue import send_items
from product_api.routes import ROUTES, ROUTES_BY_OPERATION, Route

MAX_IDEMPOTENCY_KEY = 255
# Allowed methods per resource (405 and its Allow header) and the routes that take a body, from ROUTES.
ROUTE_PATTERNS: dict[re.Pattern[str], tuple[str, ...]] = {
    pattern: tuple(sorted(r.method for r in ROUTES if r.pattern.pattern == pattern.pattern))
    for pattern in {r.pattern.pattern: r.pattern for r in ROUTES}.values()
}
BODY_ROUTES: tuple[Route, ...] = tuple(r for r in ROUTES if r.body)
_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
NO_VERSION = 0  # versions start at 1: an expected version no product has

metrics = Metrics()
app = APIGatewayRestResolver(
    enable_validation=True,
    # Prices are exact decimals: never let a JSON number pass through a float.
    json_body_deserializer=partial(json.loads, parse_float=Decimal),
)

# The path parameter is called id, as in the API Gateway resource /product/{id}.
ProductId = Annotated[str, Path(description="Product UUID")]


def _header(name: str) -> str | None:
    headers = app.current_event.headers or {}
    lowered = name.lower()
    return next((value for key, value in headers.items() if key.lower() == lowered), None)


def _request_id_of(event: dict[str, Any]) -> str | None:
    context = event.get("requestContext")
    return context.get("requestId") if isinstance(context, dict) else None


def _request_id() -> str | None:
    return _request_id_of(app.current_event.raw_event)


def _product_response(product: Product, status: HTTPStatus = HTTPStatus.OK, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status.value,
        content_type=content_types.APPLICATION_JSON,
        body=product.model_dump_json(),
        headers={"ETag": product.etag, **(headers or {})},
    )


def _checked_id(product_id: str) -> str:
    # Ids are server-generated UUIDs: anything else cannot exist (and must not reach DynamoDB's key limits).
    if not is_valid_id(product_id):
        raise NotFound(f"product {product_id[:64]!r} does not exist")
    return product_id


def _if_match(required: bool) -> int | None:
    """The version If-Match asks for; None for ``*`` (or absent when not required).

    An empty If-Match is a list of no entity tags (RFC 9110: ``If-Match = "*" / #entity-tag``): no
    version matches it, so the write is refused as for a stale ETag (412, or 404 when there is no product).
    """
    value = _header("If-Match")
    if value is None:
        if required:
            raise PreconditionRequired("If-Match is required: send the ETag of the version you are replacing")
        return None
    if value.strip() == "*":
        return None
    if not value.strip():
        return NO_VERSION
    match = _ETAG.fullmatch(value)
    if not match:
        raise MalformedRequest('If-Match must be one ETag such as "3", or *', details=[{"field": "If-Match"}])
    return int(match.group(1))


def _caller() -> str:
    context = app.current_event.raw_event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, dict) else None
    claims = authorizer.get("claims") if isinstance(authorizer, dict) else None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject else "anonymous"


@lru_cache(maxsize=1)
def _create_once() -> tuple[Callable[..., dict[str, Any]], Any]:
    """Product creation made idempotent per (caller, Idempotency-Key) by Powertools, and its config.

    Built on first use: the idempotency utility imports boto3, which most requests never need.
    """
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="product",
        expires_after_seconds=settings().idempotency_ttl_seconds,
    )
    store = DynamoDBPersistenceLayer(table_name=settings().idempotency_table_name, boto3_client=dynamodb_client())

    @idempotent_function(data_keyword_argument="request", config=config, persistence_store=store)
    def create(request: dict[str, Any]) -> dict[str, Any]:
        created = repository().create(ProductIn.model_validate(request["product"]), correlation_id=current_correlation_id())
        return json.loads(created.model_dump_json())

    return create, config


def check_body(event: dict[str, Any]) -> ApiError | None:
    """413/415 for a POST/PUT body, before Powertools' validation (which runs first of all middlewares)."""
    method, path = str(event.get("httpMethod")), str(event.get("path") or "")
    # The most specific matching resource (a static segment beats {id}, as in API Gateway).
    matching = sorted((r for r in BODY_ROUTES if r.method == method and r.pattern.match(path)), key=lambda r: r.path.count("{"))
    if not matching:
        return None
    max_body_bytes = matching[0].max_body_bytes
    body = event.get("body") or ""
    if not isinstance(body, str):
        return MalformedRequest("the body must be text")
    encoded = bool(event.get("isBase64Encoded"))
    size = len(body) * 3 // 4 if encoded else len(body.encode("utf-8", "surrogatepass"))
    if size > max_body_bytes:
        return PayloadTooLarge(f"the body must be at most {max_body_bytes} bytes")
    headers = event.get("headers") if isinstance(event.get("headers"), dict) else {}
    content_type = next((str(v) for k, v in headers.items() if str(k).lower() == "content-type"), "").lower()
    media_type, _, parameters = content_type.partition(";")
    charset = re.search(r"charset\s*=\s*\"?([\w-]+)", parameters)
    if media_type.strip() != "application/json" or (charset and charset.group(1) not in ("utf-8", "utf8")):
        return UnsupportedMediaType("send the body as application/json (UTF-8)")
    if encoded:
        return UnsupportedMediaType("send the body as UTF-8 JSON text, not base64")
    return None


def api_route(**options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function for the route in ROUTES whose operation is its name."""

    def register(handler: Callable[..., Any]) -> Callable[..., Any]:
        route = ROUTES_BY_OPERATION[handler.__name__]
        return app.route(route.resolver_path, route.method, summary=route.summary, **options)(handler)

    return register


@api_route(responses={200: {"description": "A page of products", "content": {"application/json": {"model": ProductPage}}}})
def list_products(
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
    next_token: Annotated[str | None, Query(max_length=MAX_TOKEN_LENGTH, description="From the previous page")] = None,
):
    after = decode_token(next_token) if next_token is not None else None
    products, last_id = repository().list(limit=limit, after_id=after)
    page = ProductPage(items=products, next_token=encode_token(last_id) if last_id else None)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=page.model_dump_json())


@api_route(
    responses={201: {"description": "Created", "content": {"application/json": {"model": Product}}}},
)
def create_product(product: Annotated[ProductIn, Body()]):
    key = _header("Idempotency-Key")
    if key is None:
        created = repository().create(product, correlation_id=current_correlation_id())
    else:
        if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not key.isprintable() or not key.isascii():
            raise MalformedRequest(
                f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters",
                details=[{"field": "Idempotency-Key"}],
            )
        request = {"key": f"{_caller()}#{key}", "product": json.loads(product.model_dump_json())}
        create_once, config = _create_once()
        config.register_lambda_context(app.lambda_context)  # lets Powertools expire in-progress records
        created = Product.model_validate(create_once(request=request))
    metrics.add_metric(name="ProductCreated", unit=MetricUnit.Count, value=1)
    base = app.current_event.raw_event.get("requestContext", {}).get("path") or "/product"
    return _product_response(created, HTTPStatus.CREATED, {"Location": f"{str(base).rstrip('/')}/{created.id}"})


@api_route(
    responses={200: {"description": "The product", "content": {"application/json": {"model": Product}}}},
)
def get_product(id: ProductId):
    product = repository().get(_checked_id(id))
    if product is None:
        raise NotFound(f"product {id} does not exist")
    return _product_response(product)


@api_route(
    responses={200: {"description": "Updated", "content": {"application/json": {"model": Product}}}},
)
def replace_product(id: ProductId, product: Annotated[ProductIn, Body()]):
    expected = _if_match(required=True)
    updated = repository().replace(_checked_id(id), product, expected_version=expected, correlation_id=current_correlation_id())
    metrics.add_metric(name="ProductUpdated", unit=MetricUnit.Count, value=1)
    return _product_response(updated)


@api_route(responses={204: {"description": "Deleted"}})
def delete_product(id: ProductId):
    expected = _if_match(required=False)
    repository().delete(_checked_id(id), expected_version=expected)
    metrics.add_metric(name="ProductDeleted", unit=MetricUnit.Count, value=1)
    return Response(status_code=204, content_type=None, body="")


@api_route(responses={202: {"description": "Accepted; poll Location", "content": {"application/json": {"model": ImportAccepted}}}})
def start_import(request: Annotated[ImportRequest, Body()]):
    import_id = str(uuid.uuid4())
    import_store().create(import_id, len(request.items))
    send_items(import_id, request.items)
    metrics.add_metric(name="ImportStarted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ImportItems", unit=MetricUnit.Count, value=len(request.items))
    base = app.current_event.raw_event.get("requestContext", {}).get("path") or "/product/imports"
    return Response(
        status_code=HTTPStatus.ACCEPTED.value,
        content_type=content_types.APPLICATION_JSON,
        body=ImportAccepted(id=import_id).model_dump_json(),
        headers={"Location": f"{str(base).rstrip('/')}/{import_id}"},
    )


@api_route(responses={200: {"description": "The import", "content": {"application/json": {"model": ImportStatus}}}})
def get_import(id: Annotated[str, Path(description="Import UUID")]):
    status = import_store().get(id) if is_valid_id(id) else None
    if status is None:
        raise NotFound(f"import {id[:64]!r} does not exist")
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=status.model_dump_json())


@app.exception_handler(ApiError)
def handle_api_error(error: ApiError) -> Response:
    logger.info("request rejected", extra={"status": error.status, "code": error.code, "reason": error.message})
    return error_response(
        error.status, error.code, error.message, request_id=_request_id(), details=error.details, headers=error.headers
    )


@app.exception_handler(RequestValidationError)
def handle_validation_error(error: RequestValidationError) -> Response:
    problems = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        return handle_api_error(MalformedRequest("the body is not valid JSON"))
    details = [
        {
            "field": ".".join(str(part) for part in problem.get("loc", ())[1:]) or str(problem.get("loc", ("body",))[0]),
            "location": str(problem.get("loc", ("body",))[0]),
            "message": problem.get("msg", "invalid"),
            "type": problem.get("type", "invalid"),
        }
        for problem in problems
    ]
    return handle_api_error(ValidationFailed("the request has invalid fields", details=details))


@app.exception_handler(NotFoundError)
def handle_unknown_route(_: NotFoundError) -> Response:
    path, method = app.current_event.path or "", app.current_event.http_method
    for pattern, allowed in ROUTE_PATTERNS.items():
        if pattern.match(path):
            return handle_api_error(
                MethodNotAllowed(f"{method} is not allowed on {path}", headers={"Allow": ", ".join(allowed)})
            )
    return handle_api_error(NotFound(f"no route for {method} {path[:200]}"))


def _idempotency_errors() -> dict[type[Exception], ApiError]:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    return {
        IdempotencyAlreadyInProgressError: Conflict("a request with this Idempotency-Key is still in progress; retry later"),
        IdempotencyValidationError: ValidationFailed(
            "this Idempotency-Key was already used with a different body", details=[{"field": "Idempotency-Key"}]
        ),
    }


@app.exception_handler(Exception)
def handle_unexpected(error: Exception) -> Response:
    for kind, api_error in _idempotency_errors().items():
        if isinstance(error, kind):
            return handle_api_error(api_error)
    logger.exception("unhandled error", extra={"path": app.current_event.path, "method": app.current_event.http_method})
    return error_response(500, "internal_error", "internal error", request_id=_request_id())


@api_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = with_cors(event, _resolve(event, context))
    # One line per request, so that a correlation id always finds the requests it names.
    logger.info("request handled", extra={"method": event.get("httpMethod"), "resource": event.get("resource"), "status": result["statusCode"]})
    return result


def _resolve(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        rejected = check_body(event) if isinstance(event, dict) else None
        if rejected is not None:
            logger.info("request rejected", extra={"status": rejected.status, "code": rejected.code})
            body = error_body(rejected.code, rejected.message, request_id=_request_id_of(event), details=rejected.details)
            return _proxy_result(rejected.status, body)
        return app.resolve(event, context)
    except Exception:  # an event the resolver cannot even parse: still a JSON 500, never a crash
        logger.exception("could not resolve event")
        return _proxy_result(500, error_body("internal_error", "internal error"))


def _proxy_result(status: int, body: str) -> dict[str, Any]:
    """A proxy response built without the resolver (for requests rejected before routing)."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": body,
        "isBase64Encoded": False,
    }

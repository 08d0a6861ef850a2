"""The one Powertools Logger of a function, and the decorators that give each log line its correlation id.

Every line is Powertools' JSON: ``level``, ``message``, ``timestamp``, ``location``, ``service``
(``POWERTOOLS_SERVICE_NAME``), ``cold_start``, ``function_name``, ``function_request_id``,
``xray_trace_id`` and ``correlation_id``. Powertools' ``inject_lambda_context`` adds the Lambda
context; its ``correlation_id_path`` is a JMESPath, which can neither match a header in any case nor
reject an implausible value, so the id is found by ``structured_logs.correlation`` and set with
Powertools' own ``set_correlation_id``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger

from structured_logs import correlation

logger = Logger()

Handler = TypeVar("Handler", bound=Callable[..., Any])
Finder = Callable[[Any], "str | None"]


def logged_handler(find: Finder = correlation.from_event) -> Callable[[Handler], Handler]:
    """Decorate a Lambda handler: the context's keys on every line (state cleared per invocation), and as
    correlation id what ``find(event)`` returns, else the Lambda request id."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def correlated(event: Any, context: Any) -> Any:
            logger.set_correlation_id(find(event) or getattr(context, "aws_request_id", None))
            return handler(event, context)

        return logger.inject_lambda_context(correlated, clear_state=True)  # type: ignore[return-value]

    return decorate


def api_handler(handler: Handler) -> Handler:
    """``logged_handler`` for a REST proxy function: the caller's ``X-Correlation-Id`` or the request id,
    and API Gateway's request id as ``api_request_id`` (the ``request_id`` a client sees in an error)."""

    @functools.wraps(handler)
    def with_request_id(event: Any, context: Any) -> Any:
        logger.append_keys(api_request_id=correlation.api_request_id(event))
        return handler(event, context)

    return logged_handler(correlation.from_api_request)(with_request_id)  # type: ignore[return-value]


def per_record(record_handler: Handler) -> Handler:
    """Decorate a batch record handler: while it runs, the correlation id is the one the record's
    producer sent (SQS/SNS message attribute), else the invocation's."""

    @functools.wraps(record_handler)
    def correlated(record: Any, *args: Any, **kwargs: Any) -> Any:
        invocation = logger.get_correlation_id()
        logger.set_correlation_id(correlation.from_record(getattr(record, "raw_event", record)) or invocation)
        try:
            return record_handler(record, *args, **kwargs)
        finally:
            logger.set_correlation_id(invocation)

    return correlated  # type: ignore[return-value]


def current_correlation_id() -> str | None:
    """The id the lines being logged carry now (for what this function sends on)."""
    return logger.get_correlation_id()


def outgoing_attributes() -> dict[str, dict[str, str]]:
    """The message attributes that carry the current correlation id to the next function."""
    return correlation.message_attributes(current_correlation_id())

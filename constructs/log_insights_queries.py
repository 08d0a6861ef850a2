"""SavedLogQueries: CloudWatch Logs Insights queries saved over a service's log groups, in one console folder.

The queries read the fields Powertools Logger writes (``level``, ``message``, ``correlation_id``,
``function_name``, ``function_request_id``, ``xray_trace_id``) and the report Lambda writes after
every invocation: ``platform.report`` with ``record.metrics.durationMs`` for functions logging JSON,
the ``REPORT`` line (``@duration``) for those logging text; each query takes either.

A saved query runs over the log groups it names, and a Logs Insights query can name at most 50 (the
``logGroupNames`` of StartQuery; the console's ``SOURCE`` command, which selects by prefix, is
CLI/API only). So each query is saved once per 50 log groups, in the order given: appending a log group
only ever adds a part, and the first part keeps its logical id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Token
from aws_cdk import aws_logs as logs
from catalog_constructs.errors import InvalidPropError

from constructs import Construct

MAX_LOG_GROUPS_PER_QUERY = 50  # StartQuery's logGroupNames limit
MAX_NAME_LENGTH = 255  # AWS::Logs::QueryDefinition Name
MAX_QUERY_LENGTH = 10_000  # AWS::Logs::QueryDefinition QueryString
# The value an operator replaces before running "requests for a correlation id".
CORRELATION_ID_PLACEHOLDER = "PASTE-A-CORRELATION-OR-REQUEST-ID"

_QUERY_NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_FOLDER = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
# What a name adds to the folder beyond the query's name: "/<query name>/part-<n>" (n up to 4 digits).
_PART_SUFFIX = len("/") + len("/part-") + 4


@dataclass(frozen=True)
class LogQuery:
    """One saved query: its name in the folder (lower-case words joined by ``-``) and its text."""

    name: str
    query_string: logs.QueryString


ERRORS_BY_FUNCTION = LogQuery(
    name="errors-by-function",
    query_string=logs.QueryString(
        # Errors a function logged, and invocations Lambda reports as failed or timed out.
        filter_statements=[
            'level in ["ERROR", "CRITICAL"] or (type = "platform.report" and record.status != "success")'
        ],
        stats_statements=[
            "count(*) as errors, latest(message) as last_message, latest(correlation_id) as last_correlation_id by @log"
        ],
        sort="errors desc",
    ),
)

SLOWEST_REQUESTS = LogQuery(
    name="slowest-requests",
    query_string=logs.QueryString(
        fields=[
            "@timestamp", "@log",
            "coalesce(record.metrics.durationMs, @duration) as duration_ms",
            "coalesce(record.requestId, @requestId) as request_id",
            "coalesce(record.metrics.maxMemoryUsedMB, @maxMemoryUsed / 1000 / 1000) as max_memory_mb",
            "record.status",
        ],
        filter_statements=['type = "platform.report" or @type = "REPORT"'],
        sort="duration_ms desc",
        limit=50,
    ),
)

REQUESTS_FOR_A_CORRELATION_ID = LogQuery(
    name="requests-for-a-correlation-id",
    query_string=logs.QueryString(
        fields=["@timestamp", "@log", "level", "message", "correlation_id", "function_request_id", "xray_trace_id", "type"],
        # Any id a person holds, in one place to edit: a correlation id, API Gateway's request id from an
        # error body, or the Lambda request id of a slow or failed invocation (whose report names it).
        filter_statements=[f'@message like "{CORRELATION_ID_PLACEHOLDER}"'],
        sort="@timestamp asc",
        limit=1000,
    ),
)

COLD_STARTS = LogQuery(
    name="cold-starts",
    query_string=logs.QueryString(
        fields=["@log", "coalesce(record.metrics.initDurationMs, @initDuration) as init_ms"],
        filter_statements=["ispresent(init_ms)"],
        stats_statements=["count(*) as cold_starts, avg(init_ms) as avg_init_ms, max(init_ms) as max_init_ms by @log"],
        sort="cold_starts desc",
    ),
)

DEFAULT_QUERIES = (ERRORS_BY_FUNCTION, SLOWEST_REQUESTS, REQUESTS_FOR_A_CORRELATION_ID, COLD_STARTS)


def pascal_case(name: str) -> str:
    return "".join(word.capitalize() for word in name.split("-"))


class SavedLogQueries(Construct):
    """Saved Logs Insights queries over ``log_groups``, named ``<folder>/<query>`` (a folder in the console).

    With more log groups than one query may name, each query is saved in parts of at most
    ``log_groups_per_query`` groups: ``<folder>/<query>/part-1``, ``part-2``, ...
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        folder: str,
        log_groups: Sequence[logs.ILogGroup],
        queries: Sequence[LogQuery] = DEFAULT_QUERIES,
        log_groups_per_query: int = MAX_LOG_GROUPS_PER_QUERY,
    ) -> None:
        """
        :param folder: the console folder the queries are saved in, e.g. ``<service>/<stage>`` (``/`` nests folders).
        :param log_groups: the log groups every query runs over (at least one).
        :param queries: what is saved (default: errors by function, slowest requests, requests for a correlation id, cold starts).
        :param log_groups_per_query: log groups per saved part (default and maximum 50, Logs Insights' limit).
        """
        longest = max((len(query.name) for query in queries), default=0) + _PART_SUFFIX
        if not Token.is_unresolved(folder) and (not _FOLDER.fullmatch(folder) or len(folder) + longest > MAX_NAME_LENGTH):
            raise InvalidPropError(
                "folder", folder,
                f"names of letters, digits, '_', '.', '-' joined by '/', at most {MAX_NAME_LENGTH - longest} characters",
            )
        if not log_groups:
            raise InvalidPropError("log_groups", [], "at least one log group")
        if not 1 <= log_groups_per_query <= MAX_LOG_GROUPS_PER_QUERY:
            raise InvalidPropError("log_groups_per_query", log_groups_per_query, f"1 to {MAX_LOG_GROUPS_PER_QUERY}")
        if not queries:
            raise InvalidPropError("queries", [], "at least one LogQuery")
        seen: set[str] = set()
        for query in queries:
            if not _QUERY_NAME.fullmatch(query.name) or query.name in seen:
                raise InvalidPropError("queries.name", query.name, "a unique name of lower-case words joined by '-'")
            seen.add(query.name)
            if len(query.query_string.to_string()) > MAX_QUERY_LENGTH:
                raise InvalidPropError(f"queries.{query.name}", "(its text)", f"at most {MAX_QUERY_LENGTH} characters")
        super().__init__(scope, construct_id)

        parts = [log_groups[start:start + log_groups_per_query] for start in range(0, len(log_groups), log_groups_per_query)]
        self.folder = folder
        self.definitions: dict[str, tuple[logs.QueryDefinition, ...]] = {}
        for query in queries:
            self.definitions[query.name] = tuple(
                logs.QueryDefinition(
                    self,
                    pascal_case(query.name) + (str(number) if number > 1 else ""),
                    query_definition_name=f"{folder}/{query.name}" + (f"/part-{number}" if len(parts) > 1 else ""),
                    query_string=query.query_string,
                    log_groups=list(part),
                )
                for number, part in enumerate(parts, start=1)
            )

"""The bodies API Gateway answers with itself (before any function runs), as VTL templates.

Kept free of aws-cdk imports: a service definition names its bodies before the CDK is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

_MESSAGE = "$context.error.messageString"  # already a JSON string literal, quotes included


@dataclass(frozen=True, kw_only=True)
class GatewayErrorBodies:
    """``application/json`` templates of the gateway's own error answers, so they look like the service's.

    The defaults are API Gateway's own shape (``{"message": ...}``); a service with an error shape of
    its own passes templates that produce it.
    """

    # Every 4XX and 5XX the gateway decides (unauthorized, throttled, missing route, ...).
    default: str = '{"message": ' + _MESSAGE + "}"
    # A body the request model rejects (BAD_REQUEST_BODY).
    invalid_body: str = '{"message": ' + _MESSAGE + ', "details": "$util.escapeJavaScript($context.error.validationErrorString)"}'
    # A missing required path/query/header parameter (BAD_REQUEST_PARAMETERS).
    invalid_parameters: str = '{"message": ' + _MESSAGE + "}"
    # The status of a rejected body: 400 as API Gateway answers; a service validating with 422 says so.
    invalid_body_status: str = "400"

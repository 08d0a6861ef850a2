"""ARNs a setting must name, checked at synth (CloudFormation would only fail at deploy time)."""

from __future__ import annotations

import re
from typing import Any

from catalog_constructs.errors import InvalidPropError

_PARTITION = r"arn:aws(?:-cn|-us-gov|-iso|-iso-b)?"
LAYER_VERSION_ARN = re.compile(_PARTITION + r":lambda:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d:\d{12}:layer:[A-Za-z0-9_-]{1,140}:\d+")
WEB_ACL_ARN = re.compile(
    _PARTITION + r":wafv2:[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d:\d{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}"
)


def _token(value: Any) -> bool:
    return isinstance(value, str) and "${Token[" in value


def check_layer_version_arn(value: Any) -> None:
    """A Lambda layer *version* ARN (ending in the version number)."""
    if not _token(value) and (not isinstance(value, str) or not LAYER_VERSION_ARN.fullmatch(value)):
        raise InvalidPropError("layers", value, "a layer version ARN such as arn:aws:lambda:eu-west-1:123456789012:layer:name:3")


def check_web_acl_arn(value: Any) -> None:
    """A WAFv2 web ACL ARN of the REGIONAL scope (what a REST API stage can be associated with)."""
    if value is not None and not _token(value) and (not isinstance(value, str) or not WEB_ACL_ARN.fullmatch(value)):
        raise InvalidPropError(
            "web_acl_arn", value, "a WAFv2 regional web ACL ARN: arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>"
        )

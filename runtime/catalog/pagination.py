"""Page tokens for GET /product: the scan position, validated so a token the API cannot use is a 400.

A token is ``v1.<id of the last product of the page>``. It only positions a scan, so it needs no secret
(a well-formed token can at worst start the listing after another id), and its form is exactly what
the OpenAPI contract states (``TOKEN_PATTERN``): every token the contract admits is one the API accepts.
"""

from __future__ import annotations

import re

from catalog.errors import MalformedRequest
from catalog.models import ID_PATTERN

_PREFIX = "v1."
TOKEN_PATTERN = "^" + re.escape(_PREFIX) + ID_PATTERN.pattern.lstrip("^")
MAX_TOKEN_LENGTH = 512


def encode_token(last_id: str) -> str:
    return _PREFIX + last_id


def decode_token(token: str) -> str:
    """The product id a page starts after; any other token is a MalformedRequest (400)."""
    if not isinstance(token, str) or not re.fullmatch(TOKEN_PATTERN, token):
        raise MalformedRequest("next_token is not a token this API issued", details=[{"field": "next_token"}])
    return token[len(_PREFIX):]

"""Opaque page tokens for GET /product: the scan position, validated so a bad token is a 400."""

from __future__ import annotations

import base64
import binascii
import json

from catalog.errors import MalformedRequest
from catalog.models import is_valid_id

_VERSION = 1
MAX_TOKEN_LENGTH = 512


def encode_token(last_id: str) -> str:
    raw = json.dumps({"v": _VERSION, "id": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The product id a page starts after; any token this API did not issue is a MalformedRequest.

    The token only positions a scan, so it needs no secret: a well-formed token can at worst start
    the listing at another existing id.
    """
    invalid = MalformedRequest("next_token is not a token this API issued", details=[{"field": "next_token"}])
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise invalid
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    if not isinstance(decoded, dict) or set(decoded) != {"v", "id"} or decoded["v"] != _VERSION:
        raise invalid
    if not isinstance(decoded["id"], str) or not is_valid_id(decoded["id"]):
        raise invalid
    return decoded["id"]

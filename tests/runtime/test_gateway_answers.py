"""API Gateway's own validation answers are error bodies of the contract, deployed and under `make serve`.

The deployed answer is a VTL template (the BAD_REQUEST_BODY gateway response of the synthesized
API); it is evaluated here for exactly the VTL it uses, with the validation messages API Gateway
writes, and the result is checked against ``ErrorBody`` of services/product_catalog/openapi.json.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from tests.conftest import ROOT, resources_of

CONTRACT = json.loads((ROOT / "services" / "product_catalog" / "openapi.json").read_text())
# Messages of API Gateway's request validator: property names and the rejected values are quoted in them.
VALIDATION_MESSAGES = (
    '[object has missing required properties (["currency","price"])]',
    '[ECMA 262 regex "^[A-Z]{3}$" does not match input string "it\'s"]',
    '[string "Caf\u00e9 \\\\ 5/5" is too long (length: 201, maximum allowed: 200)]',
)


def error_body_errors(body: Any) -> list[str]:
    """Why ``body`` is not the contract's ErrorBody (empty when it is)."""
    schema = {"$ref": "#/components/schemas/ErrorBody", "components": CONTRACT["components"]}
    return [error.message for error in jsonschema.Draft202012Validator(schema).iter_errors(body)]


def escape_javascript(text: str) -> str:
    """``$util.escapeJavaScript``: Java's StringEscapeUtils.escapeJavaScript, which also escapes ' (as \\')."""
    named = {"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r", "'": "\\'", '"': '\\"', "\\": "\\\\", "/": "\\/"}
    units = text.encode("utf-16-be")
    out = []
    for index in range(0, len(units), 2):
        code = int.from_bytes(units[index:index + 2], "big")
        char = chr(code) if code < 0xD800 or code > 0xDFFF else ""
        out.append(named.get(char) or (char if 32 <= code <= 0x7F else f"\\u{code:04X}"))
    return "".join(out)


MESSAGE = re.compile(r'\$util\.escapeJavaScript\(\$context\.error\.validationErrorString\)((?:\.replaceAll\("[^"]*","[^"]*"\))*)')
IF_ELSE = re.compile(r'^#if\(\$context\.error\.validationErrorString\.startsWith\("([^"]*)"\)\)(.*)#else(.*)#end$', re.DOTALL)
SET_STATUS = re.compile(r"#set\(\$context\.responseOverride\.status = (\d+)\)")


def render(template: str, validation_error: str, request_id: str) -> tuple[int | None, str]:
    """(status override, body) API Gateway makes of ``template``; fails on VTL this does not know."""
    branch = template
    if matched := IF_ELSE.match(template):
        prefix, then, otherwise = matched.groups()
        branch = then if validation_error.startswith(prefix) else otherwise
    status = SET_STATUS.search(branch)
    branch = SET_STATUS.sub("", branch)
    unknown = re.sub(r"\$context\.requestId", "", MESSAGE.sub("", branch))
    assert "$" not in unknown and "#" not in unknown, f"VTL this test does not evaluate: {unknown}"

    def message(match: re.Match[str]) -> str:
        text = escape_javascript(validation_error)
        for pattern, replacement in re.findall(r'\.replaceAll\("([^"]*)","([^"]*)"\)', match.group(1)):
            # Java's replaceAll: a regex; the replacement here is literal.
            text = re.sub(pattern, lambda _, literal=replacement: literal, text)
        return text

    body = MESSAGE.sub(message, branch).replace("$context.requestId", request_id)
    return (int(status.group(1)) if status else None), body


@pytest.fixture(scope="module")
def bad_request_body(synthesized) -> str:
    responses = resources_of(synthesized.template("prod", "Service"), "AWS::ApiGateway::GatewayResponse").values()
    (response,) = [r["Properties"] for r in responses if r["Properties"]["ResponseType"] == "BAD_REQUEST_BODY"]
    return response["ResponseTemplates"]["application/json"]


@pytest.mark.parametrize("validation_error", VALIDATION_MESSAGES, ids=("missing", "quote", "non-ascii"))
def test_a_body_the_deployed_gateway_rejects_is_answered_with_the_contract_error_body(bad_request_body,
                                                                                    validation_error):
    status, text = render(bad_request_body, validation_error, "req-1")
    body = json.loads(text)
    assert status is None and error_body_errors(body) == []
    assert body["error"]["code"] == "validation_failed" and body["error"]["details"][0]["message"] == validation_error


def test_unparsable_json_at_the_deployed_gateway_is_a_400_with_the_contract_error_body(bad_request_body):
    status, text = render(bad_request_body, "Invalid request body", "req-2")
    body = json.loads(text)
    assert status == 400 and error_body_errors(body) == [] and body["error"]["code"] == "malformed_request"


def test_a_body_the_make_serve_gateway_rejects_is_answered_with_the_contract_error_body(synthesized):
    from devtools.local.serve import body_models, gateway_validation_error

    schema = body_models(synthesized.template("dev", "Service"))[("POST", "/product")]
    invalid = json.dumps({"name": "Cup", "price": "1", "currency": "it's"})
    status, body = gateway_validation_error(schema, invalid, "application/json")
    assert status == 422 and error_body_errors(body) == []

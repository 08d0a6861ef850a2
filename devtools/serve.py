"""Serve the product API on 127.0.0.1, backed by an in-memory DynamoDB (moto), no AWS account needed.

    make serve                       # http://127.0.0.1:8080/prod/product
    python -m devtools.serve --port 9000 --template cdk.out/assembly-dev/devService....template.json

Requests become API Gateway REST proxy events for the routes of the synthesized API (read from its
template), and go to the real Lambda handler. Like API Gateway, a path or method the API does not
define is answered 403 ``MISSING_AUTHENTICATION_TOKEN``. There is no Cognito here: every request is
treated as authorized, with the caller ``local-user``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.events import match_resource, rest_event
from devtools.local_runtime import LocalLambdaContext, create_product_tables

ROOT = Path(__file__).resolve().parent.parent
PRODUCT_TABLE = "product-local"
IDEMPOTENCY_TABLE = "idempotency-local"


def api_routes(template: dict[str, Any]) -> tuple[str, dict[str, set[str]]]:
    """The stage name and {resource path: methods} of the REST API in a synthesized template."""
    resources = {lid: r["Properties"] for lid, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::Resource"}

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and ref.get("Ref") in resources:
            props = resources[ref["Ref"]]
            return f"{path_of(props['ParentId'])}/{props['PathPart']}"
        return ""

    routes: dict[str, set[str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ApiGateway::Method" and resource["Properties"]["HttpMethod"] != "OPTIONS":
            props = resource["Properties"]
            routes.setdefault(path_of(props["ResourceId"]) or "/", set()).add(props["HttpMethod"])
    (stage,) = [r["Properties"]["StageName"] for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    return stage, routes


def default_template() -> Path:
    found = sorted(ROOT.glob("cdk.out/assembly-dev/*Service*.template.json"))
    if not found:
        raise SystemExit("no synthesized dev service template in cdk.out/: run `make synth` first")
    return found[0]


def start_local_dynamodb() -> Any:
    """Start moto's in-memory AWS and create the two tables the handler uses."""
    from moto import mock_aws

    os.environ.update(
        {
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "PRODUCT_TABLE_NAME": PRODUCT_TABLE, "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
            "PRODUCT_TABLE_KEY": "id",
            "POWERTOOLS_SERVICE_NAME": "product-catalog-local", "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogLocal",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    mock = mock_aws()
    mock.start()
    import boto3

    create_product_tables(boto3.client("dynamodb"), PRODUCT_TABLE, IDEMPOTENCY_TABLE)
    return mock



def make_handler(stage: str, routes: dict[str, set[str]]) -> type[BaseHTTPRequestHandler]:
    from product_api.handler import lambda_handler

    class ApiGatewayHandler(BaseHTTPRequestHandler):
        server_version = "product-api-local"

        def _respond(self, status: int, headers: dict[str, str], body: str) -> None:
            payload = body.encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _handle(self) -> None:
            url = urlsplit(self.path)
            prefix = f"/{stage}"
            path = url.path[len(prefix):] if url.path.startswith(prefix + "/") else None
            matched = match_resource(path, tuple(routes)) if path else None
            if not matched or self.command not in routes[matched[0]]:
                body = {"error": {"code": "MISSING_AUTHENTICATION_TOKEN", "message": "Missing Authentication Token"}}
                self._respond(403, {"Content-Type": "application/json"}, json.dumps(body))
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else None
            event = rest_event(
                self.command, path, body=body, headers=dict(self.headers.items()),
                query=dict(parse_qsl(url.query)) or None, claims={"sub": "local-user"}, stage=stage,
            )
            result = lambda_handler(event, LocalLambdaContext())
            headers = dict(result.get("headers") or {})
            for key, values in (result.get("multiValueHeaders") or {}).items():
                headers.setdefault(key, values[-1])
            self._respond(result["statusCode"], headers, result.get("body") or "")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    return ApiGatewayHandler


def serve(template: dict[str, Any], port: int = 8080) -> HTTPServer:
    """An HTTP server for the API in ``template`` on 127.0.0.1 (not started; call serve_forever)."""
    stage, routes = api_routes(template)
    return HTTPServer(("127.0.0.1", port), make_handler(stage, routes))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--template", type=Path, default=None, help="synthesized service template (default: dev)")
    args = parser.parse_args(argv)
    template = json.loads((args.template or default_template()).read_text())
    stage, routes = api_routes(template)
    # Started from a background job, a process inherits SIGINT as ignored; Ctrl-C must always stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    mock, server = None, None
    try:  # Ctrl-C at any point after this stops cleanly
        mock = start_local_dynamodb()
        server = serve(template, args.port)
        for path, methods in sorted(routes.items()):
            print(f"  {', '.join(sorted(methods)):<18} /{stage}{path}")
        print(f"Product API on http://127.0.0.1:{server.server_port}/{stage}/product (in-memory DynamoDB); Ctrl-C stops",
              flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        if server:
            server.server_close()
        if mock:
            mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

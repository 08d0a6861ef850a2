"""Run the whole service on 127.0.0.1 against the AWS emulator (moto, server mode), no AWS account needed.

    make serve                       # API on http://127.0.0.1:8080/prod/product, emulator endpoint printed
    python -m devtools.local.serve --port 9000 --emulator-port 4566 --template cdk.out/assembly-dev/devService....template.json
    python -m devtools.local.serve --template /tmp/scale/assembly-dev/devService....template.json   # any assembly

Requests become API Gateway REST proxy events for the routes of the synthesized API and go to the
real handler of the function each route integrates with (its ``Handler``, as synthesized). The API is
read from the Service template with the nested stacks that hold function groups' routes, and the
group stacks whose aliases those routes invoke (devtools/local/api_template.py), so a grouped
function's routes serve like any other. Like API Gateway, a path or method the API does not define
is answered 403 ``MISSING_AUTHENTICATION_TOKEN``. The methods the API's Cognito authorizer guards need an ID token of
a user pool created on the emulator (devtools/local/auth.py): `make serve` creates the user
``local-user@example.com`` and prints a ready-made ``Authorization`` header; without a valid token
the answer is a 401 shaped like the API's UNAUTHORIZED gateway response. The other methods, and every
method with ``--no-auth``, are called as the caller ``local-user``.

Beside the API it runs what the deployed service runs (devtools/local/system.py): the tables, the
import queue and its dead-letter queue, the product-events topic with the example subscriber queue,
the file system (a local directory), and the event source mappings (devtools/local/event_sources.py) that
feed the import worker and the change-event publisher. `make invoke-local FUNCTION=catalog-export`
runs the export on demand against the running emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.local.api_template import load_api_template, service_template
from devtools.local.events import match_resource, rest_event
from devtools.local.runtime import LocalLambdaContext, reset_runtime_caches
from devtools.synth import ROOT

REGION = "eu-west-1"
LOCAL_FILES = ROOT / ".cache" / "local" / "files"
# Where a running `make serve` says how to reach it (read by `make invoke-local`).
STATE_FILE = ROOT / ".cache" / "local" / "serve.json"


def resource_path_resolver(template: dict[str, Any]) -> Callable[[Any], str]:
    """Turns a method's ``ResourceId`` reference into its path (``/product/{id}``; "" for the root)."""
    api_resources = {lid: r["Properties"] for lid, r in template["Resources"].items() if r["Type"] == "AWS::ApiGateway::Resource"}

    def path_of(ref: Any) -> str:
        if isinstance(ref, dict) and ref.get("Ref") in api_resources:
            props = api_resources[ref["Ref"]]
            return f"{path_of(props['ParentId'])}/{props['PathPart']}"
        return ""

    return path_of


def api_routes(template: dict[str, Any]) -> tuple[str, dict[str, dict[str, str]]]:
    """The stage name and {resource path: {method: handler}} of the REST API in a synthesized template.

    The handler is the ``Handler`` of the function whose alias the method integrates with. For a
    stage with function groups, pass the template ``load_api_template`` returns (methods and aliases
    of every stack inlined).
    """
    resources = template["Resources"]
    path_of = resource_path_resolver(template)

    def handler_of_method(props: dict[str, Any]) -> str:
        parts = props["Integration"]["Uri"]["Fn::Join"][1]
        aliases = [p["Ref"] for p in parts if isinstance(p, dict) and p.get("Ref") in resources]
        if len(aliases) != 1:
            raise ValueError(
                f"{props['HttpMethod']} {path_of(props['ResourceId']) or '/'} integrates with no function of this "
                f"template ({parts[1:-1]}): read the template with load_api_template from inside its assembly"
            )
        function_id = resources[aliases[0]]["Properties"]["FunctionName"]["Ref"]
        return resources[function_id]["Properties"]["Handler"]

    routes: dict[str, dict[str, str]] = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGateway::Method" and resource["Properties"]["HttpMethod"] != "OPTIONS":
            props = resource["Properties"]
            routes.setdefault(path_of(props["ResourceId"]) or "/", {})[props["HttpMethod"]] = handler_of_method(props)
    (stage,) = [r["Properties"]["StageName"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Stage"]
    return stage, routes


def gateway_behaviour(template: dict[str, Any]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """What API Gateway itself answers, from the template: preflight headers per resource (the CORS
    ``OPTIONS`` mock integrations) and the headers of its DEFAULT_4XX response."""
    resources = template["Resources"]
    path_of = resource_path_resolver(template)

    preflight = {}
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::ApiGateway::Method" and props.get("HttpMethod") == "OPTIONS":
            (response,) = props["Integration"]["IntegrationResponses"]
            headers = {k.rsplit(".", 1)[1]: v.strip("'") for k, v in response.get("ResponseParameters", {}).items()}
            preflight[path_of(props["ResourceId"]) or "/"] = headers
    gateway_4xx = {}
    for resource in resources.values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::ApiGateway::GatewayResponse" and props.get("ResponseType") == "DEFAULT_4XX":
            gateway_4xx = {k.rsplit(".", 1)[1]: v for k, v in props.get("ResponseParameters", {}).items()}
    return preflight, gateway_4xx


def cors_environment(template: dict[str, Any]) -> dict[str, str]:
    """The CORS origins the stage gives its API functions (``CORS_ALLOW_ORIGINS``), as synthesized."""
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            origins = resource["Properties"].get("Environment", {}).get("Variables", {}).get("CORS_ALLOW_ORIGINS")
            if origins:
                return {"CORS_ALLOW_ORIGINS": origins}
    return {}


def authorized_methods(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, resource path) of every method the API's Cognito authorizer guards."""
    resources = template["Resources"]
    path_of = resource_path_resolver(template)

    return {
        (r["Properties"]["HttpMethod"], path_of(r["Properties"]["ResourceId"]) or "/")
        for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"].get("AuthorizationType") == "COGNITO_USER_POOLS"
    }


def body_models(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, resource path) -> the JSON schema API Gateway validates its body with (its request model)."""
    resources = template["Resources"]
    path_of = resource_path_resolver(template)

    found = {}
    for resource in resources.values():
        props = resource.get("Properties", {})
        model = (props.get("RequestModels") or {}).get("application/json") if resource["Type"] == "AWS::ApiGateway::Method" else None
        if isinstance(model, dict) and model.get("Ref") in resources:
            found[(props["HttpMethod"], path_of(props["ResourceId"]) or "/")] = resources[model["Ref"]]["Properties"]["Schema"]
    return found


def gateway_validation_error(schema: dict[str, Any], body: str | None, content_type: str) -> tuple[int, dict[str, Any]] | None:
    """What API Gateway's request validator answers for ``body`` (None when it lets the request through)."""
    import jsonschema

    if not content_type.lower().startswith("application/json"):
        return None  # the model is for application/json only: other media types reach the function (415)
    try:
        document = json.loads(body or "")
    except ValueError:
        return 400, {"error": {"code": "malformed_request", "message": "the body is not valid JSON"}}
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    if not errors:
        return None
    return 422, {"error": {"code": "validation_failed", "message": "the request has invalid fields",
                           "details": [{"location": "body", "message": errors[0].message}]}}


def default_template() -> Path:
    try:
        return service_template(ROOT / "cdk.out" / "assembly-dev")
    except FileNotFoundError:
        raise SystemExit("no synthesized dev service template in cdk.out/: run `make synth` first") from None


def local_credentials(endpoint: str | None = None) -> dict[str, str]:
    """The process environment for talking to the emulator (and for Powertools, quietly)."""
    environment = {
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "POWERTOOLS_SERVICE_NAME": "product-catalog-local", "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogLocal",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    if endpoint:
        environment["AWS_ENDPOINT_URL"] = endpoint
    return environment


def start_emulator(port: int = 0) -> tuple[Any, str]:
    """moto in server mode on 127.0.0.1; returns (server, endpoint URL)."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulator request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    _, bound = server.get_host_and_port()
    return server, f"http://127.0.0.1:{bound}"


def start_system(endpoint: str, files_dir: Path = LOCAL_FILES) -> Any:
    """Create the service's resources on the emulator at ``endpoint`` and point this process at them."""
    import boto3

    from devtools.local.system import LocalSystem
    from services.product_catalog.definition import DEFINITION

    os.environ.update(local_credentials(endpoint))
    shutil.rmtree(files_dir, ignore_errors=True)
    system = LocalSystem(lambda service: boto3.client(service, endpoint_url=endpoint, region_name=REGION),
                         DEFINITION, files_dir).create()
    system.apply_environment()
    reset_runtime_caches()
    return system


def make_handler(
    stage: str, routes: dict[str, dict[str, str]], preflight: dict[str, dict[str, str]] | None = None,
    gateway_4xx: dict[str, str] | None = None, models: dict[tuple[str, str], dict[str, Any]] | None = None,
    auth: Any = None, guarded: set[tuple[str, str]] | None = None,
) -> type[BaseHTTPRequestHandler]:
    from devtools.local.system import handler_of

    handlers = {dotted: handler_of(dotted) for methods in routes.values() for dotted in methods.values()}
    preflight, gateway_4xx, models = preflight or {}, gateway_4xx or {}, models or {}

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

        def _gateway_headers(self) -> dict[str, str]:
            """DEFAULT_4XX's headers, as API Gateway maps them ('value' literal, or the request's header)."""
            headers = {}
            for name, value in gateway_4xx.items():
                if value.startswith("'"):
                    headers[name] = value.strip("'")
                elif value.startswith("method.request.header.") and self.headers.get(value.rsplit(".", 1)[1]):
                    headers[name] = self.headers[value.rsplit(".", 1)[1]]
            return headers

        def _handle(self) -> None:
            url = urlsplit(self.path)
            prefix = f"/{stage}"
            path = url.path[len(prefix):] if url.path.startswith(prefix + "/") else None
            matched = match_resource(path, tuple(routes)) if path else None
            if matched and self.command == "OPTIONS" and matched[0] in preflight:
                # The CORS preflight is API Gateway's MOCK integration: 204 with the configured headers.
                self._respond(204, preflight[matched[0]], "")
                return
            if not matched or self.command not in routes[matched[0]]:
                body = {"error": {"code": "MISSING_AUTHENTICATION_TOKEN", "message": "Missing Authentication Token"}}
                self._respond(403, {"Content-Type": "application/json", **self._gateway_headers()}, json.dumps(body))
                return
            claims = {"sub": "local-user"}
            if auth is not None and (self.command, matched[0]) in (guarded or set()):
                claims = auth.claims(self.headers.get("Authorization"))
                if claims is None:  # API Gateway's UNAUTHORIZED answer (DEFAULT_4XX's shape and headers)
                    error = {"error": {"code": "UNAUTHORIZED", "message": "Unauthorized", "request_id": str(uuid.uuid4())}}
                    self._respond(401, {"Content-Type": "application/json", **self._gateway_headers()}, json.dumps(error))
                    return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else None
            schema = models.get((self.command, matched[0]))
            rejected = gateway_validation_error(schema, body, self.headers.get("Content-Type") or "") if schema else None
            if rejected:  # API Gateway's request validator answers before the function is invoked
                status, error = rejected
                error["error"]["request_id"] = str(uuid.uuid4())
                self._respond(status, {"Content-Type": "application/json", **self._gateway_headers()}, json.dumps(error))
                return
            event = rest_event(
                self.command, path, body=body, headers=dict(self.headers.items()), resources=tuple(routes),
                query=dict(parse_qsl(url.query)) or None, claims=claims, stage=stage,
            )
            result = handlers[routes[matched[0]][self.command]](event, LocalLambdaContext())
            headers = dict(result.get("headers") or {})
            for key, values in (result.get("multiValueHeaders") or {}).items():
                headers.setdefault(key, values[-1])
            self._respond(result["statusCode"], headers, result.get("body") or "")

        def __getattr__(self, name: str) -> Any:
            # Every method, known or not, goes through _handle (http.server would answer 501 in HTML).
            if name.startswith("do_"):
                return self._handle
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            sys.stderr.write(f"{self.command} {self.path} -> {args[1] if len(args) > 1 else ''}\n")

    return ApiGatewayHandler


def serve(template: dict[str, Any], port: int = 8080, auth: Any = None) -> HTTPServer:
    """An HTTP server for the API in ``template`` on 127.0.0.1 (not started; call serve_forever).

    :param auth: a LocalAuth enforcing the API's authorizer (default none: every request is authorized).
    """
    stage, routes = api_routes(template)
    preflight, gateway_4xx = gateway_behaviour(template)
    handler = make_handler(stage, routes, preflight, gateway_4xx, body_models(template), auth, authorized_methods(template))
    return HTTPServer(("127.0.0.1", port), handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--emulator-port", type=int, default=0, help="port of the AWS emulator (default: any free one)")
    parser.add_argument("--template", type=Path, default=None, help="synthesized service template (default: dev)")
    parser.add_argument("--no-auth", action="store_true", help="treat every request as authorized (no token needed)")
    args = parser.parse_args(argv)
    template = load_api_template(args.template or default_template())
    stage, routes = api_routes(template)
    os.environ.update(cors_environment(template))
    # Started from a background job, a process inherits SIGINT as ignored; Ctrl-C must always stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    emulator, server, pollers = None, None, None
    try:  # Ctrl-C at any point after this stops cleanly
        from devtools.local.event_sources import Pollers

        emulator, endpoint = start_emulator(args.emulator_port)
        system = start_system(endpoint)
        pollers = Pollers(system.event_source_mappings()).start()
        auth, token = None, None
        if not args.no_auth:
            from devtools.local.auth import LOCAL_USER, LocalAuth

            auth = LocalAuth.create(system.client, endpoint, REGION)
            token = auth.token(LOCAL_USER, auth.create_user(LOCAL_USER))
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        STATE_FILE.write_text(json.dumps({"endpoint": endpoint, "environment": system.environment}, indent=2))
        server = serve(template, args.port, auth)
        for path, methods in sorted(routes.items()):
            print(f"  {', '.join(sorted(methods)):<18} /{stage}{path}")
        print(f"AWS emulator: {endpoint}  (aws --endpoint-url {endpoint} --region {REGION} ...; any credentials)")
        for name, url in sorted(system.queue_urls.items()):
            print(f"  queue {name:<32} {url}")
        for name, arn in sorted(system.topic_arns.items()):
            print(f"  topic {name:<32} {arn}")
        print(f"  files {system.files_dir}   (make invoke-local FUNCTION=catalog-export writes an export here)")
        if auth:
            print(f"  user pool {auth.pool_id}, app client {auth.client_id}; the API's writes need a token "
                  f"(ID token of {LOCAL_USER}, valid one hour):")
            print(f"Authorization: Bearer {token}")
        else:
            print("  no authorization (--no-auth): every request is treated as authorized")
        print(f"Product API on http://127.0.0.1:{server.server_port}/{stage}/product; Ctrl-C stops", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        if server:
            server.server_close()
        if pollers:
            pollers.stop()
        if emulator:
            emulator.stop()
        STATE_FILE.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

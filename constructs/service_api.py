"""ServiceApi: the REST API in front of a service's functions, every method a proxy to a function alias."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import (
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import (
    aws_apigateway as apigw,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_cognito as cognito,
)
from aws_cdk import (
    aws_kms as kms,
)
from aws_cdk import (
    aws_lambda as lambda_,
)
from aws_cdk import (
    aws_logs as logs,
)
from aws_cdk import (
    aws_wafv2 as wafv2,
)
from catalog_constructs.arns import check_web_acl_arn
from catalog_constructs.errors import InvalidPropError
from catalog_constructs.gateway_responses import GatewayErrorBodies
from catalog_constructs.nag import acknowledge, acknowledge_all
from catalog_constructs.rest_events import path_parameters_of

from constructs import Construct

READ_METHODS = frozenset({"GET"})
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True, kw_only=True)
class ApiRoute:
    """One method on one resource path, served by a function alias (or version)."""

    method: str
    path: str
    handler: lambda_.Alias | lambda_.Version
    body_schema: Mapping[str, Any] | None = None  # a JSON schema: API Gateway rejects other bodies


def gateway_model_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON schema as an API Gateway model takes it: draft-04, never stricter than the function.

    The gateway is a first filter; where draft-04 and the function's validation differ, the function
    decides: ``multipleOf`` is dropped (validators compute it in floating point, where 19.9 is not a
    multiple of 0.01) and ``integer`` becomes ``number`` (draft-04 refuses 5.0 as an integer, the
    function and OpenAPI 3.1 accept it). A gateway that refused valid requests would be a regression.
    """
    def strip(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {
                k: ("number" if k == "type" and v == "integer" else strip(v))
                for k, v in value.items() if k not in ("multipleOf", "$defs")
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    if "$defs" in schema or "$ref" in json.dumps(schema):
        raise InvalidPropError("routes.body_schema", schema.get("title"), "a schema without $ref (API Gateway models cannot resolve them here)")
    return {"$schema": "http://json-schema.org/draft-04/schema#", **strip(schema)}


def _check_routes(routes: Sequence[ApiRoute], served: set[tuple[str, str]]) -> None:
    seen = set(served)
    for route in routes:
        if not isinstance(route.handler, (lambda_.Alias, lambda_.Version)):
            raise InvalidPropError("routes.handler", route.handler.node.path, "a lambda Alias or Version (never $LATEST)")
        if route.method not in HTTP_METHODS:
            raise InvalidPropError("routes.method", route.method, "one of " + ", ".join(HTTP_METHODS))
        if not route.path.startswith("/") or "//" in route.path:
            raise InvalidPropError("routes.path", route.path, "a resource path such as /orders/{id}")
        if (route.method, route.path) in seen:
            raise InvalidPropError("routes", f"{route.method} {route.path}", "each method and path served by one function")
        seen.add((route.method, route.path))


def _set_options(options: apigw.MethodOptions) -> dict[str, Any]:
    """MethodOptions as add_method's keyword arguments (only those set)."""
    names = ("authorizer", "authorization_type", "request_parameters", "request_models", "request_validator")
    return {name: value for name in names if (value := getattr(options, name)) is not None}


def server_error_rate_alarm(
    scope: Construct, construct_id: str, *, api_name: str, stage_name: str, rate: float, described_as: str
) -> cloudwatch.Alarm:
    """The share of the API stage's requests answered 5XX in a minute, above ``rate``: rolls back releases.

    Built from the API's name and stage name (plain strings), not stage.metric_server_error(): a
    reference to the stage would make the deployment group, the alias and the API depend on each
    other in a cycle, and functions in other stacks can watch the same metric without a reference.
    """
    return cloudwatch.Alarm(
        scope,
        construct_id,
        alarm_description=(
            f"More than {rate:.0%} of requests to {described_as} answered 5XX in a minute; "
            "rolls back the release of a function behind the API"
        ),
        # 5XXError averaged over requests is the share of requests that failed.
        metric=cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="5XXError",
            dimensions_map={"ApiName": api_name, "Stage": stage_name},
            statistic="Average",
            period=Duration.minutes(1),
        ),
        threshold=rate,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )


def gateway_cors_headers(origins: Sequence[str], expose_headers: Sequence[str] = ()) -> dict[str, str]:
    """CORS headers of API Gateway's own responses: the one origin; with several, the request's Origin.

    A gateway response cannot choose among origins as the function does, so with several configured it
    echoes the caller's Origin: only error bodies, never credentials, are exposed that way.
    """
    if not origins:
        return {}
    origin = f"'{origins[0]}'" if len(origins) == 1 else "method.request.header.Origin"
    headers = {"Access-Control-Allow-Origin": origin, "Vary": "'Origin'"}
    if expose_headers:
        headers["Access-Control-Expose-Headers"] = "'" + ",".join(expose_headers) + "'"
    return headers


class ServiceApi(Construct):
    """API Gateway REST API whose every method is a Lambda proxy to a function alias.

    Writes always require a Cognito token; reads are public unless ``authorize_reads``. The stage has
    JSON access logs, execution logs for errors, X-Ray tracing and throttling. ``server_error_alarm``
    watches the stage's 5XX rate, for the deployments of the functions behind it.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        routes: Sequence[ApiRoute],
        user_pool: cognito.IUserPool,
        description: str,
        cors_allow_headers: Sequence[str] = ("Authorization", "Content-Type"),
        cors_expose_headers: Sequence[str] = (),
        error_bodies: GatewayErrorBodies = GatewayErrorBodies(),
        stage_name: str = "prod",
        authorize_reads: bool = False,
        throttling_rate_limit: int = 100,
        throttling_burst_limit: int = 200,
        cors_allow_origins: Sequence[str] = (),
        access_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        access_log_group_name: str | None = None,
        log_encryption_key: kms.IKey | None = None,
        manage_account_cloudwatch_role: bool = True,
        web_acl_arn: str | None = None,
        rollback_5xx_rate: float = 0.05,
    ) -> None:
        """
        :param routes: methods of the API and the alias (never the function itself) that serves each; more
            can be added with ``add_routes`` (in other scopes too).
        :param user_pool: whose tokens authorize writes (and reads if ``authorize_reads``).
        :param description: the REST API's description, shown in the console.
        :param cors_allow_headers: request headers a browser may send, with CORS on (default Authorization, Content-Type).
        :param cors_expose_headers: response headers a browser may read, with CORS on (default none).
        :param error_bodies: templates of the gateway's own error answers (default: API Gateway's shape).
        :param stage_name: deployment stage, the first path segment (default ``prod``: ``/prod/...``).
        :param authorize_reads: require a token for GET too (default off: reads are public).
        :param throttling_rate_limit: steady requests per second for the stage (default 100).
        :param throttling_burst_limit: burst capacity for the stage (default 200).
        :param cors_allow_origins: origins allowed by CORS (default none: CORS off).
        :param access_log_retention: retention of the access log group (default one year).
        :param access_log_group_name: name of the access log group (default: generated).
        :param log_encryption_key: customer-managed key for the access log group (default: CloudWatch Logs' own encryption).
        :param manage_account_cloudwatch_role: create the region's API Gateway logging role (default on;
            it is one per account and region, so only one stack in an account should own it).
        :param web_acl_arn: WAFv2 web ACL to associate with the stage (default none).
        :param rollback_5xx_rate: share of requests answered 5XX in a minute that fires ``server_error_alarm`` (default 0.05).
        """
        _check_routes(routes, set())
        check_web_acl_arn(web_acl_arn)
        if isinstance(rollback_5xx_rate, bool) or not isinstance(rollback_5xx_rate, (int, float)) or not 0 < rollback_5xx_rate <= 1:
            raise InvalidPropError("rollback_5xx_rate", rollback_5xx_rate, "a share above 0 and at most 1")
        if not stage_name or not stage_name.replace("_", "").isalnum():
            raise InvalidPropError("stage_name", stage_name, "letters, digits and _")
        for field, value in (("throttling_rate_limit", throttling_rate_limit), ("throttling_burst_limit", throttling_burst_limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidPropError(field, value, "a positive integer")
        for origin in cors_allow_origins:
            if origin == "*" or not origin.startswith("https://") and not origin.startswith("http://localhost"):
                raise InvalidPropError("cors_allow_origins", origin, "explicit https:// origins (or http://localhost…)")
        super().__init__(scope, construct_id)

        self.access_log_group = logs.LogGroup(
            self, "AccessLogs", retention=access_log_retention, removal_policy=RemovalPolicy.RETAIN,
            log_group_name=access_log_group_name, encryption_key=log_encryption_key,
        )
        # Named after the stack and construct, so each stage's metrics (by ApiName) stay apart.
        api_name = f"{Stack.of(self).stack_name}-{construct_id}"
        self.api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=api_name,
            description=description,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=manage_account_cloudwatch_role,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=throttling_rate_limit,
                throttling_burst_limit=throttling_burst_limit,
            ),
            default_cors_preflight_options=(
                apigw.CorsOptions(
                    allow_origins=list(cors_allow_origins),
                    allow_methods=sorted({route.method for route in routes}),
                    allow_headers=list(cors_allow_headers),
                    expose_headers=list(cors_expose_headers) or None,
                )
                if cors_allow_origins
                else None
            ),
        )
        if manage_account_cloudwatch_role:
            acknowledge(
                self.api,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                "The region's API Gateway logging role must be able to write to any log group API Gateway "
                "creates; AWS maintains this managed policy for exactly that role.",
            )
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[user_pool])
        self.request_validator = self.api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )
        # API Gateway's own answers (unauthorized, missing token, throttled, ...) carry the service's
        # error shape and, with CORS on, the same headers the function sends, so a browser can read them.
        gateway_responses = (
            (apigw.ResponseType.DEFAULT_4_XX, None, error_bodies.default),
            (apigw.ResponseType.DEFAULT_5_XX, None, error_bodies.default),
            (apigw.ResponseType.BAD_REQUEST_BODY, error_bodies.invalid_body_status, error_bodies.invalid_body),
            (apigw.ResponseType.BAD_REQUEST_PARAMETERS, "400", error_bodies.invalid_parameters),
        )
        for response_type, status, body in gateway_responses:
            self.api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                status_code=status,
                templates={"application/json": body},
                response_headers=gateway_cors_headers(cors_allow_origins, cors_expose_headers) or None,
            )
        self.models: dict[str, apigw.IModel] = {}
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        self._stage_name = stage_name
        self._authorize_reads = authorize_reads
        # Which scope created each path's resource: one path belongs to one stack (None: this construct's).
        self._resources: dict[str, tuple[apigw.IResource, Construct | None]] = {"/": (self.api.root, None)}
        self._permitted: set[str] = set()
        self.add_routes(routes)
        self.server_error_alarm = server_error_rate_alarm(
            self, "ServerErrorRateAlarm", api_name=api_name, stage_name=stage_name, rate=rollback_5xx_rate,
            described_as=self.node.path,
        )
        self.api_name = api_name

        if web_acl_arn:
            wafv2.CfnWebACLAssociation(
                self, "WebAclAssociation", resource_arn=self.api.deployment_stage.stage_arn, web_acl_arn=web_acl_arn
            )
        else:
            acknowledge(
                self.api.deployment_stage,
                "AwsSolutions-APIG3",
                "No WAF web ACL is configured for this stage (api.web_acl_arn); throttling and Cognito "
                "authorization of writes still apply. Set web_acl_arn where a shared ACL exists.",
            )

    def _model(self, schema: Mapping[str, Any]) -> apigw.IModel:
        """One API Gateway model per distinct body schema (named after its title)."""
        key = json.dumps(schema, sort_keys=True)
        if key not in self.models:
            name = re.sub(r"[^A-Za-z0-9]", "", str(schema.get("title") or f"Body{len(self.models)}"))
            model = apigw.CfnModel(
                self, f"{name}Model", rest_api_id=self.api.rest_api_id, content_type="application/json",
                schema=gateway_model_schema(schema), description=f"The {name} body, as the function validates it",
            )
            self.models[key] = apigw.Model.from_model_name(self, f"{name}ModelRef", model.ref)
        return self.models[key]

    def add_routes(self, routes: Sequence[ApiRoute], *, scope: Construct | None = None) -> None:
        """Serve ``routes`` from this API, their resources, methods and permissions created in ``scope``.

        :param scope: where to create them, e.g. a nested stack holding one group's routes (default: this
            construct). They stay methods of this one REST API: its deployment hashes them wherever they
            are, so a route added in any scope produces a new deployment, and CORS, the authorizer,
            models and gateway responses apply to them. A path belongs to one scope: a route may use a
            path this construct's routes created, never one another scope created.
        """
        _check_routes(routes, set(self.methods))
        for route in routes:
            resource = self._resource_for(route.path, scope)
            self.methods[(route.method, route.path)] = self._add_method(
                resource, route.method, route.path, self._integration(route.handler, scope),
                authorized=self._authorize_reads or route.method not in READ_METHODS,
                model=self._model(route.body_schema) if route.body_schema else None,
                scope=scope,
            )

    def _resource_for(self, path: str, scope: Construct | None) -> apigw.IResource:
        if scope is None:
            # This construct's own routes keep CDK's own resource tree (and its construct ids).
            resource = self.api.root.resource_for_path(path)
            node = resource
            while node is not None and node.path not in self._resources:
                self._resources[node.path] = (node, None)
                node = node.parent_resource
            return resource
        current = "/"
        for part in path.strip("/").split("/"):
            parent = self._resources[current][0]
            current = f"{current.rstrip('/')}/{part}"
            if current in self._resources:
                owner = self._resources[current][1]
                if owner is not None and owner is not scope:
                    raise InvalidPropError(
                        "routes.path", path, f"a path whose resources no other scope created ({current} is {owner.node.path}'s)"
                    )
                continue
            resource = apigw.Resource(scope, "Path" + re.sub(r"[^A-Za-z0-9]", "", current.title()), parent=parent, path_part=part)
            self._resources[current] = (resource, scope)
        return self._resources[current][0]

    def _integration(self, handler: lambda_.Alias | lambda_.Version, scope: Construct | None) -> apigw.Integration:
        """A proxy integration to ``handler``, and once per handler the permission for this API's stage to invoke it.

        One permission per function (not per method, as LambdaIntegration grants by default): a
        function's resource policy stays small whatever its number of routes. It admits this API's
        stage only (``<api>/<stage>/*/*``), not every stage or API of the account.
        """
        handler_path = handler.node.path
        if handler_path not in self._permitted:
            self._permitted.add(handler_path)
            relative = handler_path.removeprefix(Stack.of(handler).node.path + "/")
            lambda_.CfnPermission(
                scope or self,
                re.sub(r"[^A-Za-z0-9]", "", relative) + "InvokePermission",
                action="lambda:InvokeFunction",
                function_name=handler.function_arn,
                principal="apigateway.amazonaws.com",
                source_arn=self.api.arn_for_execute_api("*", "/*", self._stage_name),
            )
        stack = Stack.of(self)
        return apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=(
                f"arn:{stack.partition}:apigateway:{stack.region}:lambda:path/2015-03-31/functions/"
                f"{handler.function_arn}/invocations"
            ),
        )

    def _add_method(
        self,
        resource: apigw.IResource,
        http_method: str,
        path: str,
        integration: apigw.Integration,
        *,
        authorized: bool,
        model: apigw.IModel | None = None,
        scope: Construct | None = None,
    ) -> apigw.Method:
        parameters = {f"method.request.path.{name}": True for name in path_parameters_of(path)} or None
        models = {"application/json": model} if model else None
        options = apigw.MethodOptions(
            authorizer=self.authorizer if authorized else None,
            authorization_type=apigw.AuthorizationType.COGNITO if authorized else None,
            request_parameters=parameters,
            request_models=models,
            request_validator=self.request_validator,
        )
        if scope is None:
            method = resource.add_method(http_method, integration, **_set_options(options))
        else:
            method = apigw.Method(
                scope, f"{http_method}{re.sub(r'[^A-Za-z0-9]', '', path.title())}", resource=resource,
                http_method=http_method, integration=integration, options=options,
            )
        if not authorized:
            reason = (
                f"{http_method} {path} is a public read by design (api.authorize_reads=false); "
                "writes require a Cognito token and the stage is throttled."
            )
            acknowledge_all(method, {"AwsSolutions-APIG4": reason, "AwsSolutions-COG4": reason})
        return method

    @property
    def url(self) -> str:
        """Base URL of the deployed stage (``https://…/prod/``)."""
        return self.api.url

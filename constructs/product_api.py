"""ProductApi: the REST API in front of the product function, /product CRUD."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import (
    RemovalPolicy,
    aws_apigateway as apigw,
    aws_cognito as cognito,
    aws_lambda as lambda_,
    aws_logs as logs,
    aws_wafv2 as wafv2,
)
from constructs import Construct

from catalog_constructs.errors import InvalidPropError
from catalog_constructs.nag import acknowledge

# The routes the runtime serves (tests check the handler serves exactly these).
ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/product"),
    ("POST", "/product"),
    ("GET", "/product/{id}"),
    ("PUT", "/product/{id}"),
    ("DELETE", "/product/{id}"),
)
READ_METHODS = frozenset({"GET"})
# Error bodies API Gateway itself returns (auth, throttling, ...) in the handler's error shape.
_GATEWAY_ERROR_BODY = '{"error": {"code": "$context.error.responseType", "message": $context.error.messageString}}'


class ProductApi(Construct):
    """API Gateway REST API with every method a Lambda proxy to one function alias.

    Writes always require a Cognito token; reads are public unless ``authorize_reads``. The stage has
    JSON access logs, execution logs for errors, X-Ray tracing and throttling.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.Alias | lambda_.Version,
        user_pool: cognito.IUserPool,
        stage_name: str = "prod",
        authorize_reads: bool = False,
        throttling_rate_limit: int = 100,
        throttling_burst_limit: int = 200,
        cors_allow_origins: Sequence[str] = (),
        access_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        manage_account_cloudwatch_role: bool = True,
        web_acl_arn: str | None = None,
    ) -> None:
        """
        :param handler: what every method invokes: pass the function's alias, never the function itself.
        :param user_pool: whose tokens authorize writes (and reads if ``authorize_reads``).
        :param stage_name: deployment stage, the first path segment (default ``prod``: ``/prod/product``).
        :param authorize_reads: require a token for GET too (default off: the catalog is public).
        :param throttling_rate_limit: steady requests per second for the stage (default 100).
        :param throttling_burst_limit: burst capacity for the stage (default 200).
        :param cors_allow_origins: origins allowed by CORS (default none: CORS off).
        :param access_log_retention: retention of the access log group (default one year).
        :param manage_account_cloudwatch_role: create the region's API Gateway logging role (default on;
            it is one per account and region, so only one stack in an account should own it).
        :param web_acl_arn: WAFv2 web ACL to associate with the stage (default none).
        """
        if not isinstance(handler, (lambda_.Alias, lambda_.Version)):
            raise InvalidPropError("handler", handler.node.path, "a lambda Alias or Version (never $LATEST)")
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
            self, "AccessLogs", retention=access_log_retention, removal_policy=RemovalPolicy.RETAIN
        )
        self.api = apigw.RestApi(
            self,
            "RestApi",
            description="Product catalog API",
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
                    allow_methods=sorted({method for method, _ in ROUTES}),
                    allow_headers=["Authorization", "Content-Type", "If-Match", "Idempotency-Key"],
                    expose_headers=["ETag", "Location"],
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
        for response_type in (apigw.ResponseType.DEFAULT_4_XX, apigw.ResponseType.DEFAULT_5_XX):
            self.api.add_gateway_response(
                f"Gateway{response_type.response_type}",
                type=response_type,
                templates={"application/json": _GATEWAY_ERROR_BODY},
            )

        integration = apigw.LambdaIntegration(handler, proxy=True, allow_test_invoke=False)
        self.methods: dict[tuple[str, str], apigw.Method] = {}
        for http_method, path in ROUTES:
            resource = self.api.root.resource_for_path(path)
            self.methods[(http_method, path)] = self._add_method(
                resource, http_method, path, integration, authorized=authorize_reads or http_method not in READ_METHODS
            )

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

    def _add_method(
        self,
        resource: apigw.IResource,
        http_method: str,
        path: str,
        integration: apigw.Integration,
        *,
        authorized: bool,
    ) -> apigw.Method:
        parameters = {"method.request.path.id": True} if "{id}" in path else None
        if authorized:
            return resource.add_method(
                http_method,
                integration,
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_parameters=parameters,
                request_validator=self.request_validator,
            )
        method = resource.add_method(
            http_method, integration, request_parameters=parameters, request_validator=self.request_validator
        )
        reason = (
            f"{http_method} {path} is a public catalog read by design (api.authorize_reads=false); "
            "writes require a Cognito token and the stage is throttled."
        )
        acknowledge(method, "AwsSolutions-APIG4", reason)
        acknowledge(method, "AwsSolutions-COG4", reason)
        return method

    @property
    def url(self) -> str:
        """Base URL of the deployed stage (``https://…/prod/``)."""
        return self.api.url

"""ServiceStack: the service's ungrouped functions, its one REST API, and every group's routes on it."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import CfnOutput, NestedStack
from catalog_constructs.service_api import ServiceApi

from stacks.config import StageConfig, config_section
from stacks.declared import pascal
from stacks.function_stack import FunctionStack
from stacks.retention import retention
from stacks.service_definition import ServiceDefinition


class ServiceStack(FunctionStack):
    """The ungrouped functions (a ``FunctionStack`` of group None) and the REST API in front of all functions.

    The API is one REST API whatever stack a route's function lives in: a group's routes are methods
    of it, created in a nested stack of this one (``<Group>Routes``), so the API's deployment hashes
    them and any route change anywhere produces a new deployment. This stack deploys after the group
    stacks, whose aliases the methods invoke.
    """

    def __init__(self, *args, group_stacks: Mapping[str, FunctionStack] = {}, **kwargs) -> None:
        """
        :param group_stacks: the stage's group stacks by group name, whose routes this API serves too.
        Other parameters as ``FunctionStack`` (with ``group=None``).
        """
        super().__init__(*args, group=None, finish=False, **kwargs)
        self.api: ServiceApi | None = None
        grouped = {group: stack.routes for group, stack in sorted((group_stacks or {}).items()) if stack.routes}
        if self._routes or grouped:
            self.api = self._rest_api(self._definition, self._config)
            for group, routes in grouped.items():
                with config_section(f"functions(group={group})"):
                    self.api.add_routes(routes, scope=NestedStack(self, f"{pascal(group)}Routes"))
            self.monitoring.watch_api(
                title=self._definition.api.name, api_name=api_name(self._config.name, self._definition),
                stage_name=self._config.api.stage_name,
            )
        # The stage's tables and file system are watched here: this stack exists in every stage.
        for name, table in self._stateful.tables.items():
            self.monitoring.watch_table(name, table)
        if self._stateful.file_system is not None:
            self.monitoring.watch_file_system(self._stateful.file_system, self._config.file_system)
        self._finish()

    def _rest_api(self, definition: ServiceDefinition, config: StageConfig) -> ServiceApi:
        declared, api = definition.api, config.api
        assert declared is not None and self._stateful.user_pool is not None  # checked by the definition
        with config_section("api"):
            rest_api = ServiceApi(
                self,
                declared.construct_id,
                routes=self._routes,
                user_pool=self._stateful.user_pool.user_pool,
                description=declared.description,
                cors_allow_headers=declared.cors_allow_headers,
                cors_expose_headers=declared.cors_expose_headers,
                error_bodies=declared.error_bodies,
                stage_name=api.stage_name,
                authorize_reads=api.authorize_reads,
                throttling_rate_limit=api.throttling_rate_limit,
                throttling_burst_limit=api.throttling_burst_limit,
                cors_allow_origins=api.cors_allow_origins,
                access_log_retention=retention(api.access_log_retention_days),
                manage_account_cloudwatch_role=api.manage_account_cloudwatch_role,
                web_acl_arn=api.web_acl_arn,
                rollback_5xx_rate=api.rollback_5xx_rate,
                **self._log_group("api/access", "access_log_group_name"),
            )
        for fn in self._api_facing:
            fn.add_rollback_alarm(rest_api.server_error_alarm)
        self._release_alarms.append(rest_api.server_error_alarm)
        CfnOutput(self, f"{declared.construct_id}Url", value=rest_api.url, description="Base URL of the API's stage")
        CfnOutput(self, "UserPoolClientId", value=self._stateful.user_pool.client.user_pool_client_id)
        return rest_api


def api_name(stage: str, definition: ServiceDefinition) -> str:
    """The REST API's name (``<stage>-Service-<Api>``, as ServiceApi names it), known before the API exists."""
    assert definition.api is not None
    return f"{stage}-Service-{definition.api.construct_id}"

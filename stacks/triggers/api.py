"""API trigger: REST API routes served by the function's alias, through the service's one REST API."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from stacks.declared import Declared
from stacks.triggers.base import ServiceBinding, TriggerBase

if TYPE_CHECKING:
    from catalog_constructs.service_function import ServiceFunction

    from stacks.function_declaration import FunctionDeclaration


class ApiRoute(Declared):
    """A method on a REST API resource path."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: Annotated[str, Field(pattern=r"^(/([A-Za-z0-9._-]+|\{[A-Za-z_][A-Za-z0-9_]*\}))+$")]
    # The JSON schema of the body; API Gateway validates bodies with it before invoking the function.
    body_schema: dict[str, Any] | None = None


class ApiTrigger(TriggerBase):
    """REST API routes served by the function (through its alias)."""

    kind: Literal["api"] = "api"
    routes: Annotated[tuple[ApiRoute, ...], Field(min_length=1)]

    @classmethod
    def from_routes(cls, routes: Iterable[Any]) -> ApiTrigger:
        """From a runtime package's route declarations (anything with ``method`` and ``path``)."""
        return cls(routes=tuple(
            ApiRoute(method=r.method, path=r.path, body_schema=getattr(r, "body_schema", None)) for r in routes
        ))

    def api_routes(self) -> tuple[ApiRoute, ...]:
        return self.routes

    def bind(self, service: ServiceBinding, function: FunctionDeclaration, fn: ServiceFunction) -> None:
        # The REST API is built once every function is generated: the routes are collected until then.
        service.add_api_routes(fn, self.routes)

    # make serve routes HTTP requests from the synthesized template's methods, so nothing to start here.

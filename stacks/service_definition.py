"""ServiceDefinition: a whole service as data — its tables, topics, API and functions.

The generator turns any definition into a stage (network, stateful and service stacks); each service
is one definition in its own package under services/. A definition is validated when it
is made, and every name one declaration uses for another (a table, index, stream, queue or topic) must
exist: a bad one is a single line naming the field, the value and what is allowed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from catalog_constructs.errors import InvalidPropError
from catalog_constructs.gateway_responses import GatewayErrorBodies
from pydantic import Field, model_validator

from stacks.declared import Declared, Name, pascal
from stacks.function_declaration import FunctionDeclaration, TopicSubscription
from stacks.triggers.stream import StreamView

AttributeName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,254}$")]
KeyType = Literal["string", "number", "binary"]
IndexName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{3,255}$")]
HeaderName = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")]


class TableIndex(Declared):
    """A global secondary index: another key the table is queried by."""

    name: IndexName
    partition_key: AttributeName
    partition_key_type: KeyType = "string"
    sort_key: AttributeName | None = None
    sort_key_type: KeyType = "string"
    # "all" copies every attribute into the index; "keys_only" only the keys (cheaper, one more read).
    projection: Literal["all", "keys_only"] = "all"


class TableDeclaration(Declared):
    """A DynamoDB table of the service: retained, point-in-time recovery on, protected as the stage says.

    A function reaches it as ``<NAME>_TABLE_NAME`` (and ``<NAME>_TABLE_KEY``, ``<NAME>_TABLE_SORT_KEY``).
    Keys, indexes and the stream are structural: changing a key replaces the table, which the
    replacement guard refuses without an acknowledgement.
    """

    name: Name
    partition_key: AttributeName = "id"
    partition_key_type: KeyType = "string"
    sort_key: AttributeName | None = None
    sort_key_type: KeyType = "string"
    indexes: Annotated[tuple[TableIndex, ...], Field(max_length=20)] = ()
    # The stream view, when something outside this service reads it; stream triggers add theirs anyway.
    stream: StreamView | None = None
    time_to_live_attribute: AttributeName | None = None
    # The stage may still switch a table to provisioned capacity (stages.<stage>.tables.<name>.provisioned).
    billing: Literal["on_demand", "provisioned"] = "on_demand"
    # Keeps the CloudFormation logical id of a table first created under another construct path.
    logical_id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,254}$")] | None = None

    @model_validator(mode="after")
    def _unique_indexes(self) -> TableDeclaration:
        names = [index.name for index in self.indexes]
        for name in names:
            if names.count(name) > 1:
                raise InvalidPropError("indexes.name", name, "a name no other index of the table has")
        return self

    @property
    def construct_id(self) -> str:
        """``orders`` -> ``OrdersTable``: stable, it names the table's logical id."""
        return pascal(self.name) + "Table"


class TopicDeclaration(Declared):
    """An encrypted SNS topic functions publish to (``topics={"<name>": "publish"}``)."""

    name: Name
    description: str = ""
    # Lives in that group's stack (publishers: that group's functions and the ungrouped ones); none = the service stack.
    group: Name | None = None


class FileSystemDeclaration(Declared):
    """The shared EFS file system's access point: the directory functions see and who owns it."""

    root_path: Annotated[str, Field(pattern=r"^(/[A-Za-z0-9._-]+)+$")] = "/files"
    posix_uid: Annotated[int, Field(ge=0, le=4_294_967_295)] = 1001
    posix_gid: Annotated[int, Field(ge=0, le=4_294_967_295)] = 1001
    root_permissions: Annotated[str, Field(pattern=r"^[0-7]{3,4}$")] = "750"


class ApiDeclaration(Declared):
    """The service's one REST API, serving every function's API routes."""

    # Names the API's construct id (``<Name>Api``) and so its logical ids: keep it once deployed.
    name: Name = "service"
    description: str
    cors_allow_headers: tuple[HeaderName, ...] = ("Authorization", "Content-Type")
    cors_expose_headers: tuple[HeaderName, ...] = ()
    error_bodies: GatewayErrorBodies = GatewayErrorBodies()

    @property
    def construct_id(self) -> str:
        return pascal(self.name) + "Api"


class ServiceDefinition(Declared):
    """One service: what it stores, what it publishes, what it serves and the functions that do it."""

    # Tags, log group names (/<name>/<stage>/...), Powertools' service name.
    name: Name
    description: str
    # Where the functions' packages live, with their pinned requirements in requirements/.
    runtime_dir: Path
    # The CloudWatch namespace of the functions' own metrics (default: the name in PascalCase).
    metrics_namespace: Annotated[str, Field(pattern=r"^[A-Za-z0-9_./#:-]{1,255}$")] | None = None
    tables: tuple[TableDeclaration, ...] = ()
    topics: tuple[TopicDeclaration, ...] = ()
    subscriptions: tuple[TopicSubscription, ...] = ()
    file_system: FileSystemDeclaration = FileSystemDeclaration()
    api: ApiDeclaration | None = None
    functions: Annotated[tuple[FunctionDeclaration, ...], Field(min_length=1)]

    @model_validator(mode="after")
    def _references_exist(self) -> ServiceDefinition:
        from stacks.declaration_checks import check_definition

        check_definition(self)
        return self

    @property
    def namespace(self) -> str:
        return self.metrics_namespace or pascal(self.name)

    @property
    def needs_file_system(self) -> bool:
        return any(function.file_system is not None for function in self.functions)

    @property
    def groups(self) -> tuple[str, ...]:
        """Every declared group, sorted: each is a stack of its own."""
        return tuple(sorted({g for g in (*(f.group for f in self.functions), *(t.group for t in self.topics)) if g}))

    @property
    def api_functions(self) -> tuple[FunctionDeclaration, ...]:
        return tuple(function for function in self.functions if function.api_routes)

    def table(self, name: str) -> TableDeclaration:
        return next(table for table in self.tables if table.name == name)

    def stream_view(self, table: str) -> str | None:
        """The view the table's stream has: declared, or what its stream triggers read."""
        declared = self.table(table).stream
        return declared or next((view for f in self.functions for t, view in f.streamed_tables if t == table), None)

    def log_group_prefix(self, stage: str) -> str:
        """Every log group of a stage is named under this prefix (when the stage encrypts them)."""
        return f"/{self.name}/{stage}/"

    def with_functions(self, *functions: FunctionDeclaration) -> ServiceDefinition:
        """This definition with more functions (checked again as a whole)."""
        return type(self)(**{**dict(self), "functions": self.functions + functions})

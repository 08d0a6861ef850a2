"""A bad declaration (function, table, service) fails before anything is built, in one line naming the field, value and what is allowed."""

from __future__ import annotations

import pytest
from catalog_constructs.errors import InvalidPropError

from services.product_catalog.definition import DEFINITION
from stacks.declaration_checks import check_stage_settings
from stacks.function_declaration import (
    ApiRoute,
    ApiTrigger,
    AsyncInvocation,
    FileSystemMount,
    FunctionDeclaration,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
    TopicSubscription,
)
from stacks.service_definition import (
    ApiDeclaration,
    FileSystemDeclaration,
    ServiceDefinition,
    TableDeclaration,
    TableIndex,
    TopicDeclaration,
)

FUNCTIONS = DEFINITION.functions
TABLES = (TableDeclaration(name="product", stream="NEW_AND_OLD_IMAGES"), TableDeclaration(name="idempotency"))


def declare(**fields) -> FunctionDeclaration:
    return FunctionDeclaration(**{"name": "worker", "description": "A worker", "package": "worker", "handler": "worker.handler.main", **fields})


def service(*functions: FunctionDeclaration, **fields) -> ServiceDefinition:
    return ServiceDefinition(**{"name": "shop", "description": "A shop", "runtime_dir": "runtime", "tables": TABLES,
                                "functions": functions, **fields})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: QueueTrigger(queue="jobs", batch_size=50), r"^QueueTrigger.max_batching_window_seconds: 0 is not allowed; expected at least 1 when batch_size is above 10"),
        (lambda: QueueTrigger(queue="jobs", max_concurrency=1), r"^QueueTrigger.max_concurrency: 1 is not allowed; expected a number greater than or equal to 2"),
        (lambda: StreamTrigger(table="product", retry_attempts=-1), r"^StreamTrigger.retry_attempts: -1 is not allowed"),
        (lambda: StreamTrigger(table="product", starting_position="AT_TIMESTAMP"), r"^StreamTrigger.starting_position: 'AT_TIMESTAMP' is not allowed"),
        (lambda: ScheduleTrigger(expression="daily"), r"^ScheduleTrigger.expression: 'daily' is not allowed; expected a value matching"),
        (lambda: ScheduleTrigger(service="rule", time_zone="Europe/Paris"), r"^ScheduleTrigger.time_zone: 'Europe/Paris' is not allowed; expected UTC for an EventBridge rule"),
        (lambda: AsyncInvocation(retry_attempts=3), r"^AsyncInvocation.retry_attempts: 3 is not allowed"),
        (lambda: FileSystemMount(access="write"), r"^FileSystemMount.access: 'write' is not allowed"),
        (lambda: FileSystemMount(access="read", mount_path="/efs/x"), r"^FileSystemMount.mount_path: '/efs/x' is not allowed"),
        (lambda: declare(handler="other.handler.main"), r"^FunctionDeclaration\(worker\).handler: 'other.handler.main' is not allowed; expected module.function inside the package"),
        (lambda: declare(name="Worker"), r"^FunctionDeclaration\(Worker\).name: 'Worker' is not allowed"),
        (lambda: declare(file_system=FileSystemMount(access="read"), in_vpc=False), r"^FunctionDeclaration\(worker\).file_system: 'read' is not allowed; expected a mount only for a function with in_vpc=True"),
        (lambda: declare(triggers=(ScheduleTrigger(), ScheduleTrigger())), r"^FunctionDeclaration\(worker\).triggers: '2 schedule triggers' is not allowed"),
        (lambda: declare(triggers=(QueueTrigger(queue="jobs"),), queues={"jobs": "send"}), r"^FunctionDeclaration\(worker\).queues.jobs: 'send' is not allowed"),
        (lambda: declare(tables={"product": "write"}), r"^FunctionDeclaration\(worker\).tables.product: 'write' is not allowed"),
        (lambda: declare(memory=512), r"^FunctionDeclaration\(worker\).memory: 512 is not allowed; expected a known setting: name, description"),
        (lambda: declare(settings={"memory_size": 64}), r"^FunctionDeclaration\(worker\).settings.memory_size: 64 is not allowed; expected an integer from 128 to 10240 \(MB\)"),
    ],
)
def test_a_bad_declaration_is_one_line_naming_field_value_and_allowed(make, message):
    with pytest.raises(InvalidPropError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: TableDeclaration(name="orders", partition_key="bad key"), r"^TableDeclaration\(orders\).partition_key: 'bad key' is not allowed"),
        (lambda: TableDeclaration(name="orders", sort_key_type="date"), r"^TableDeclaration\(orders\).sort_key_type: 'date' is not allowed"),
        (lambda: TableDeclaration(name="orders", stream="ALL"), r"^TableDeclaration\(orders\).stream: 'ALL' is not allowed"),
        (lambda: TableDeclaration(name="orders", indexes=(TableIndex(name="by-day", partition_key="day"),) * 2),
         r"^TableDeclaration\(orders\).indexes.name: 'by-day' is not allowed; expected a name no other index of the table has"),
        (lambda: TableIndex(name="x", partition_key="day"), r"^TableIndex\(x\).name: 'x' is not allowed"),
        (lambda: FileSystemDeclaration(root_path="files"), r"^FileSystemDeclaration.root_path: 'files' is not allowed"),
        (lambda: ApiDeclaration(description="x", cors_allow_headers=("Bad Header",)), r"^ApiDeclaration.cors_allow_headers.0: 'Bad Header' is not allowed"),
    ],
)
def test_a_bad_table_or_service_part_is_one_line(make, message):
    with pytest.raises(InvalidPropError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: service(declare(tables={"prodcut": "read"})), r"^FunctionDeclaration\(worker\).tables.prodcut: 'prodcut' is not allowed; expected a declared table: product, idempotency"),
        (lambda: service(declare(triggers=(StreamTrigger(table="orders"),))), r"^FunctionDeclaration\(worker\).triggers.table: 'orders' is not allowed; expected a declared table: product, idempotency"),
        (lambda: service(declare(queues={"jobs": "send"})), r"^FunctionDeclaration\(worker\).queues.jobs: 'jobs' is not allowed; expected a queue some function consumes"),
        (lambda: service(declare(topics={"events": "publish"})), r"^FunctionDeclaration\(worker\).topics.events: 'events' is not allowed; expected a declared topic: none"),
        (lambda: service(declare(triggers=(QueueTrigger(queue="jobs"),)), declare(name="other", package="other", handler="other.h.main", triggers=(QueueTrigger(queue="jobs"),))),
         r"^FunctionDeclaration\(other\).triggers.queue: 'jobs' is not allowed; expected a queue no other function consumes \(worker does\)"),
        (lambda: service(declare(), declare()), r"^FunctionDeclaration\(worker\).name: 'worker' is not allowed; expected a name no other declaration of its kind has"),
        (lambda: service(declare(), tables=(TableDeclaration(name="t1"), TableDeclaration(name="t1"))), r"^TableDeclaration\(t1\).name: 't1' is not allowed"),
        (lambda: service(declare(triggers=(StreamTrigger(table="product", view="NEW_IMAGE"),))),
         r"^FunctionDeclaration\(worker\).triggers.view: 'NEW_IMAGE' is not allowed; expected the view product's stream has \(NEW_AND_OLD_IMAGES\)"),
        (lambda: service(declare(triggers=(StreamTrigger(table="idempotency", view="NEW_IMAGE"),)), declare(name="other", package="other", handler="other.h.main", triggers=(StreamTrigger(table="idempotency"),))),
         r"^FunctionDeclaration\(other\).triggers.view: 'NEW_AND_OLD_IMAGES' is not allowed; expected the view idempotency's stream has \(NEW_IMAGE\)"),
        (lambda: service(declare(triggers=(FUNCTIONS[0].triggers[0],))), r"^ServiceDefinition.api: None is not allowed; expected an ApiDeclaration: worker declares API routes"),
        (lambda: service(declare(), subscriptions=(TopicSubscription(topic="events", queue="audit", filter_policy={"t": ("x",)}),)),
         r"^TopicSubscription\(audit\).topic: 'events' is not allowed; expected a declared topic: none"),
        (lambda: service(functions=()), r"^ServiceDefinition\(shop\).functions: \[\] is not allowed"),
    ],
)
def test_declarations_must_refer_to_what_exists(make, message):
    with pytest.raises(InvalidPropError, match=message) as error:
        make()
    assert "\n" not in str(error.value)


def grouped(name: str, group: str | None, **fields) -> FunctionDeclaration:
    return declare(name=name, package=name.replace("-", "_"), handler=f"{name.replace('-', '_')}.h.main", group=group, **fields)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: service(grouped("worker", None, triggers=(QueueTrigger(queue="jobs"),)), grouped("sender", "billing", queues={"jobs": "send"})),
         r"^FunctionDeclaration\(sender\).queues.jobs: 'jobs' is not allowed; expected a queue consumed in group billing \(jobs is consumed in the service stack\)"),
        (lambda: service(grouped("worker", "ga", triggers=(QueueTrigger(queue="jobs"),)), grouped("sender", "gb", queues={"jobs": "send"})),
         r"^FunctionDeclaration\(sender\).queues.jobs: 'jobs' is not allowed; expected a queue consumed in group gb \(jobs is consumed in group ga\)"),
        (lambda: service(grouped("publisher", "billing", topics={"events": "publish"}), topics=(TopicDeclaration(name="events"),)),
         r"^FunctionDeclaration\(publisher\).topics.events: 'events' is not allowed; expected a topic of group billing \(events lives in the service stack\)"),
        (lambda: service(grouped("one", "ga", triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/x/a"),)),)),
                         grouped("two", "gb", triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/x/b"),)),)), api=ApiDeclaration(description="x")),
         r"^FunctionDeclaration\(two\).triggers.routes: '/x/b' is not allowed; expected a path no other group's routes use \(/x is group ga's\)"),
    ],
)
def test_a_grouped_function_may_use_only_its_group_and_the_stateful_stack(make, message):
    with pytest.raises(InvalidPropError, match=message):
        make()


def test_what_a_group_may_use():
    definition = service(
        grouped("worker", "billing", triggers=(QueueTrigger(queue="jobs"),), tables={"product": "read"}),
        grouped("sender", "billing", queues={"jobs": "send"}, topics={"events": "publish"}),
        grouped("root-sender", None, queues={"jobs": "send"}, topics={"events": "publish"}),
        grouped("api-one", "ga", triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/shared/a"),)),)),
        grouped("api-root", None, triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/shared"),)),)),
        grouped("api-two", "gb", triggers=(ApiTrigger(routes=(ApiRoute(method="GET", path="/shared/b"),)),)),
        topics=(TopicDeclaration(name="events", group="billing"),), api=ApiDeclaration(description="x"),
    )
    assert definition.groups == ("billing", "ga", "gb")


def test_a_stream_trigger_works_on_any_declared_table():
    definition = service(declare(triggers=(StreamTrigger(table="idempotency", view="KEYS_ONLY"),)))
    assert definition.stream_view("idempotency") == "KEYS_ONLY"


def test_a_stage_schedule_needs_a_schedule_trigger():
    from stacks.config import parse_stage

    config = parse_stage("qa", {"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]},
                                "alarms": {"notify_nobody": True}, "functions": {"worker": {"schedule": "off"}}})
    with pytest.raises(InvalidPropError, match=r"^stages.qa.functions.worker.schedule: 'off' is not allowed; expected unset: worker is declared without a ScheduleTrigger"):
        check_stage_settings(service(declare()), config)


def test_the_benchmark_declarations_are_valid_and_their_files_exist():
    from bench.scaling_app import extra_functions
    from tests.conftest import ROOT

    extras = extra_functions(3)
    DEFINITION.with_functions(*extras)
    for declaration in extras:
        assert (ROOT / "runtime" / "requirements" / declaration.requirements).is_file()
        assert all((ROOT / "runtime" / package / "__init__.py").is_file() for package in (declaration.package, *declaration.extra_packages))

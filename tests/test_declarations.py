"""A bad function declaration fails before anything is built, in one line naming the field, value and what is allowed."""

from __future__ import annotations

import pytest

from catalog_constructs.errors import InvalidPropError
from stacks.declaration_checks import check_declarations, check_stage_settings
from stacks.function_declaration import (
    AsyncInvocation,
    FileSystemMount,
    FunctionDeclaration,
    QueueTrigger,
    ScheduleTrigger,
    StreamTrigger,
)
from stacks.functions import FUNCTIONS


def declare(**fields) -> FunctionDeclaration:
    return FunctionDeclaration(**{"name": "worker", "description": "A worker", "package": "worker", "handler": "worker.handler.main", **fields})


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
    ("functions", "message"),
    [
        (lambda: (declare(tables={"prodcut": "read"}),), r"^FunctionDeclaration\(worker\).tables.prodcut: 'prodcut' is not allowed; expected one of product, idempotency"),
        (lambda: (declare(triggers=(StreamTrigger(table="idempotency"),)),), r"^FunctionDeclaration\(worker\).triggers.table: 'idempotency' is not allowed; expected a table with a stream: product"),
        (lambda: (declare(queues={"jobs": "send"}),), r"^FunctionDeclaration\(worker\).queues.jobs: 'jobs' is not allowed; expected a queue some function consumes"),
        (lambda: (declare(triggers=(QueueTrigger(queue="jobs"),)), declare(name="other", package="other", handler="other.h.main", triggers=(QueueTrigger(queue="jobs"),))),
         r"^FunctionDeclaration\(other\).triggers.queue: 'jobs' is not allowed; expected a queue no other function consumes \(worker does\)"),
        (lambda: (declare(), declare()), r"^FunctionDeclaration\(worker\).name: 'worker' is not allowed; expected a name no other function has"),
        (lambda: (declare(triggers=(StreamTrigger(table="product", view="NEW_IMAGE"),)), declare(name="other", package="other", handler="other.h.main", triggers=(StreamTrigger(table="product"),))),
         r"^FunctionDeclaration\(other\).triggers.view: 'NEW_AND_OLD_IMAGES' is not allowed; expected the view the other stream triggers of product use \(NEW_IMAGE\)"),
    ],
)
def test_declarations_must_refer_to_what_exists(functions, message):
    with pytest.raises(InvalidPropError, match=message):
        check_declarations(functions())


def test_the_service_declarations_are_consistent():
    check_declarations(FUNCTIONS)


def test_a_configured_table_stream_must_match_the_view_the_triggers_need():
    from stacks.config import parse_stage

    config = parse_stage("qa", {"region": "eu-west-1", "network": {"availability_zones": ["eu-west-1a", "eu-west-1b"]},
                                "table": {"stream": "KEYS_ONLY"}})
    with pytest.raises(InvalidPropError, match=r"^stages.qa.table.stream: 'KEYS_ONLY' is not allowed; expected NEW_AND_OLD_IMAGES"):
        check_stage_settings((declare(triggers=(StreamTrigger(table="product"),)),), config)


def test_the_benchmark_declarations_are_valid_and_their_files_exist():
    from bench.scaling_app import extra_functions
    from tests.conftest import ROOT

    extras = extra_functions(3)
    check_declarations(FUNCTIONS + extras)
    for declaration in extras:
        assert (ROOT / "runtime" / "requirements" / declaration.requirements).is_file()
        assert all((ROOT / "runtime" / package / "__init__.py").is_file() for package in (declaration.package, *declaration.extra_packages))

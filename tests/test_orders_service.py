"""A second service from its own definition (tests/fixtures/orders): the generator knows no catalog.

Synthesized in the session's generated app (tests/generated_stage.py), so cfn-lint and cdk-nag check
it with every other template (tests/test_template_policies.py).
"""

from __future__ import annotations

import pytest

from tests.conftest import only, resources_of
from tests.fixtures.orders.definition import ORDERS
from tests.generated_stage import ORDERS_STAGE


@pytest.fixture(scope="module")
def orders(synthesized):
    stacks = ("Network", "Stateful", "Service", "FulfilmentFunctions")
    return {stack: synthesized.generated.templates[f"{ORDERS_STAGE}/{stack}"] for stack in stacks}


def functions_stacks(orders):
    """The service stack and the fulfilment group's: the definition's functions live in one or the other."""
    return [orders["Service"], orders["FulfilmentFunctions"]]


def function_of(template, declaration_name):
    construct_id = next(d.construct_id for d in ORDERS.functions if d.name == declaration_name)
    (function,) = [r for lid, r in resources_of(template, "AWS::Lambda::Function").items() if lid[:-8] == construct_id]
    return function


def test_the_orders_table_has_its_declared_keys_and_index(orders):
    table = only(orders["Stateful"], "AWS::DynamoDB::Table")["Properties"]
    assert table["KeySchema"] == [{"AttributeName": "customer_id", "KeyType": "HASH"}, {"AttributeName": "order_id", "KeyType": "RANGE"}]
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-status"
    assert index["KeySchema"] == [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "placed_at", "KeyType": "RANGE"}]
    assert {"AttributeName": "placed_at", "AttributeType": "N"} in table["AttributeDefinitions"]


def test_the_orders_table_is_retained_with_point_in_time_recovery(orders):
    (table,) = resources_of(orders["Stateful"], "AWS::DynamoDB::Table").values()
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_a_service_without_mounts_has_no_file_system(orders):
    assert not resources_of(orders["Stateful"], "AWS::EFS::FileSystem")


def test_functions_find_the_table_by_its_declared_name_and_keys(orders):
    environment = function_of(orders["FulfilmentFunctions"], "fulfilment")["Properties"]["Environment"]["Variables"]
    assert environment["ORDERS_TABLE_KEY"] == "customer_id"
    assert environment["ORDERS_TABLE_SORT_KEY"] == "order_id"
    assert "ORDERS_TABLE_NAME" in environment
    assert environment["POWERTOOLS_SERVICE_NAME"] == "orders"
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "Orders"


def test_a_table_grant_names_each_index_without_a_wildcard(orders):
    statements = [s for t in functions_stacks(orders) for p in resources_of(t, "AWS::IAM::Policy").values() for s in p["Properties"]["PolicyDocument"]["Statement"]]
    resources = [str(r) for s in statements if "dynamodb:Query" in s["Action"] for r in s["Resource"]]
    assert any("/index/by-status" in r for r in resources), resources
    assert not any("/index/*" in r for r in resources), resources


def test_each_function_gets_role_alias_deployment_group_and_rollback_alarms(orders):
    def count(resource_type):
        return sum(len(resources_of(t, resource_type)) for t in functions_stacks(orders))

    assert count("AWS::Lambda::Function") == count("AWS::Lambda::Alias") == count("AWS::CodeDeploy::DeploymentGroup") == len(ORDERS.functions)
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for t in functions_stacks(orders) for f in resources_of(t, "AWS::Lambda::Function").values()}
    assert len(roles) == len(ORDERS.functions)
    # Errors and throttles of the new version, per function, and the API's 5XX rate.
    assert count("AWS::CloudWatch::Alarm") >= 2 * len(ORDERS.functions) + 1


def test_a_grouped_function_lives_in_its_groups_stack(orders):
    assert function_of(orders["FulfilmentFunctions"], "fulfilment")
    assert function_of(orders["Service"], "orders-api")
    assert not [lid for lid in resources_of(orders["Service"], "AWS::Lambda::Function") if lid.startswith("FulfilmentFunction")]


def test_the_queue_lives_with_its_consumer_and_the_api_function_sends_to_it_across_stacks(orders):
    (queue_id,) = [lid for lid, q in resources_of(orders["FulfilmentFunctions"], "AWS::SQS::Queue").items()
                   if "RedrivePolicy" in q["Properties"]]
    environment = function_of(orders["Service"], "orders-api")["Properties"]["Environment"]["Variables"]
    assert "Fn::GetStackOutput" in environment["FULFILMENT_QUEUE_URL"]
    assert environment["FULFILMENT_QUEUE_URL"]["Fn::GetStackOutput"]["StackName"] == f"{ORDERS_STAGE}-FulfilmentFunctions"
    assert queue_id.startswith("FulfilmentQueue")


def test_the_api_serves_exactly_the_declared_routes(orders):
    service = orders["Service"]
    methods = {m["Properties"]["HttpMethod"] for m in resources_of(service, "AWS::ApiGateway::Method").values()}
    assert {"POST", "GET"} <= methods
    api = only(service, "AWS::ApiGateway::RestApi")["Properties"]
    assert api["Description"] == "Orders API"
    assert api["Name"] == f"{ORDERS_STAGE}-Service-OrdersApi"


def test_the_queue_worker_consumes_its_queue_with_a_dead_letter_queue(orders):
    service = orders["FulfilmentFunctions"]
    mapping = only(service, "AWS::Lambda::EventSourceMapping")["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queues = resources_of(service, "AWS::SQS::Queue")
    (work,) = [q for lid, q in queues.items() if lid.startswith("FulfilmentQueueQueue")] or [
        q for q in queues.values() if "RedrivePolicy" in q["Properties"]]
    assert work["Properties"]["RedrivePolicy"]["maxReceiveCount"] == 3


def test_resources_are_tagged_with_the_service_name(orders):
    (table,) = resources_of(orders["Stateful"], "AWS::DynamoDB::Table").values()
    assert {"Key": "service", "Value": "orders"} in table["Properties"]["Tags"]


def test_the_readme_shows_exactly_the_definition_the_tests_build():
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Defining another service", 1)[1]
    example = section.split("```python\n", 1)[1].split("```", 1)[0]
    assert example.strip() in (ROOT / "tests/fixtures/orders/definition.py").read_text()
    assert example.startswith("ORDERS = ServiceDefinition(")

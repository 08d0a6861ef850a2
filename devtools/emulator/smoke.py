"""Smoke checks for a stage deployed to the local emulator, and the checks after `cdk destroy`."""

from __future__ import annotations

import json
import os
from typing import Any
from unittest import mock


def _stack_resources(deployment: Any, stack: str) -> dict[str, dict[str, str]]:
    cloudformation = deployment.client("cloudformation")
    name = f"{deployment.stage}-{stack}"
    resources = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
    missing = [r for r in resources if "LogicalResourceId" not in r]
    assert not missing, missing
    return {r["LogicalResourceId"]: r for r in resources}


def _physical_id(resources: dict[str, dict[str, str]], resource_type: str, prefix: str = "") -> str:
    (found,) = [r["PhysicalResourceId"] for lid, r in resources.items() if r["ResourceType"] == resource_type and lid.startswith(prefix)]
    return found


def run_smoke_test(deployment: Any) -> list[str]:
    """Read the deployed stage back and drive the real handler against its table; one line per check."""
    done = []
    stateful = _stack_resources(deployment, "Stateful")
    service = _stack_resources(deployment, "Service")
    dynamodb = deployment.client("dynamodb")
    table_name = _physical_id(stateful, "AWS::DynamoDB::Table", "ProductTable")
    table = dynamodb.describe_table(TableName=table_name)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}], table["KeySchema"]
    backups = dynamodb.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    done.append(f"table {table_name}: key id (S), point-in-time recovery on, {table.get('BillingModeSummary', {}).get('BillingMode', 'PAY_PER_REQUEST')}")

    lambda_client = deployment.client("lambda")
    function_name = _physical_id(service, "AWS::Lambda::Function", "ProductFunction")
    config = lambda_client.get_function_configuration(FunctionName=function_name)
    assert config["Runtime"] == "python3.13" and config["Architectures"] == ["arm64"]
    assert config["VpcConfig"]["SubnetIds"], "the function is not in the VPC"
    assert config["FileSystemConfigs"][0]["LocalMountPath"] == "/mnt/product"
    role_name = config["Role"].rsplit("/", 1)[1]
    roles_using_it = [f["FunctionName"] for f in lambda_client.list_functions()["Functions"] if f["Role"].endswith("/" + role_name)]
    assert roles_using_it == [function_name], roles_using_it
    aliases = lambda_client.list_aliases(FunctionName=function_name)["Aliases"]
    assert [a["Name"] for a in aliases] == ["live"] and aliases[0]["FunctionVersion"] != "$LATEST"
    done.append(f"function {function_name}: own role, {len(config['VpcConfig']['SubnetIds'])} private subnets, "
                f"EFS at /mnt/product, alias live -> version {aliases[0]['FunctionVersion']}")

    apigateway = deployment.client("apigateway")
    api_id = _physical_id(service, "AWS::ApiGateway::RestApi")
    routes = {
        (method, resource["path"])
        for resource in apigateway.get_resources(restApiId=api_id)["items"]
        for method in resource.get("resourceMethods", {})
        if method != "OPTIONS"
    }
    assert routes == {("GET", "/product"), ("POST", "/product"), ("GET", "/product/{id}"), ("PUT", "/product/{id}"), ("DELETE", "/product/{id}")}, routes
    done.append(f"API {api_id}: the five /product routes")

    idempotency_table = _physical_id(stateful, "AWS::DynamoDB::Table", "IdempotencyTable")
    done.append(_crud_through_the_handler(deployment, table_name, idempotency_table))
    return done


def _crud_through_the_handler(deployment: Any, table_name: str, idempotency_table: str) -> str:
    """The real handler, in this process, against the deployed table through the emulator endpoint."""
    from devtools.events import rest_event
    from devtools.local_runtime import LocalLambdaContext, reset_runtime_caches

    environment = {
        "AWS_ENDPOINT_URL_DYNAMODB": deployment.endpoint, "AWS_DEFAULT_REGION": deployment.region,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "DYNAMODB_TABLE_NAME": table_name, "IDEMPOTENCY_TABLE_NAME": idempotency_table, "PRIMARY_KEY": "id",
        "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogLocal", "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    with mock.patch.dict(os.environ, environment):
        from product_api import handler

        reset_runtime_caches()

        def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            return handler.lambda_handler(rest_event(method, path, **kwargs), LocalLambdaContext())

        created = call("POST", "/product", body={"name": "Smoke", "price": "1.00", "currency": "EUR"})
        assert created["statusCode"] == 201, created
        product = json.loads(created["body"])
        assert call("GET", f"/product/{product['id']}")["statusCode"] == 200
        updated = call("PUT", f"/product/{product['id']}", body={"name": "Smoke 2", "price": "2.00", "currency": "EUR"},
                       headers={"If-Match": '"1"'})
        assert updated["statusCode"] == 200, updated
        assert call("DELETE", f"/product/{product['id']}")["statusCode"] == 204
        assert call("GET", f"/product/{product['id']}")["statusCode"] == 404
        reset_runtime_caches()
    return f"handler against table {table_name}: create 201, get 200, update 200, delete 204, get 404"


def termination_protection(deployment: Any) -> dict[str, bool]:
    """Stack name -> whether it is termination protected (read before destroying)."""
    stacks = deployment.client("cloudformation").describe_stacks()["Stacks"]
    return {s["StackName"]: bool(s.get("EnableTerminationProtection")) for s in stacks if s["StackName"].startswith(f"{deployment.stage}-")}


def stateful_resources_survive(deployment: Any, protected: dict[str, bool]) -> list[str]:
    """After `cdk destroy`: unprotected stacks are gone; a protected stack (and those it protects) stays;
    the retained table and file system are there either way."""
    cloudformation = deployment.client("cloudformation")
    live = {s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"}
    names = [f"{deployment.stage}-{s}" for s in ("Service", "Stateful", "Network")]
    gone = [name for name in names if name not in live]
    assert f"{deployment.stage}-Service" in gone, live
    if protected.get(f"{deployment.stage}-Stateful"):
        assert f"{deployment.stage}-Stateful" in live, "a termination-protected stack was deleted"
    else:
        assert len(gone) == 3, live
    tables = deployment.client("dynamodb").list_tables()["TableNames"]
    file_systems = deployment.client("efs").describe_file_systems()["FileSystems"]
    product_tables = [t for t in tables if t.startswith("product")]
    assert product_tables, tables
    assert file_systems, "the file system was deleted"
    kept = [name for name in names if name in live]
    return [f"stacks destroyed: {', '.join(gone)}" + (f"; kept: {', '.join(kept)} (destroy stops at termination protection)" if kept else ""),
            f"retained after destroy: tables {', '.join(sorted(tables))}; {len(file_systems)} EFS file system(s)"]

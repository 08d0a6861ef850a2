"""What a stage deployed to the local emulator looks like, read back from the emulator's APIs.

``deployed_state`` and ``destroyed_state`` return plain data (JSON-serializable) read from the emulator;
``smoke_checks`` turns it into one line per check and fails on anything wrong. tests/test_deploy_local.py
(and tests/test_deploy_local_groups.py for a stage with function groups) asserts on the same state,
not on the printed lines.

Each takes the ``ServiceDefinition`` that was deployed (default: the catalog's): a function group is a
stack of its own (``<stage>-<Group>Functions``) and its routes a nested stack of ``<stage>-Service``,
so what to read and what to expect follow from the declarations. Stacks are found by the deployment's
``stack_name(id)`` and ``stack_name_prefix`` (``dev-<id>`` as the CDK names them; the package's deploy
may choose another prefix, or nest them all in one stage stack).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

from services.product_catalog.definition import DEFINITION
from stacks.declared import pascal
from stacks.service_definition import ServiceDefinition

NESTED_STACK = "AWS::CloudFormation::Stack"


def group_stacks(definition: ServiceDefinition) -> list[str]:
    """The stacks of the definition's function groups, by their names under the stage (``Bench0Functions``)."""
    return [f"{pascal(group)}Functions" for group in definition.groups]


def _stack_resources(deployment: Any, stack: str) -> dict[str, dict[str, str]]:
    pages = deployment.client("cloudformation").get_paginator("list_stack_resources").paginate(
        StackName=stack if stack.startswith(deployment.stack_name_prefix) else deployment.stack_name(stack)
    )
    # moto lists each resource it skipped (AWS::CDK::Metadata, types it has no model for) with no id or type.
    return {r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r["PhysicalResourceId"]}
            for page in pages for r in page["StackResourceSummaries"] if r["ResourceType"]}


def _of_type(resources: dict[str, dict[str, str]], resource_type: str) -> dict[str, str]:
    return {lid: r["id"] for lid, r in resources.items() if r["type"] == resource_type}


def stack_state(deployment: Any) -> dict[str, Any]:
    """The stage's top-level stacks in the order they were created, and the nested stacks under them
    (by ``ParentId``), each with its logical id in its parent, tags and resources."""
    cloudformation = deployment.client("cloudformation")
    stacks = [s for page in cloudformation.get_paginator("describe_stacks").paginate() for s in page["Stacks"]
              if s["StackName"].startswith(deployment.stack_name_prefix)]
    by_id = {s["StackId"]: s for s in stacks}
    nested: dict[str, dict[str, Any]] = {}
    for stack in (s for s in stacks if s.get("ParentId")):
        parent = by_id[stack["ParentId"]]
        # CloudFormation's physical id of a nested stack resource is the stack's id; moto's its name.
        (logical_id,) = [lid for lid, r in _stack_resources(deployment, parent["StackName"]).items()
                         if r["type"] == NESTED_STACK and r["id"] in (stack["StackId"], stack["StackName"])]
        resources = _stack_resources(deployment, stack["StackName"])
        nested[stack["StackName"]] = {
            "parent": parent["StackName"], "root": by_id[stack["RootId"]]["StackName"], "logical_id": logical_id,
            "status": stack["StackStatus"], "tags": {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])},
            "resource_types": sorted({r["type"] for r in resources.values()}), "resources": len(resources),
        }
    top_level = sorted((s for s in stacks if not s.get("ParentId")), key=lambda s: s["CreationTime"])
    return {
        "stacks": {s["StackName"]: s["StackStatus"] for s in top_level},
        "creation_order": [s["StackName"] for s in top_level],
        "nested_stacks": nested,
    }


def deployed_state(deployment: Any, definition: ServiceDefinition = DEFINITION) -> dict[str, Any]:
    """Stacks, tables, functions (configuration, aliases, who shares their role, their stack) and API routes, as deployed."""
    stateful = _stack_resources(deployment, "Stateful")
    function_stacks = {deployment.stack_name(name): _stack_resources(deployment, name) for name in ["Service", *group_stacks(definition)]}
    # Looked up by type below (functions, queues, topics, the API): their logical ids come from names
    # declared once per stage, so merging the stacks' resources loses none of them.
    service = {lid: r for resources in function_stacks.values() for lid, r in resources.items()}
    dynamodb, lambda_client = deployment.client("dynamodb"), deployment.client("lambda")
    tables = {}
    for logical_id, name in _of_type(stateful, "AWS::DynamoDB::Table").items():
        table = dynamodb.describe_table(TableName=name)["Table"]
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        tables[logical_id] = {
            "name": name,
            "key_schema": table["KeySchema"],
            "point_in_time_recovery": backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        }
    all_functions = [f for page in lambda_client.get_paginator("list_functions").paginate() for f in page["Functions"]]
    functions = {}
    for logical_id, name in _of_type(service, "AWS::Lambda::Function").items():
        config = lambda_client.get_function_configuration(FunctionName=name)
        functions[logical_id] = {
            "name": name,
            "stack": next(stack for stack, resources in function_stacks.items() if logical_id in resources),
            "runtime": config["Runtime"],
            "architectures": config.get("Architectures"),
            "subnets": config.get("VpcConfig", {}).get("SubnetIds", []),
            "security_groups": config.get("VpcConfig", {}).get("SecurityGroupIds", []),
            "file_systems": config.get("FileSystemConfigs", []),
            "environment": config.get("Environment", {}).get("Variables", {}),
            "role_shared_with": sorted(
                f["FunctionName"] for f in all_functions if f["Role"] == config["Role"] and f["FunctionName"] != name
            ),
            "aliases": {a["Name"]: a["FunctionVersion"] for a in lambda_client.list_aliases(FunctionName=name)["Aliases"]},
        }
    (api_id,) = _of_type(service, "AWS::ApiGateway::RestApi").values()
    routes = sorted(
        [method, resource["path"]]
        for resource in _api_resources(deployment, api_id)
        for method in resource.get("resourceMethods", {})
        if method != "OPTIONS"
    )
    return {
        "stage": deployment.stage,
        "stack_name_prefix": deployment.stack_name_prefix,
        **stack_state(deployment),
        "tables": tables,
        "functions": functions,
        "api_id": api_id,
        "api_routes": routes,
        "service_resource_types": sorted({r["type"] for r in function_stacks[deployment.stack_name("Service")].values()}),
        **messaging_state(deployment, service, functions),
        "monitoring": monitoring_state(deployment, definition),
    }


def monitoring_state(deployment: Any, definition: ServiceDefinition = DEFINITION) -> dict[str, Any]:
    """The stage's alarm topic and its subscriptions, each alarm's actions, and the dashboards, as deployed."""
    stage = deployment.stage
    topics = _of_type(_stack_resources(deployment, "Alarms"), "AWS::SNS::Topic")
    sns, cloudwatch = deployment.client("sns"), deployment.client("cloudwatch")
    topic_arn = next(iter(topics.values()), None)
    subscriptions = (
        [{"protocol": s["Protocol"], "endpoint": s["Endpoint"]}
         for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]] if topic_arn else []
    )
    stacks = ["Alarms", "Network", "Stateful", "Service", *group_stacks(definition)]
    alarm_names = {name for stack in stacks for name in _of_type(_stack_resources(deployment, stack), "AWS::CloudWatch::Alarm").values()}
    alarms = {
        alarm["AlarmName"]: {"alarm_actions": alarm.get("AlarmActions", []), "ok_actions": alarm.get("OKActions", [])}
        for page in cloudwatch.get_paginator("describe_alarms").paginate() for alarm in page["MetricAlarms"]
        if alarm["AlarmName"] in alarm_names
    }
    dashboards = sorted(d["DashboardName"] for d in cloudwatch.list_dashboards(DashboardNamePrefix=f"{stage}-")["DashboardEntries"])
    return {"topic_arn": topic_arn, "subscriptions": subscriptions, "alarm_count": len(alarm_names), "alarms": alarms,
            "dashboards": dashboards}


def monitoring_checks(state: dict[str, Any], definition: ServiceDefinition = DEFINITION) -> list[str]:
    """The alarm topic exists with its subscriptions; every alarm tells it on ALARM and OK; each function stack has a dashboard."""
    monitoring, stage = state["monitoring"], state["stage"]
    topic = monitoring["topic_arn"]
    assert topic and monitoring["subscriptions"], monitoring
    assert len(monitoring["alarms"]) == monitoring["alarm_count"] > 0, monitoring["alarm_count"]
    for name, alarm in monitoring["alarms"].items():
        assert alarm == {"alarm_actions": [topic], "ok_actions": [topic]}, (name, alarm)
    expected = sorted({"-".join((stage, definition.name, *((d.group,) if d.group else ()))) for d in definition.functions}
                      | {f"{stage}-{definition.name}"})
    assert monitoring["dashboards"] == expected, monitoring["dashboards"]
    told = ", ".join(f"{s['protocol']} {s['endpoint']}" for s in monitoring["subscriptions"])
    return [f"alarm topic {topic.rsplit(':', 1)[1]}: subscribed {told}",
            f"alarms: all {monitoring['alarm_count']} tell the topic on ALARM and OK",
            f"dashboards: {', '.join(monitoring['dashboards'])}"]


def _api_resources(deployment: Any, api_id: str) -> list[dict[str, Any]]:
    pages = deployment.client("apigateway").get_paginator("get_resources").paginate(restApiId=api_id, PaginationConfig={"PageSize": 500})
    return [item for page in pages for item in page["items"]]


def messaging_state(deployment: Any, service: dict[str, dict[str, str]], functions: dict[str, Any]) -> dict[str, Any]:
    """Queues (attributes, redrive, policy, key), mappings, topics (key) and subscriptions, schedules, async configs,
    and the emulator's KMS keys."""
    sqs, lambda_client, sns = deployment.client("sqs"), deployment.client("lambda"), deployment.client("sns")
    queues = {}
    for logical_id, url in _of_type(service, "AWS::SQS::Queue").items():
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        queues[logical_id] = {
            "arn": attributes["QueueArn"],
            "visibility_timeout": int(attributes.get("VisibilityTimeout", 0)),
            "redrive": json.loads(attributes["RedrivePolicy"]) if "RedrivePolicy" in attributes else None,
            "policy": json.loads(attributes["Policy"]) if "Policy" in attributes else None,
            "kms_key": attributes.get("KmsMasterKeyId"),
            "sqs_managed_sse": attributes.get("SqsManagedSseEnabled"),
        }
    mappings = [
        {k: m.get(k) for k in ("FunctionArn", "EventSourceArn", "BatchSize", "FunctionResponseTypes", "MaximumRetryAttempts",
                               "BisectBatchOnFunctionError", "DestinationConfig")}
        for m in lambda_client.list_event_source_mappings()["EventSourceMappings"]
    ]
    topics = {}
    for logical_id, arn in _of_type(service, "AWS::SNS::Topic").items():
        subscriptions = []
        for subscription in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]:
            attributes = sns.get_subscription_attributes(SubscriptionArn=subscription["SubscriptionArn"])["Attributes"]
            subscriptions.append({
                "endpoint": subscription["Endpoint"], "protocol": subscription["Protocol"],
                "raw_message_delivery": attributes.get("RawMessageDelivery"),
                "filter_policy": json.loads(attributes["FilterPolicy"]) if attributes.get("FilterPolicy") else None,
            })
        kms_key = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("KmsMasterKeyId")
        topics[logical_id] = {"arn": arn, "subscriptions": subscriptions, "kms_key": kms_key}
    scheduler = deployment.client("scheduler")
    schedules = {}
    for summary in scheduler.list_schedules()["Schedules"]:
        schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
        schedules[summary["Name"]] = {
            "expression": schedule["ScheduleExpression"], "state": schedule["State"],
            "target": schedule["Target"]["Arn"], "retry_policy": schedule["Target"].get("RetryPolicy"),
            "dead_letter": schedule["Target"].get("DeadLetterConfig", {}).get("Arn"),
        }
    async_configs = {}
    for logical_id, function in functions.items():
        configs = lambda_client.list_function_event_invoke_configs(FunctionName=function["name"]).get("FunctionEventInvokeConfigs", [])
        if configs:
            async_configs[logical_id] = [
                {k: c.get(k) for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")} for c in configs
            ]
    kms = deployment.client("kms")
    keys = [key["KeyArn"] for page in kms.get_paginator("list_keys").paginate() for key in page["Keys"]]
    return {"queues": queues, "mappings": mappings, "topics": topics, "schedules": schedules, "async_configs": async_configs,
            "kms_keys": keys}


def _by_prefix(items: dict[str, Any], prefix: str, *, excluding: str = "Hook") -> dict[str, Any]:
    """The one item whose logical id starts with ``prefix`` (and is not a hook, unless asked for)."""
    (found,) = [
        value for key, value in items.items()
        if key.startswith(prefix) and (excluding not in key or excluding in prefix)
    ]
    return found


def exercise_handlers(deployment: Any, state: dict[str, Any]) -> dict[str, Any]:
    """Run the real product handler against the deployed tables, and the pre-traffic hook against it.

    The emulator cannot run Lambda code (that needs Docker), so both run in this process with the
    environment the deployed functions were given, talking to the emulator's endpoint.
    """
    product = _by_prefix(state["functions"], "ProductFunction")
    hook = _by_prefix(state["functions"], "ProductFunctionPreTrafficHook")
    environment = {
        **{k: v for k, v in product["environment"].items() if k.endswith(("_TABLE_NAME", "_TABLE_KEY"))},
        "AWS_ENDPOINT_URL_DYNAMODB": deployment.endpoint, "AWS_DEFAULT_REGION": deployment.region,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "ProductCatalogLocal", "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }
    with mock.patch.dict(os.environ, environment):
        from product_api import handler

        from devtools.local.events import rest_event
        from devtools.local.runtime import LocalLambdaContext, reset_runtime_caches

        reset_runtime_caches()

        def call(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
            return handler.lambda_handler(rest_event(method, path, **kwargs), LocalLambdaContext())

        created = call("POST", "/product", body={"name": "Smoke", "price": "1.00", "currency": "EUR"})
        product_id = json.loads(created["body"]).get("id", "missing")
        statuses = [created["statusCode"], call("GET", f"/product/{product_id}")["statusCode"]]
        statuses.append(call("PUT", f"/product/{product_id}", body={"name": "Smoke 2", "price": "2.00", "currency": "EUR"},
                             headers={"If-Match": '"1"'})["statusCode"])
        statuses += [call("DELETE", f"/product/{product_id}")["statusCode"], call("GET", f"/product/{product_id}")["statusCode"]]
        hook_run = _run_traffic_hook(hook["environment"], handler.lambda_handler)
        reset_runtime_caches()
    return {"crud_statuses": statuses, "traffic_hook": hook_run}


def exercise_grouped_route(deployment: Any, state: dict[str, Any], definition: ServiceDefinition = DEFINITION) -> dict[str, Any]:
    """The first route of the first grouped API function, followed from the deployed API to its handler.

    The route's method is read from API Gateway (its resource and method were created by a nested
    stack of the service stack), its integration names the alias it invokes, and that function's
    handler and environment come from Lambda's configuration of the alias, as deployed by the group's
    stack. The handler then runs in this process (the emulator runs no Lambda code) with that
    environment, given the event API Gateway would send for the route (and, for the product API's code,
    a read of the table it was granted). Empty without groups.
    """
    grouped = [(declaration, route) for declaration in definition.functions if declaration.group
               for route in declaration.api_routes]
    if not grouped:
        return {}
    declaration, route = grouped[0]
    apigateway, lambda_client = deployment.client("apigateway"), deployment.client("lambda")
    (resource,) = [r for r in _api_resources(deployment, state["api_id"]) if r["path"] == route.path]
    uri = apigateway.get_integration(restApiId=state["api_id"], resourceId=resource["id"], httpMethod=route.method)["uri"]
    # arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>:<alias>/invocations
    target = uri.split("/functions/", 1)[1].removesuffix("/invocations")
    name, _, alias = target.split(":function:", 1)[1].partition(":")
    config = lambda_client.get_function_configuration(FunctionName=name, Qualifier=alias)
    owner = next((f["stack"] for f in state["functions"].values() if f["name"] == name), None)
    environment = config.get("Environment", {}).get("Variables", {})
    answers = _run_handler(deployment, config["Handler"], environment, route, declaration)
    return {"grouped_route": {
        "method": route.method, "path": route.path, "declared_by": declaration.name, "group": declaration.group,
        "integration": target, "function": name, "alias": alias, "version": config.get("Version"), "stack": owner,
        "handler": config["Handler"], "environment": environment, **answers,
    }}


def _run_handler(deployment: Any, dotted: str, environment: dict[str, str], route: Any, declaration: Any) -> dict[str, Any]:
    from devtools.local.events import rest_event
    from devtools.local.runtime import LocalLambdaContext, reset_runtime_caches
    from devtools.local.system import handler_of

    # What Lambda's runtime adds to a function's own variables, pointed at the emulator; metrics off
    # (no CloudWatch agent to flush to).
    runtime = {
        "AWS_ENDPOINT_URL": deployment.endpoint, "AWS_DEFAULT_REGION": deployment.region, "AWS_REGION": deployment.region,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "POWERTOOLS_METRICS_DISABLED": "true",
    }
    answers: dict[str, Any] = {}
    with mock.patch.dict(os.environ, {**environment, **runtime}):
        reset_runtime_caches()
        handler = handler_of(dotted)
        requests = {"route": (route.method, route.path, None)}
        if declaration.package == "product_api" and "product" in declaration.tables:
            # Its declared route reads nothing; its code also serves the catalog's GET /product, which
            # finds the table only through the table name its deployed environment gives it.
            requests["table_read"] = ("GET", "/product", {"limit": "1"})
        for label, (method, path, query) in requests.items():
            event = rest_event(method, path, resources=(route.path, path), query=query)
            answer = handler(event, LocalLambdaContext())
            answers[label] = {
                "request": f"{method} {path}", "request_id": event["requestContext"]["requestId"],
                "status": answer["statusCode"], "body": json.loads(answer.get("body") or "null"),
            }
        reset_runtime_caches()
    return answers


def _run_traffic_hook(hook_environment: dict[str, str], target_handler: Any) -> dict[str, Any]:
    """The deployed hook's code and environment; Lambda invokes the target's handler, CodeDeploy records the report."""
    from traffic_hook import handler as hook

    from devtools.local.runtime import LocalLambdaContext

    invoked, reports = [], []

    class LocalLambda:
        def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
            invoked.append(FunctionName)
            answer = target_handler(json.loads(Payload), LocalLambdaContext())
            return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(answer).encode())}

    class LocalCodeDeploy:
        def put_lifecycle_event_hook_execution_status(self, **report: str) -> None:
            reports.append(report)

    clients = {"lambda": LocalLambda(), "codedeploy": LocalCodeDeploy()}
    with mock.patch.dict(os.environ, hook_environment), mock.patch.object(hook, "client", clients.__getitem__):
        hook.lambda_handler({"DeploymentId": "d-LOCAL", "LifecycleEventHookExecutionId": "local-hook"}, None)
    return {"invoked": invoked, "reports": reports}


def smoke_checks(state: dict[str, Any], definition: ServiceDefinition = DEFINITION, *, stack_order: bool = True) -> list[str]:
    """One line per check of a deployed state; raises AssertionError on the first thing wrong.

    :param stack_order: check the top-level stacks' order and the group stacks (default); off for a stage
        deployed as one stack whose members are nested stacks.
    """
    done = group_checks(state, definition) if stack_order else []
    table = _by_prefix(state["tables"], "ProductTable")
    assert table["key_schema"] == [{"AttributeName": "id", "KeyType": "HASH"}], table
    assert table["point_in_time_recovery"] == "ENABLED", table
    done.append(f"table {table['name']}: key id (S), point-in-time recovery on")
    # A function's logical id is its declaration's construct id and CDK's 8-character hash.
    declared = {d.construct_id: d for d in definition.functions}
    grouped: dict[str, int] = {}
    for logical_id, function in sorted(state["functions"].items()):
        assert not function["role_shared_with"], (logical_id, function["role_shared_with"])
        assert function["runtime"] == "python3.13" and function["architectures"] == ["arm64"], function
        if "Hook" not in logical_id:
            declaration = declared[logical_id[:-8]]
            mounts = [m["LocalMountPath"] for m in function["file_systems"]]
            expected_mounts = [declaration.file_system.mount_path] if declaration.file_system else []
            assert bool(function["subnets"]) == declaration.in_vpc and mounts == expected_mounts, function
            (version,) = function["aliases"].values()
            assert list(function["aliases"]) == ["live"] and version != "$LATEST", function["aliases"]
            if declaration.group:  # one line per group stack: a group holds dozens
                grouped[function["stack"]] = grouped.get(function["stack"], 0) + 1
                continue
            done.append(f"function {function['name']}: own role, {len(function['subnets'])} private subnets, "
                        f"mounts {mounts or 'nothing'}, alias live -> version {version}")
        else:
            assert not function["subnets"], function
            done.append(f"hook {function['name']}: own role, checks {function['environment']['TARGET_VERSION_ARN']}")
    done += [f"{stack}: {count} functions, each with its own role and mounts as declared, alias live -> a published version"
             for stack, count in sorted(grouped.items())]
    done += messaging_checks(state)
    done += monitoring_checks(state, definition)
    expected_routes = sorted([r.method, r.path] for d in definition.functions for r in d.api_routes)
    assert state["api_routes"] == expected_routes, state["api_routes"]
    done.append(f"API: the {len(expected_routes)} declared routes")
    done += grouped_route_checks(state, definition)
    assert state["crud_statuses"] == [201, 200, 200, 204, 404], state["crud_statuses"]
    done.append("handler against the deployed table: create 201, get 200, update 200, delete 204, get 404")
    hook = state["traffic_hook"]
    assert [r["status"] for r in hook["reports"]] == ["Succeeded"], hook
    done.append(f"pre-traffic hook: invoked {hook['invoked'][0]}, reported Succeeded")
    return done


def group_checks(state: dict[str, Any], definition: ServiceDefinition) -> list[str]:
    """Each group stack deployed before the service stack; each group's routes a nested stack of it."""
    stage, prefix = state["stage"], state["stack_name_prefix"]
    groups = [f"{prefix}{name}" for name in group_stacks(definition)]
    # The alarm stack has no dependency on the network (either may come first), but precedes every
    # stack whose alarms notify it; the rest deploy in their dependency order.
    order = state["creation_order"]
    expected = [f"{prefix}Network", f"{prefix}Stateful", *groups, f"{prefix}Service"]
    assert [name for name in order if not name.endswith("-Alarms")] == expected, order
    if f"{prefix}Alarms" in order:
        assert order.index(f"{prefix}Alarms") < order.index(groups[0] if groups else f"{prefix}Service"), order
    assert set(state["stacks"].values()) == {"CREATE_COMPLETE"}, state["stacks"]
    routed = sorted({d.group for d in definition.functions if d.group and d.api_routes})
    nested = {child["logical_id"].split("Routes", 1)[0]: child for child in state["nested_stacks"].values()}
    assert sorted(nested) == [pascal(group) for group in routed], state["nested_stacks"]
    for child in nested.values():
        assert child["parent"] == child["root"] == f"{prefix}Service" and child["status"] == "CREATE_COMPLETE", child
        assert child["tags"] == {"service": definition.name, "stage": stage}, child
        assert child["resource_types"] == ["AWS::ApiGateway::Method", "AWS::ApiGateway::Resource", "AWS::Lambda::Permission"], child
    grouped = sum(1 for d in definition.functions if d.group)
    in_groups = sum(1 for f in state["functions"].values() if f["stack"] in groups)
    assert in_groups == grouped, (in_groups, grouped)
    done = [f"stacks created in order: {', '.join(order)}"]
    if groups:
        resources = sum(child["resources"] for child in nested.values())
        done.append(f"{grouped} functions in {len(groups)} group stacks; their routes in {len(nested)} nested stacks "
                    f"of {prefix}Service ({resources} resources)")
    return done


def grouped_route_checks(state: dict[str, Any], definition: ServiceDefinition) -> list[str]:
    """The grouped route on the deployed API invokes its group's function, whose handler answered."""
    if "grouped_route" not in state:
        assert not any(d.group and d.api_routes for d in definition.functions), "a grouped route was not exercised"
        return []
    grouped = state["grouped_route"]
    assert grouped["stack"] == f"{state['stack_name_prefix']}{pascal(grouped['group'])}Functions", grouped
    assert grouped["alias"] == "live" and grouped["version"] not in (None, "$LATEST"), grouped
    route = grouped["route"]
    assert route["status"] != 403, route  # API Gateway's answer for a route it does not have
    if route["status"] >= 400:
        # An error in the function's own shape, carrying the event's request id: its handler answered.
        assert route["body"]["error"]["request_id"] == route["request_id"], route
    done = [(f"{grouped['method']} {grouped['path']} on the deployed API -> {grouped['function']}:live "
             f"({grouped['stack']}); its handler {grouped['handler']} answered {route['status']}")]
    if "table_read" in grouped:
        assert grouped["table_read"]["status"] == 200, grouped["table_read"]
        done.append(f"with its deployed environment it read table {grouped['environment']['PRODUCT_TABLE_NAME']}: 200")
    return done


def messaging_checks(state: dict[str, Any]) -> list[str]:
    """The import queue, the change events and the export schedule, as deployed."""
    queues, done = state["queues"], []
    imports = _by_prefix(queues, "ImportsQueue", excluding="DeadLetter")
    dead_letter = _by_prefix(queues, "ImportsQueueDeadLetter")
    assert imports["redrive"] == {"deadLetterTargetArn": dead_letter["arn"], "maxReceiveCount": 5}, imports
    assert imports["visibility_timeout"] == 6 * 30, imports
    done.append(f"imports queue: to its dead-letter queue after 5 receipts, visibility {imports['visibility_timeout']} s")
    for mapping in state["mappings"]:
        assert mapping["FunctionArn"].endswith(":live"), mapping
    sources = sorted(m["EventSourceArn"].split(":")[2] for m in state["mappings"])
    assert sources == ["dynamodb", "sqs"], sources
    done.append("event source mappings (imports queue, product stream) invoke the live aliases")
    (topic,) = state["topics"].values()
    (subscription,) = topic["subscriptions"]
    subscriber = _by_prefix(queues, "ProductEventsExampleSubscriber", excluding="DeadLetter")
    assert subscription["endpoint"] == subscriber["arn"] and subscription["raw_message_delivery"] == "true", subscription
    assert subscription["filter_policy"] == {"event_type": ["ProductCreated", "ProductUpdated", "ProductDeleted"]}, subscription
    admitted = [s for s in subscriber["policy"]["Statement"] if s["Effect"] == "Allow"]
    assert [s["Condition"]["ArnEquals"]["aws:SourceArn"] for s in admitted] == [topic["arn"]], admitted
    done.append("product-events topic: example subscriber with a filter policy; its queue admits only that topic")
    (schedule,) = state["schedules"].values()
    export = _by_prefix(state["functions"], "CatalogExportFunction")
    assert schedule["target"].endswith(f":{export['name']}:live") and schedule["expression"] == "rate(1 day)", schedule
    assert schedule["state"] == "ENABLED" and schedule["dead_letter"], schedule
    (async_config,) = _by_prefix(state["async_configs"], "CatalogExportFunction")
    assert async_config["MaximumRetryAttempts"] == 2 and async_config["DestinationConfig"]["OnFailure"]["Destination"], async_config
    done.append("export: daily schedule on the live alias, async retries 2, on-failure destination")
    done.append(encryption_check(state))
    return done


def encryption_check(state: dict[str, Any]) -> str:
    """Every queue and topic of the function stacks is encrypted with a key that exists (customer-managed keys),
    or every queue with SQS-managed keys and every topic with alias/aws/sns; never a mix."""
    queues, topics = state["queues"].values(), state["topics"].values()
    if any(queue["kms_key"] for queue in queues):
        unkeyed = [q["arn"] for q in queues if q["kms_key"] not in state["kms_keys"]]
        unkeyed += [t["arn"] for t in topics if t["kms_key"] not in state["kms_keys"]]
        assert not unkeyed, unkeyed
        return f"{len(queues)} queues and {len(topics)} topic(s) encrypted with customer-managed keys of the emulator"
    assert all(q["sqs_managed_sse"] == "true" for q in queues), [q for q in queues if q["sqs_managed_sse"] != "true"]
    assert all(t["kms_key"].endswith("alias/aws/sns") for t in topics), list(topics)
    return f"{len(queues)} queues SQS-managed encrypted, {len(topics)} topic(s) with alias/aws/sns"


def termination_protection(deployment: Any) -> dict[str, bool]:
    """Stack name -> whether it is termination protected (read before destroying)."""
    stacks = deployment.client("cloudformation").describe_stacks()["Stacks"]
    return {s["StackName"]: bool(s.get("EnableTerminationProtection")) for s in stacks if s["StackName"].startswith(deployment.stack_name_prefix)}


def destroyed_state(deployment: Any) -> dict[str, Any]:
    """After `cdk destroy`: which of the stage's stacks are left, and which tables and file systems."""
    cloudformation = deployment.client("cloudformation")
    live = sorted(
        s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE" and s["StackName"].startswith(deployment.stack_name_prefix)
    )
    return {
        "live_stacks": live,
        "tables": sorted(deployment.client("dynamodb").list_tables()["TableNames"]),
        "file_systems": len(deployment.client("efs").describe_file_systems()["FileSystems"]),
    }


def destroy_checks(stack_name_prefix: str, protected: dict[str, bool], after: dict[str, Any]) -> list[str]:
    """Unprotected stacks are gone; a protected stack stays; the retained table and file system are there."""
    live = set(after["live_stacks"])
    # Every stack of the stage that existed before destroy, group and nested stacks included.
    names = sorted(protected)
    assert f"{stack_name_prefix}Service" not in live, live
    if protected.get(f"{stack_name_prefix}Stateful"):
        assert f"{stack_name_prefix}Stateful" in live, "a termination-protected stack was deleted"
    else:
        assert not live, live
    assert any(t.startswith("product") for t in after["tables"]), after["tables"]
    assert after["file_systems"], "the file system was deleted"
    gone = [name for name in names if name not in live]
    return [f"stacks destroyed: {', '.join(gone)}" + (f"; kept: {', '.join(sorted(live))} (termination protection)" if live else ""),
            f"retained after destroy: tables {', '.join(after['tables'])}; {after['file_systems']} EFS file system(s)"]


def check_and_remove(
    deployment: Any, definition: ServiceDefinition, record: dict[str, Any], save: Callable[[], None], *,
    remove: Callable[[], object], removing: str, stack_order: bool = True,
) -> None:
    """Read the deployed stage back and check it, remove its stacks with ``remove``, then check what was kept.

    What was read goes into ``record``, saved with ``save`` after each step, so a failed check still
    leaves the state it failed on. Raises AssertionError on the first thing wrong.
    """
    started = time.perf_counter()
    deployed = deployed_state(deployment, definition)
    deployed.update(exercise_handlers(deployment, deployed))
    deployed.update(exercise_grouped_route(deployment, deployed, definition))
    deployment.timings["smoke"] = time.perf_counter() - started
    record["deployed"] = deployed
    save()
    for line in smoke_checks(deployed, definition, stack_order=stack_order):
        print(f"  ok  {line}")
    protected = termination_protection(deployment)
    print(f"{removing}...", flush=True)
    remove()
    record["protected"] = protected
    record["destroyed"] = destroyed_state(deployment)
    save()
    for line in destroy_checks(deployment.stack_name_prefix, protected, record["destroyed"]):
        print(f"  ok  {line}")
    record["timings"] = deployment.timings
    save()
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in deployment.timings.items()))

"""make deploy-local BASE=<rev>: upgrade a stage in place on the local emulator, from a git revision to the working tree.

    python -m devtools.emulator.upgrade --base origin/main [--stage dev] [--state-file upgrade.json]

1. the stage as it was at BASE (a temporary ``git worktree``: its own app.py, cdk.json and runtime
   code, with this venv and node_modules) is bootstrapped and deployed with the CDK CLI to moto;
2. that deployment's product API function, run locally with the handler and environment read back
   from the emulator, creates a product and an import record;
3. the working tree is deployed over it (an update of the same stacks, not a fresh create);
4. what survived is read back from the emulator: both items in the tables (of the same names), every
   declared route on the API, and the new deployment's handler answers for both ids.

Nothing is destroyed: the emulator is in memory and is stopped at the end. This module's top level
imports only the standard library: it is also run as a script (``--handler-calls``) by a child Python
whose import path is a revision's worktree, to run *that* revision's handler code.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PRODUCT_BODY = {"name": "Upgrade survivor", "price": "4.20", "currency": "EUR"}
IMPORT_BODY = {"items": [{"name": "Imported before the upgrade", "price": "1.00", "currency": "EUR"}]}


# --- the revision's worktree ----------------------------------------------------------------------------------------

@contextlib.contextmanager
def worktree_at(ref: str, scratch: Path) -> Iterator[tuple[Path, str, str]]:
    """A detached worktree of ``ref`` that runs on this checkout's venv: (worktree, commit, PYTHONPATH).

    The venv's editable install maps the project's import names to *this* checkout; a shim folder of
    symlinks put first on PYTHONPATH maps them to the worktree's folders instead (as
    devtools/review/release_plan.py does), and the worktree itself comes next for its top-level packages.
    """
    from devtools.synth import ROOT

    found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=ROOT, check=False,
                           capture_output=True, text=True)
    if found.returncode != 0:
        raise ValueError(f"--base {ref}: not a commit of this repository")
    commit = found.stdout.strip()
    worktree = scratch / "upgrade-base"
    subprocess.run(["git", "worktree", "add", "--detach", "--quiet", str(worktree), commit], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        # cdk.json's app is ".venv/bin/python app.py", relative to the worktree; the bundle cache is
        # content-addressed, so sharing it makes the base's bundling as fast as a warm one.
        for shared in (".venv", ".cache"):
            (worktree / shared).symlink_to(ROOT / shared, target_is_directory=True)
        shim = scratch / "imports"
        shim.mkdir()
        package_dirs = tomllib.loads((worktree / "pyproject.toml").read_text()).get("tool", {}).get("setuptools", {})
        for name, folder in package_dirs.get("package-dir", {}).items():
            (shim / name).symlink_to(worktree / folder, target_is_directory=True)
        yield worktree, commit, os.pathsep.join([str(shim), str(worktree)])
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False, capture_output=True)
        shutil.rmtree(worktree, ignore_errors=True)


def revision_deployment(stage: str, region: str, endpoint: str, workdir: Path, worktree: Path, pythonpath: str) -> Any:
    """A LocalDeployment whose CDK CLI runs in ``worktree`` (its cdk.json, its app) with its modules imported."""
    from devtools.emulator.local_deploy import LocalDeployment
    from devtools.synth import ROOT

    class RevisionDeployment(LocalDeployment):
        def env(self) -> dict[str, str]:
            return {**super().env(), "PYTHONPATH": pythonpath}

        def cdk(self, step: str, *args: str) -> str:
            started = time.perf_counter()
            result = subprocess.run([str(ROOT / "node_modules" / ".bin" / "cdk"), *args], check=False, cwd=worktree,
                                    env=self.env(), capture_output=True, text=True, timeout=900)
            self.timings[step] = time.perf_counter() - started
            if result.returncode != 0:
                raise RuntimeError(f"cdk {' '.join(args)} in {worktree} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
            return result.stdout + result.stderr

    return RevisionDeployment(stage, region, endpoint, workdir)


# --- reading the stage back from the emulator -----------------------------------------------------------------------

def read_stage(deployment: Any) -> dict[str, Any]:
    """Every stack of the stage (nested and group stacks too: they are named after the stage), its resources,
    tables, functions (handler, environment, live alias) and the API's methods, as the emulator has them."""
    cloudformation, lambda_client = deployment.client("cloudformation"), deployment.client("lambda")
    stacks: dict[str, Any] = {}
    for stack in cloudformation.describe_stacks()["Stacks"]:
        if not stack["StackName"].startswith(f"{deployment.stage}-"):
            continue
        summaries = cloudformation.list_stack_resources(StackName=stack["StackName"])["StackResourceSummaries"]
        stacks[stack["StackName"]] = {
            "status": stack["StackStatus"],
            "resources": {r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r.get("PhysicalResourceId")} for r in summaries},
        }
    resources = [(name, logical_id, r) for name, s in stacks.items() for logical_id, r in s["resources"].items()]
    tables = {f"{name}/{lid}": r["id"] for name, lid, r in resources if r["type"] == "AWS::DynamoDB::Table"}
    functions = {}
    for name, logical_id, r in resources:
        if r["type"] != "AWS::Lambda::Function":
            continue
        config = lambda_client.get_function_configuration(FunctionName=r["id"])
        functions[r["id"]] = {
            "stack": name, "logical_id": logical_id, "handler": config.get("Handler"),
            "environment": config.get("Environment", {}).get("Variables", {}),
            "security_groups": sorted(config.get("VpcConfig", {}).get("SecurityGroupIds", [])),
            "code_sha256": config.get("CodeSha256"),
            "versions": [v["Version"] for v in lambda_client.list_versions_by_function(FunctionName=r["id"])["Versions"]
                         if v["Version"] != "$LATEST"],
            "aliases": {a["Name"]: a["FunctionVersion"] for a in lambda_client.list_aliases(FunctionName=r["id"])["Aliases"]},
        }
    return {"stacks": stacks, "tables": tables, "functions": functions,
            "apis": {r["id"]: api_methods(deployment, r["id"]) for _, _, r in resources if r["type"] == "AWS::ApiGateway::RestApi"}}


def api_methods(deployment: Any, api_id: str) -> dict[str, Any]:
    """``"POST /product"`` -> the method's integration, from get_resources and get_method (CORS preflights left out)."""
    apigateway, methods = deployment.client("apigateway"), {}
    for resource in apigateway.get_resources(restApiId=api_id, limit=500)["items"]:
        for method in resource.get("resourceMethods", {}):
            if method == "OPTIONS":
                continue
            found = apigateway.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=method)
            integration = found.get("methodIntegration", {})
            methods[f"{method} {resource['path']}"] = {"integration": integration.get("type"), "uri": integration.get("uri")}
    return methods


def function_serving(state: dict[str, Any], route: str) -> tuple[str, dict[str, Any]]:
    """The deployed function whose alias the route's integration invokes (its name is in the integration URI)."""
    uris = [api[route]["uri"] or "" for api in state["apis"].values() if route in api]
    if len(uris) != 1:
        raise LookupError(f"{route}: on {len(uris)} deployed APIs")
    found = [(name, f) for name, f in state["functions"].items() if f":function:{name}:" in uris[0] or f":function:{name}/" in uris[0]]
    if len(found) != 1:
        raise LookupError(f"{route}: its integration {uris[0]!r} names {len(found)} deployed functions")
    return found[0]


def item_in_table(deployment: Any, table: str, key: str, item_id: str) -> bool:
    return "Item" in deployment.client("dynamodb").get_item(TableName=table, Key={key: {"S": item_id}}, ConsistentRead=True)


# --- the deployed handler, run locally -------------------------------------------------------------------------------

def call_deployed_handler(deployment: Any, state: dict[str, Any], route: str, calls: list[dict[str, Any]],
                          pythonpath: str | None, scratch: Path) -> list[dict[str, Any]]:
    """Run the handler of the function serving ``route`` on ``calls``, with that function's deployed
    environment, in a child Python that imports the deployed revision's code (``pythonpath``; None: this
    checkout). A child, because a process can hold only one revision of the runtime packages."""
    name, function = function_serving(state, route)
    (api_id,) = [api_id for api_id, methods in state["apis"].items() if route in methods]
    request = {
        "handler": function["handler"], "function_name": name,
        "resources": sorted({r.split(" ", 1)[1] for r in state["apis"][api_id]}),
        "calls": calls,
    }
    request_file, answers_file = scratch / f"calls-{uuid.uuid4().hex[:8]}.json", scratch / f"answers-{uuid.uuid4().hex[:8]}.json"
    request_file.write_text(json.dumps(request))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_", "PYTHONPATH"))}
    env.update(function["environment"])
    env.update({
        # Lambda would give the function these; here they point its SDK clients at the emulator.
        "AWS_ENDPOINT_URL": deployment.endpoint, "AWS_REGION": deployment.region, "AWS_DEFAULT_REGION": deployment.region,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_LAMBDA_FUNCTION_NAME": name,
        # No CloudWatch or X-Ray to send to; the handler's own log lines would only bury the report.
        "POWERTOOLS_METRICS_DISABLED": "true", "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_LOG_LEVEL": "ERROR",
    })
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    # -P: the script's own folder (devtools/emulator) must not shadow the revision's modules.
    result = subprocess.run([sys.executable, "-P", str(Path(__file__).resolve()), "--handler-calls", str(request_file),
                             "--answers", str(answers_file)], check=False, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0 or not answers_file.exists():
        raise RuntimeError(f"the deployed handler {function['handler']} of {name} could not be run:\n{result.stderr[-4000:]}")
    answers = [{**answer, "function": name} for answer in json.loads(answers_file.read_text())]
    if any(answer["status"] >= 500 for answer in answers):
        # A 500's body names only the request id: the cause is in the handler's log (stdout, as in Lambda).
        answers[-1]["handler_log"] = result.stdout[-3000:]
    return answers


def _run_handler_calls(request_file: Path, answers_file: Path) -> int:
    """In the child: import the deployed handler and answer each call with it (statuses and bodies)."""
    request = json.loads(request_file.read_text())
    from catalog_constructs.rest_events import rest_event

    module_name, _, attribute = request["handler"].rpartition(".")
    handler = getattr(importlib.import_module(module_name), attribute)
    answers = []
    for call in request["calls"]:
        event = rest_event(call["method"], call["path"], resources=tuple(request["resources"]), body=call.get("body"),
                           request_id=str(uuid.uuid4()))
        answer = handler(event, _LambdaContext(request["function_name"]))
        body = answer.get("body") or ""
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body
        answers.append({"call": f"{call['method']} {call['path']}", "status": answer["statusCode"], "body": parsed})
    answers_file.write_text(json.dumps(answers))
    return 0


class _LambdaContext:
    """What the handler and Powertools read of the Lambda context, named after the deployed function."""

    memory_limit_in_mb = 512

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:{os.environ.get('AWS_REGION')}:123456789012:function:{function_name}:live"
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


# --- what the update did, and whether the data and API survived ----------------------------------------------------

def update_effects(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Per stack: resources kept (same physical id), replaced (new physical id), added and removed."""
    effects = {}
    for name in sorted({*before["stacks"], *after["stacks"]}):
        old = before["stacks"].get(name, {}).get("resources", {})
        new = after["stacks"].get(name, {}).get("resources", {})
        effects[name] = {
            "status": after["stacks"].get(name, {}).get("status", "gone"),
            "kept": sum(1 for lid in old.keys() & new.keys() if old[lid]["id"] == new[lid]["id"]),
            "replaced": sorted(f"{lid} ({new[lid]['type']})" for lid in old.keys() & new.keys() if old[lid]["id"] != new[lid]["id"]),
            "added": sorted(f"{lid} ({new[lid]['type']})" for lid in new.keys() - old.keys()),
            "removed": sorted(f"{lid} ({old[lid]['type']})" for lid in old.keys() - new.keys()),
        }
    return effects


def template_changes(old_assembly: Path, new_assembly: Path) -> dict[str, Any]:
    """Per stack of the two cloud assemblies: resources added, removed and modified, and for each modified
    one what the emulator does with it on an update (its models are looked up in this, the emulator's,
    process): ``moto`` (moto's model updates it), ``adapter`` (the adapter's model takes the update: today
    that records the new properties and changes nothing emulated behind them), ``not updated`` (the model
    has no update, as for tables, API methods and log groups: moto leaves the object as it was created and
    drops it from the stack, whose next reference to it fails) or ``not modelled`` (moto never created it)."""
    from moto.cloudformation import parsing

    from devtools.synth import read_assembly

    def moto_can(resource_type: str) -> str:
        model = parsing.resource_class_from_type(resource_type)
        if model is None:
            return "not modelled"
        update = model.update_from_cloudformation_json
        if hasattr(update, "__isabstractmethod__"):
            return "not updated"
        return "adapter" if update.__module__ == "devtools.emulator.moto_adapter" else "moto"

    old, new = read_assembly(old_assembly), read_assembly(new_assembly)
    changes = {}
    for name in sorted({*old, *new}):
        before, after = old.get(name, {}).get("Resources", {}), new.get(name, {}).get("Resources", {})
        modified = {}
        for lid in sorted(before.keys() & after.keys()):
            if before[lid] != after[lid]:
                old_props, new_props = before[lid].get("Properties", {}), after[lid].get("Properties", {})
                modified[lid] = {"type": after[lid]["Type"], "moto": moto_can(after[lid]["Type"]),
                                 "properties": sorted(k for k in {*old_props, *new_props} if old_props.get(k) != new_props.get(k))}
        changes[name] = {"added": sorted(after.keys() - before.keys()), "removed": sorted(before.keys() - after.keys()),
                         "modified": modified}
    return changes


def unreleased_functions(record: dict[str, Any]) -> list[str]:
    """Functions the update changed that published no new version in the emulator, so their alias still serves
    the old one. moto's update creates every added resource (the new ``AWS::Lambda::Version``) before it
    modifies existing ones (the function), and publishes nothing while $LATEST is unchanged: the new version
    CloudFormation would publish after updating the function is, in moto, the old version again. $LATEST
    has the new code and configuration: the handlers run with its environment."""
    modified = {(stack.replace("/", "-"), lid) for stack, change in record["template_changes"].items()
                for lid, m in change["modified"].items() if m["type"] == "AWS::Lambda::Function"}
    before = record["before"]["functions"]
    return sorted(
        f"{f['logical_id']}: updated, but versions {f['versions']} and aliases {f['aliases']} as before the update"
        for name, f in record["after"]["functions"].items()
        if (f["stack"], f["logical_id"]) in modified and name in before
        and f["aliases"] and f["versions"] == before[name]["versions"] and f["aliases"] == before[name]["aliases"]
    )


def upgrade_failures(record: dict[str, Any], declared_routes: list[str]) -> list[str]:
    """What is wrong after the update, one line each (none: the upgrade kept everything)."""
    failures = []
    before, after = record["before"], record["after"]
    for stack, effect in record["update"].items():
        if effect["status"] not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
            failures.append(f"stack {stack}: {effect['status']} after the update")
    for table, name in before["tables"].items():
        if after["tables"].get(table) != name:
            failures.append(f"table {table} was {name}, is {after['tables'].get(table) or 'gone'} after the update")
    for kind, found in record["survived"].items():
        if not found["in_table"]:
            failures.append(f"the {kind} {found['id']} created before the update is not in {found['table']} after it")
    methods = {m for api in after["apis"].values() for m in api}
    failures += [f"route {route} is not on the deployed API after the update" for route in declared_routes if route not in methods]
    for answer, expected in zip(record["answers_after"], record["expected_after"], strict=True):
        body_id = answer["body"].get("id") if isinstance(answer["body"], dict) else None
        if answer["status"] != 200 or body_id != expected:
            failures.append(f"{answer['call']} answered {answer['status']} (id {body_id}) with the new deployment, expected 200 (id {expected})")
    return failures


def declared_routes() -> list[str]:
    from services.product_catalog.definition import DEFINITION

    return sorted(f"{r.method} {r.path}" for d in DEFINITION.functions for r in d.api_routes)


def _mapped_sources_wait_for_a_local_runner() -> None:
    """moto delivers a message sent to a queue that has an event source mapping to the mapped function at
    once, in the SendMessage request; without Docker that invocation fails and so does the send (the import
    API answers 500). Lambda's poller runs apart from the sender: here the mapping stays listed and the
    messages wait in the queue, as nothing polls it. (A stream's failed delivery already leaves its records.)
    Installed by this module only, in the emulator's process; devtools/emulator/moto_adapter.py is its home."""
    from moto.awslambda.models import LambdaBackend
    from moto.sqs.models import sqs_backends

    original = LambdaBackend.create_event_source_mapping
    if getattr(original, "waits_for_a_local_runner", False):
        return

    def create(self: Any, spec: dict[str, Any]) -> Any:
        mapping = original(self, spec)
        for queue in sqs_backends[self.account_id][self.region_name].queues.values():
            for key in [key for key, found in queue.lambda_event_source_mappings.items() if found is mapping]:
                del queue.lambda_event_source_mappings[key]
        return mapping

    create.waits_for_a_local_runner = True  # type: ignore[attr-defined]
    LambdaBackend.create_event_source_mapping = create


def _previous_values_include_defaults() -> None:
    """The CLI updates a stack with ``UsePreviousValue`` for each parameter it had (CDK's BootstrapVersion);
    moto looks the previous value up among the parameters *passed* at create, so one that took its default
    fails the update with a KeyError. CloudFormation's previous value of such a parameter is its default:
    leaving it out of the update gives exactly that."""
    from moto.cloudformation.models import CloudFormationBackend

    original = CloudFormationBackend._resolve_update_parameters
    if getattr(original, "previous_defaults", False):
        return

    def resolve(self: Any, instance: Any, incoming_params: list[dict[str, Any]]) -> dict[str, str]:
        passed = [p for p in incoming_params if not p.get("UsePreviousValue") or p["ParameterKey"] in instance.parameters]
        return original(self, instance, passed)

    resolve.previous_defaults = True  # type: ignore[attr-defined]
    CloudFormationBackend._resolve_update_parameters = resolve


def upgrade_in_place(stage: str, region: str, base: str, record: dict[str, Any]) -> list[str]:
    """Steps 1-4 (module docstring) against a running emulator; fills ``record``, returns the failures."""
    from devtools.emulator.local_deploy import LocalDeployment, start_emulator

    _mapped_sources_wait_for_a_local_runner()
    _previous_values_include_defaults()
    server, endpoint = start_emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="deploy-local-upgrade.") as scratch_dir:
            scratch = Path(scratch_dir)
            print(f"emulator: {endpoint} (moto, in-memory)")
            with worktree_at(base, scratch) as (worktree, commit, pythonpath):
                record["base"].update(commit=commit, worktree=str(worktree))
                print(f"base: {base} ({commit[:12]}) in {worktree}", flush=True)
                (scratch / "base").mkdir()
                old = revision_deployment(stage, region, endpoint, scratch / "base", worktree, pythonpath)
                for step in (old.synth, old.bootstrap, old.deploy):
                    print(f"base {step.__name__}...", flush=True)
                    step()
                record["timings"] = {f"base {k}": v for k, v in old.timings.items()}
                before = record["before"] = read_stage(old)
                started = time.perf_counter()
                created = call_deployed_handler(old, before, "POST /product", [
                    {"method": "POST", "path": "/product", "body": PRODUCT_BODY},
                    {"method": "POST", "path": "/product/imports", "body": IMPORT_BODY},
                ], pythonpath, scratch)
                record["timings"]["base handler"] = time.perf_counter() - started
            record["created"] = created
            ids = [answer["body"].get("id") if isinstance(answer["body"], dict) else None for answer in created]
            if [a["status"] for a in created] != [201, 202] or None in ids:
                return [f"the base deployment's handler could not create the data: {created}"]
            product_id, import_id = ids
            print(f"created with the base handler: product {product_id}, import {import_id}", flush=True)

            (scratch / "head").mkdir()
            new = LocalDeployment(stage, region, endpoint, scratch / "head")
            print("working tree synth...", flush=True)
            new.synth()
            record["template_changes"] = template_changes(old.assembly, new.assembly)
            # moto may fail the update on these where CloudFormation would not: named before it runs, they explain it.
            blocked = [f"{lid} ({m['type']}: {', '.join(m['properties']) or 'its attributes'})"
                       for change in record["template_changes"].values() for lid, m in change["modified"].items()
                       if m["moto"] == "not updated"]
            print("working tree deploy (an update)...", flush=True)
            try:
                new.deploy()
            except RuntimeError as error:
                if not blocked:
                    raise
                cause = " ".join(line.strip() for line in str(error).splitlines() if "rror" in line)
                return [f"the working tree's deploy failed, and moto has no update for {', '.join(blocked)}: {cause}"]
            finally:
                record["timings"].update({f"working tree {k}": v for k, v in new.timings.items()})
            after = record["after"] = read_stage(new)
            record["update"] = update_effects(before, after)
            record["emulator_limits"] = {"unreleased_functions": unreleased_functions(record)}
            _, function = function_serving(after, "GET /product/{id}")
            environment = function["environment"]
            record["survived"] = {
                kind: {"id": item_id, "table": environment[variable],
                       "in_table": item_in_table(new, environment[variable], environment.get(f"{variable.removesuffix('_NAME')}_KEY", "id"), item_id)}
                for kind, item_id, variable in (("product", product_id, "PRODUCT_TABLE_NAME"), ("import record", import_id, "IMPORTS_TABLE_NAME"))
            }
            started = time.perf_counter()
            record["answers_after"] = call_deployed_handler(new, after, "GET /product/{id}", [
                {"method": "GET", "path": f"/product/{product_id}"},
                {"method": "GET", "path": f"/product/imports/{import_id}"},
            ], None, scratch)
            record["timings"]["working tree handler"] = time.perf_counter() - started
            record["expected_after"] = [product_id, import_id]
            record["declared_routes"] = declared_routes()
            return upgrade_failures(record, record["declared_routes"])
    finally:
        server.stop()


def report(record: dict[str, Any], failures: list[str]) -> list[str]:
    lines = [f"upgrade of {record['stage']} from {record['base']['ref']} to the working tree"]
    for stack, effect in record.get("update", {}).items():
        changed = [f"{len(effect[k])} {k}" for k in ("replaced", "added", "removed") if effect[k]]
        lines.append(f"  {stack}: {effect['status']}, {effect['kept']} kept" + (f", {', '.join(changed)}" if changed else ""))
        lines += [f"    replaced: {item}" for item in effect["replaced"]]
    for stack, change in record.get("template_changes", {}).items():
        if not change["modified"]:
            continue
        lines.append(f"  {stack}: {len(change['modified'])} modified resources")
        for outcome, says in (("moto", "updated by moto"), ("adapter", "recorded by the adapter")):
            types: dict[str, int] = {}
            for modified in change["modified"].values():
                if modified["moto"] == outcome:
                    types[modified["type"]] = types.get(modified["type"], 0) + 1
            if types:
                lines.append(f"    {says}: " + ", ".join(f"{count} {t.removeprefix('AWS::')}" for t, count in sorted(types.items())))
        lines += [f"    {m['moto']}: {lid} ({m['type']}: {', '.join(m['properties']) or 'its attributes'})"
                  for lid, m in change["modified"].items() if m["moto"] in ("not updated", "not modelled")]
    unreleased = record.get("emulator_limits", {}).get("unreleased_functions", [])
    if unreleased:
        lines.append("  moto released no new version (it publishes a new AWS::Lambda::Version before updating its function):")
        lines += [f"    {line}" for line in unreleased]
    for kind, found in record.get("survived", {}).items():
        lines.append(f"  {kind} {found['id']}: {'still' if found['in_table'] else 'NOT'} in {found['table']}")
    lines += [f"  new handler: {a['call']} -> {a['status']}" for a in record.get("answers_after", [])]
    if record.get("declared_routes"):
        lines.append(f"  routes checked on the API after the update: {len(record['declared_routes'])}")
    lines += [f"  FAIL {failure}" for failure in failures] or ["  ok: the data, the routes and the handler survived the upgrade"]
    if record.get("timings"):
        lines.append("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in record["timings"].items()))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="the git revision deployed first (e.g. origin/main, the pull request's base)")
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--state-file", type=Path, help="write what was read back from the emulator here (JSON)")
    parser.add_argument("--handler-calls", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--answers", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.handler_calls:
        return _run_handler_calls(args.handler_calls, args.answers)
    if not args.base:
        parser.error("--base is required")
    record: dict[str, Any] = {"stage": args.stage, "base": {"ref": args.base}}
    try:
        failures = upgrade_in_place(args.stage, args.region, args.base, record)
    except Exception as error:
        # The state file still says how far it got (and why it stopped).
        failures = [f"{type(error).__name__}: {error}"]
    record["failures"] = failures
    if args.state_file:
        args.state_file.write_text(json.dumps(record, indent=2, sort_keys=True))
    print("\n".join(report(record, failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

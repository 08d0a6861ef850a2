"""Deploy a package to the local emulator with the CloudFormation API only (no CDK CLI), smoke-test, tear down.

    python -m devtools.package.deploy --stage dev                         # package a fresh synth of dev, then deploy it
    python -m devtools.package.deploy --package dist/dev --stack-name-prefix team-a-dev-
    python -m devtools.package.deploy --functions 2                       # the scaling stage: a group stack, nested routes
    python -m devtools.package.deploy --package dist/dev --stage-template # the stage as one stack (stage.template.json)

What a team without the CDK would do, in the manifest's terms: upload ``artifacts/`` under a key prefix of a
bucket (checking each file's SHA-256 first), then create each stack of ``stacks`` in order, named
``<prefix><id>``, with the stage-wide parameters (bucket, key prefix, stack-name prefix) overridden and
every artifact key left at its default, the manifest's capabilities, tags and termination protection.
Then it reads the stage back as make deploy-local does (devtools/emulator/smoke.py: tables, functions and
aliases, routes, messaging, the handlers run against the deployed tables), deletes the stacks in reverse
order (a termination-protected one stops that, as in AWS) and reads what was retained. ``--stage-template``
creates the one stack of ``stage.template.json`` instead (what a StackSet deploys): its members are nested
stacks, found through its resources. ``--state-file`` writes all of it as JSON (tests/test_package_deploy.py
asserts on it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.package.archive import sha256
from devtools.package.parameters import ARTIFACT_BUCKET, ARTIFACT_KEY_PREFIX, STACK_NAME_PREFIX
from devtools.synth import ROOT

ACCOUNT = "123456789012"  # moto's default account
# A prefix no CDK deploy would choose: the stacks can only find each other through StackNamePrefix.
DEFAULT_STACK_NAME_PREFIX = "pkg-{stage}-"


@dataclass
class PackageDeployment:
    """The package's stacks on an emulator; smoke.py reads them through ``client`` and ``stack_name_prefix``."""

    stage: str
    region: str
    endpoint: str
    package: Path
    stack_name_prefix: str
    bucket: str
    key_prefix: str
    stage_template: bool = False  # one stack of stage.template.json, the stacks nested in it
    timings: dict[str, float] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # stack names in creation order

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.package / "manifest.json").read_text())

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    @property
    def root(self) -> str:
        """The stack of the stage template."""
        return f"{self.stack_name_prefix}Stage"

    def stack_name(self, stack_id: str) -> str:
        """The CloudFormation name of the stage's stack ``stack_id``: ``<prefix><id>``, or the stage stack's member."""
        if not self.stage_template:
            return f"{self.stack_name_prefix}{stack_id}"
        pages = self.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=self.root)
        (name,) = [r["PhysicalResourceId"] for page in pages for r in page["StackResourceSummaries"]
                   if r["LogicalResourceId"] == stack_id]
        return name

    def upload(self) -> list[str]:
        """Every artifact under the key prefix, after checking its SHA-256 against the manifest; the keys."""
        s3 = self.client("s3")
        s3.create_bucket(Bucket=self.bucket, CreateBucketConfiguration={"LocationConstraint": self.region})
        keys = []
        for artifact in self.manifest["artifacts"]:
            data = (self.package / artifact["file"]).read_bytes()
            if sha256(data) != artifact["sha256"]:
                raise RuntimeError(f"{artifact['file']}: its SHA-256 is not the manifest's {artifact['sha256']}")
            key = f"{self.key_prefix}{Path(artifact['file']).name}"
            s3.put_object(Bucket=self.bucket, Key=key, Body=data)
            keys.append(key)
        return keys

    def overrides(self) -> dict[str, str]:
        return {ARTIFACT_BUCKET: self.bucket, ARTIFACT_KEY_PREFIX: self.key_prefix, STACK_NAME_PREFIX: self.stack_name_prefix}

    def _create(self, name: str, body: bytes, parameters: dict[str, Any], capabilities: list[str],
                tags: dict[str, str], protected: bool) -> None:
        cloudformation, s3 = self.client("cloudformation"), self.client("s3")
        # From S3, as `aws cloudformation deploy --s3-bucket` does (the service template is above the inline limit).
        key = f"{self.key_prefix}templates/{sha256(body)}.json"
        s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        overrides = self.overrides()
        cloudformation.create_stack(
            StackName=name, TemplateURL=f"https://{self.bucket}.s3.{self.region}.amazonaws.com/{key}", Capabilities=capabilities,
            Parameters=[{"ParameterKey": k, "ParameterValue": overrides[k]} for k in parameters if k in overrides],
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()], EnableTerminationProtection=protected,
        )
        cloudformation.get_waiter("stack_create_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 600})
        self.created.append(name)

    def create_stacks(self) -> None:
        manifest = self.manifest
        if self.stage_template:
            entry = manifest["stage_template"]
            if "template" not in entry:
                raise RuntimeError(f"the package has no stage template: {entry['omitted']}")
            self._create(self.root, (self.package / entry["template"]).read_bytes(), dict.fromkeys(entry["parameters"]),
                         manifest["stacks"][0]["capabilities"], {}, entry["termination_protection"])
            return
        for stack in manifest["stacks"]:
            self._create(f"{self.stack_name_prefix}{stack['id']}", (self.package / stack["template"]).read_bytes(),
                         stack["parameters"], stack["capabilities"], stack["tags"], stack["termination_protection"])

    def delete_stacks(self) -> None:
        """In reverse order; a termination-protected stack stops the teardown there, as `cdk destroy` does."""
        cloudformation = self.client("cloudformation")
        for name in reversed(self.created):
            described = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
            if described.get("EnableTerminationProtection"):
                print(f"  {name} is termination protected: teardown stops here (as in AWS)")
                return
            cloudformation.delete_stack(StackName=name)
            cloudformation.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 600})

    def timed(self, step: str, action: Any) -> Any:
        started = time.perf_counter()
        try:
            return action()
        finally:
            self.timings[step] = time.perf_counter() - started


def package_stage(stage: str, functions: int | None, workdir: Path, target: Path, assembly: Path | None = None) -> Path:
    """Synthesize the stage (in-process, or bench/scaling_app.py for ``functions``) and package it into ``target``.

    :param assembly: a cloud assembly already synthesized to package instead (default: synthesize afresh).
    """
    from devtools.package.writer import write_package

    if assembly is not None:
        write_package(assembly, stage, target)
        return target
    outdir = workdir / "cdk.out"
    if functions is None:
        from devtools.synth import cdk_context, synthesize

        synthesized = synthesize(outdir, context={**cdk_context(), "stage": stage})
        if synthesized.synth_error:
            raise RuntimeError(f"synth failed: {synthesized.synth_error}")
    else:
        subprocess.run([sys.executable, str(ROOT / "bench" / "scaling_app.py"), str(functions)], check=True, cwd=ROOT,
                       env={**os.environ, "CDK_OUTDIR": str(outdir)}, capture_output=True, timeout=600)
    write_package(outdir, stage, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--package", type=Path, help="a package written by make package (default: package the stage afresh)")
    parser.add_argument("--functions", type=int, help="package the dev stage of bench/scaling_app.py with this many functions")
    parser.add_argument("--assembly", type=Path, help="package the stage of this synthesized cloud assembly (default: synthesize it)")
    parser.add_argument("--package-out", type=Path, help="keep the package made afresh here (default: a temporary directory)")
    parser.add_argument("--stage-template", action="store_true", help="deploy stage.template.json as one stack (what a StackSet deploys)")
    parser.add_argument("--stack-name-prefix", help=f"name the stacks <prefix><id> (default {DEFAULT_STACK_NAME_PREFIX})")
    parser.add_argument("--key-prefix", default="releases/local/", help="key prefix of the artifacts in the bucket")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--state-file", type=Path, help="write what was read back from the emulator here (JSON)")
    args = parser.parse_args(argv)
    if args.package and args.assembly:
        parser.error("--package deploys a package as it is; --assembly packages one: give one of them")
    if args.functions is not None and (args.stage != "dev" or args.package or args.functions < 1):
        parser.error("--functions packages the dev stage of bench/scaling_app.py (no --package) and needs at least 1 function")
    from bench.scaling_app import scaled_definition
    from devtools.emulator import smoke
    from devtools.emulator.server import start_emulator
    from services.product_catalog.definition import DEFINITION

    definition = scaled_definition(args.functions) if args.functions is not None else DEFINITION
    record: dict[str, Any] = {"stage": args.stage, "functions": args.functions}

    def save() -> None:
        if args.state_file:
            args.state_file.write_text(json.dumps(record, indent=2, sort_keys=True))

    if not os.environ.get("MOTO_VERBOSE"):
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per emulator request otherwise
    server, endpoint = start_emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="package-deploy.") as workdir:
            started = time.perf_counter()
            package = args.package or package_stage(args.stage, args.functions, Path(workdir),
                                                    args.package_out or Path(workdir) / "dist" / args.stage, args.assembly)
            record["package"] = {"seconds": time.perf_counter() - started,
                                 "manifest_sha256": sha256((package / "manifest.json").read_bytes())}
            deployment = PackageDeployment(
                args.stage, args.region, endpoint, package,
                stack_name_prefix=args.stack_name_prefix or DEFAULT_STACK_NAME_PREFIX.format(stage=args.stage),
                bucket=f"artifacts-{ACCOUNT}-{args.region}", key_prefix=args.key_prefix, stage_template=args.stage_template,
            )
            print(f"emulator: {endpoint} (moto, in-memory); package {package}; stacks named {deployment.stack_name_prefix}<id>")
            record["uploaded"] = deployment.timed("upload", deployment.upload)
            print("create stacks...", flush=True)
            deployment.timed("create", deployment.create_stacks)
            record["created"] = deployment.created
            record["parameters"] = {
                s["StackName"]: {p["ParameterKey"]: p["ParameterValue"] for p in s.get("Parameters", [])}
                for s in deployment.client("cloudformation").describe_stacks()["Stacks"]
            }
            smoke.check_and_remove(
                deployment, definition, record, save, remove=lambda: deployment.timed("delete", deployment.delete_stacks),
                removing="delete stacks", stack_order=not args.stage_template,
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

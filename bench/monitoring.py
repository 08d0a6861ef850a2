"""make bench's monitoring section: cdk-monitoring-constructs against hand-written aws_cloudwatch code (issue 18).

Three figures, each against a baseline measured in the same run:
- the import of ``cdk_monitoring_constructs`` (jsii loading its bundle, and the aws_cdk modules it pulls
  in) after ``aws_cdk``, against the import of ``aws_cdk`` itself;
- the synth of the dev stage with N functions (bench/monitoring_app.py) with the library's monitoring
  and with the hand-written equivalent, against the same stage without a monitoring stack;
- what each puts in the templates: alarms, dashboards, bytes, the outputs it adds to the stacks it
  watches (weak cross-stack references: one Fn::GetStackOutput output per referenced value), and the
  budgets and cdk-nag findings of the result.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stacks.budgets import TEMPLATE_BYTES, assembly_budget_errors

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# N=1 is the service as declared (its own functions only), the size the shipped stages have.
POINTS = (1, 26, 100)
KINDS = ("none", "generator", "library", "handwritten")
DASHBOARD_WIDGETS = 500
LIBRARY = "cdk_monitoring_constructs"
# The import probe: aws_cdk, then the library, timed in one fresh process (jsii loads each bundle into
# its node kernel at import).
IMPORT_PROBE = (
    "import time; t0 = time.perf_counter(); import aws_cdk, aws_cdk.aws_cloudwatch, aws_cdk.aws_lambda; "
    "t1 = time.perf_counter(); import {library}; t2 = time.perf_counter(); print(t1 - t0, t2 - t1)"
)


def library_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec(LIBRARY) is not None


def library_version() -> str:
    from importlib.metadata import version

    return version("cdk-monitoring-constructs")


def import_figures(runs: int, env: dict[str, str]) -> dict[str, float]:
    samples = [
        tuple(float(x) for x in subprocess.run(
            [PYTHON, "-c", IMPORT_PROBE.format(library=LIBRARY)], env=env, capture_output=True, text=True, check=True,
        ).stdout.split())
        for _ in range(max(runs, 5))
    ]
    aws_cdk_ms = statistics.median(a for a, _ in samples) * 1000
    library_ms = statistics.median(b for _, b in samples) * 1000
    return {"aws_cdk_import_ms": aws_cdk_ms, "library_import_ms": library_ms, "library_import_ratio_to_aws_cdk": library_ms / aws_cdk_ms}


def declared_functions(n: int) -> int:
    """Functions of the stage bench/scaling_app.py builds for N: the service's own plus N-1."""
    from services.product_catalog.definition import DEFINITION

    return len(DEFINITION.functions) + n - 1


def synth(functions: int, kind: str, outdir: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one synthesis. The CPU seconds are the steadier
    figure when neighbours load the machine: waiting for a core does not count in them."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, str(ROOT / "bench" / "monitoring_app.py"), str(functions), kind],
            cwd=ROOT, env={**env, "CDK_OUTDIR": str(outdir)}, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        # Reaped here, not by Popen, for this child's own rusage (jsii's node kernel, reaped by it, included).
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            stderr.seek(0)
            raise SystemExit(f"bench/monitoring_app.py {functions} {kind} failed:\n{stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def widgets(dashboard: dict[str, object]) -> int:
    """Widgets in a dashboard's body (CloudWatch takes 500 at most; CDK does not check it at synth)."""
    body = dashboard["Properties"]["DashboardBody"]
    text = "".join(part for part in body["Fn::Join"][1] if isinstance(part, str)) if isinstance(body, dict) else body
    return len(re.findall(r'\{"type":"', text))


def is_monitoring(template_file: str) -> bool:
    return "Monitoring" in template_file


def shape(outdir: Path, functions: int, baseline: dict[str, object] | None) -> dict[str, object]:
    """Alarms, dashboards, bytes and outputs of the whole stage, and what they add to ``baseline`` (the "none" kind).

    Counted over every template, not only monitoring stacks: the generator's alarms live in the stacks
    of what they watch, the library's and the hand-written ones in monitoring stacks of their own.
    """
    assembly = outdir / "assembly-dev"
    outputs: dict[str, int] = {}
    alarms: list[dict[str, object]] = []
    dashboards: list[dict[str, object]] = []
    sizes: dict[str, int] = {}
    for path in sorted(assembly.glob("*.template.json")):
        template = json.loads(path.read_text())
        outputs[path.name] = len(template.get("Outputs", {}))
        found = template["Resources"].values()
        alarms += [r["Properties"] for r in found if r["Type"] == "AWS::CloudWatch::Alarm"]
        dashboards += [r for r in found if r["Type"] == "AWS::CloudWatch::Dashboard"]
        sizes[path.name] = len(path.read_bytes())
    report = outdir / "validation-report.json"
    findings = []
    if report.is_file():
        findings = [
            f"{violation['ruleName']} on {construct['constructPath']}"
            for plugin in json.loads(report.read_text()).get("pluginReports", [])
            for violation in plugin.get("violations", [])
            for construct in violation.get("violatingConstructs", [])
            if not violation["ruleName"].startswith("Annotation::")
        ]
    base = baseline or {"alarms": 0, "template_bytes": 0, "outputs": {}, "nag_findings": []}
    total_bytes = sum(sizes.values())
    most_widgets = max((widgets(d) for d in dashboards), default=0)
    return {
        "stacks": sum(1 for name in sizes if is_monitoring(name)),
        "alarms": len(alarms),
        "alarms_added": len(alarms) - base["alarms"],
        "alarms_without_alarm_and_ok_actions": sum(not (a.get("AlarmActions") and a.get("OKActions")) for a in alarms),
        "treat_missing_data": dict(collections.Counter(a.get("TreatMissingData", "(unset: missing)") for a in alarms)),
        "dashboards": len(dashboards),
        "max_widgets_per_dashboard": most_widgets,
        "template_bytes": total_bytes,
        "template_bytes_added": total_bytes - base["template_bytes"],
        "max_template_bytes": max(sizes.values(), default=0),
        "template_bytes_per_function": (total_bytes - base["template_bytes"]) / functions,
        "outputs": outputs,
        "outputs_added_elsewhere": sum(n - base["outputs"].get(name, 0) for name, n in outputs.items() if not is_monitoring(name)),
        "nag_findings": findings,
        "nag_findings_added": sorted(set(findings) - set(base["nag_findings"])),
        "budget_errors": assembly_budget_errors(outdir) + (
            [f"a dashboard has {most_widgets} widgets, over CloudWatch's {DASHBOARD_WIDGETS}"]
            if most_widgets > DASHBOARD_WIDGETS else []),
    }


def monitoring_figures(points: tuple[int, ...], runs: int, env: dict[str, str]) -> dict[str, object]:
    if not library_installed():
        return {"skipped": f"{LIBRARY} is not installed (the bench extra: uv sync --extra bench)"}
    figures: dict[str, object] = {"library_version": library_version(), "imports": import_figures(runs, env)}
    samples: dict[tuple[int, str], list[tuple[float, float]]] = collections.defaultdict(list)
    shapes: dict[tuple[int, str], dict[str, object]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-monitoring."))
    try:
        synth(1, "none", workdir / "warm-up", env)  # bundles the functions' assets into .cache/ if needed
        # Round by round over every (N, kind), so that a neighbour's load slows all of them alike.
        for run in range(runs):
            for n in points:
                for kind in KINDS:
                    outdir = workdir / f"{n}-{kind}-{run}"
                    samples[n, kind].append(synth(n, kind, outdir, env))
                    if run == 0:
                        shapes[n, kind] = outdir
                    else:
                        shutil.rmtree(outdir, ignore_errors=True)
        per_point: dict[str, object] = {}
        for n in points:
            wall = {kind: statistics.median(w for w, _ in samples[n, kind]) for kind in KINDS}
            cpu = {kind: statistics.median(c for _, c in samples[n, kind]) for kind in KINDS}
            declared = declared_functions(n)
            baseline = shape(shapes[n, "none"], declared, None)
            point: dict[str, object] = {"synth_seconds": wall, "synth_cpu_seconds": cpu}
            for kind in ("generator", "library", "handwritten"):
                measured = shape(shapes[n, kind], declared, baseline)
                measured["synth_ratio_to_none"] = wall[kind] / wall["none"]
                measured["synth_cpu_ratio_to_none"] = cpu[kind] / cpu["none"]
                measured["synth_extra_cpu_seconds"] = cpu[kind] - cpu["none"]
                point[kind] = measured
            point["library_ratio_to_handwritten"] = wall["library"] / wall["handwritten"]
            point["library_cpu_ratio_to_handwritten"] = cpu["library"] / cpu["handwritten"]
            point["library_cpu_ratio_to_generator"] = cpu["library"] / cpu["generator"]
            per_point[str(n)] = point
        figures["points"] = per_point
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures["runs_note"] = f"median of {runs} runs, interleaved"
    return figures


def print_monitoring(figures: dict[str, object]) -> None:
    print("\nmonitoring: the generator's own (stacks/stack_monitoring.py), cdk-monitoring-constructs (library) and a "
          "hand-written monitoring stack (bench/monitoring_app.py), each over the same stage with release alarms only (none)")
    if "skipped" in figures:
        print(f"  skipped: {figures['skipped']}")
        return
    imports = figures["imports"]
    print(f"  import of {LIBRARY} {figures['library_version']} after aws_cdk: {imports['library_import_ms']:.0f} ms "
          f"({imports['library_import_ratio_to_aws_cdk']:.2f} x the import of aws_cdk, {imports['aws_cdk_import_ms']:.0f} ms)")
    print(f"  synth of the dev stage with N functions, {figures['runs_note']}: wall s, and CPU s of the process tree "
          "(steadier under load) against the stage without monitoring (none)")
    print(f"  stacks: monitoring stacks (one per function group + one; the generator's alarms live in the watched stacks); "
          "alarms+ and KB+: added to none over all templates; max KB: the largest template (budget "
          f"{TEMPLATE_BYTES // 1024} KB); widgets: the fullest dashboard (CloudWatch takes {DASHBOARD_WIDGETS}); "
          "outputs+: outputs added to the watched stacks")
    columns = (("N", 4), ("kind", 11), ("wall s", 6), ("x none", 6), ("cpu s", 6), ("x none", 6), ("+cpu s", 6),
               ("stacks", 6), ("alarms+", 7), ("dashb", 5), ("widgets", 7), ("KB+", 5), ("max KB", 6), ("KB+/fn", 6),
               ("outputs+", 8), ("no actions", 10), ("nag", 3), ("budget err", 10))
    print("  " + " ".join(f"{heading:>{width}}" for heading, width in columns))
    for n, point in figures["points"].items():
        wall, cpu = point["synth_seconds"], point["synth_cpu_seconds"]
        print(f"  {n:>4} {'none':>11} {wall['none']:6.2f} {1:6.2f} {cpu['none']:6.2f} {1:6.2f} {0:6.2f}")
        for kind in ("generator", "library", "handwritten"):
            p = point[kind]
            values = (n, kind, f"{wall[kind]:.2f}", f"{p['synth_ratio_to_none']:.2f}", f"{cpu[kind]:.2f}",
                      f"{p['synth_cpu_ratio_to_none']:.2f}", f"{p['synth_extra_cpu_seconds']:.2f}", p["stacks"],
                      p["alarms_added"], p["dashboards"], p["max_widgets_per_dashboard"], f"{p['template_bytes_added'] / 1024:.0f}",
                      f"{p['max_template_bytes'] / 1024:.0f}", f"{p['template_bytes_per_function'] / 1024:.1f}",
                      p["outputs_added_elsewhere"], p["alarms_without_alarm_and_ok_actions"],
                      len(p["nag_findings_added"]), len(p["budget_errors"]))
            print("  " + " ".join(f"{value!s:>{width}}" for (_, width), value in zip(columns, values, strict=True)))
            for error in p["budget_errors"]:
                print(f"       {error}")
        print(f"  {'':>4} library / handwritten: {point['library_ratio_to_handwritten']:.2f} wall, "
              f"{point['library_cpu_ratio_to_handwritten']:.2f} CPU; library / generator: "
              f"{point['library_cpu_ratio_to_generator']:.2f} CPU")


if __name__ == "__main__":
    # The section alone (make bench runs it with the others): python -m bench.monitoring [runs]
    from bench.run import env_with_node

    print_monitoring(monitoring_figures(POINTS, int(sys.argv[1]) if len(sys.argv) > 1 else 3, env_with_node()))

"""make bench's scale section: the dev stage with N functions (bench/scaling_app.py: the catalog's own plus
N-1 benchmark API functions in group stacks of 40), from synth time and memory to template sizes against
the budgets of stacks/budgets.py.

The N=1 stage is the baseline the per-function resource cost is counted from; seconds per function is
the least-squares slope over the measured points, and also between consecutive points.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devtools.review.monitoring_cost import monitoring_costs
from stacks.budgets import (
    RESOURCES_PER_OPERATION,
    RESOURCES_PER_TEMPLATE,
    TEMPLATE_BYTES,
    assembly_budget_errors,
    nested_template_files,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
POINTS = (26, 50, 100, 200, 300)
# From 200 functions on one synth takes 13-20 s here; one run each keeps make bench within a few
# minutes, and the slope still has the three smaller points with medians to lean on.
SINGLE_RUN_FROM = 200
SECONDS_PER_FUNCTION_TARGET = 0.03
RSS_METHOD = (
    "os.wait4 ru_maxrss of the synth child: the kernel's high-water mark of the largest single process of its "
    "tree (jsii's node kernel here; reaped descendants count), exact and unsampled, not the tree's sum"
)


def synth(functions: int, outdir: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one synthesis of the stage with ``functions`` functions into ``outdir``."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(
            [PYTHON, str(ROOT / "bench" / "scaling_app.py"), str(functions)],
            cwd=ROOT, env={**env, "CDK_OUTDIR": str(outdir)}, stdout=subprocess.DEVNULL, stderr=stderr,
        )
        # Reaped here rather than by Popen so that the rusage is this child's alone: RUSAGE_CHILDREN is a
        # running maximum over every child the bench has reaped, so an earlier, larger synth would mask it.
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            raise SystemExit(f"bench/scaling_app.py {functions} failed:\n{stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024  # kilobytes on Linux


def assembly_figures(outdir: Path) -> dict[str, object]:
    """Stacks, resources and template sizes of the synthesized dev stage, per template and per deploy operation."""
    assembly = outdir / "assembly-dev"
    artifacts = json.loads((assembly / "manifest.json").read_text())["artifacts"]
    templates: dict[str, tuple[int, int]] = {}  # file name -> (resources, bytes)
    operations: dict[str, int] = {}  # top-level stack -> resources with its nested stacks
    nested_count = 0

    parsed: dict[str, dict[str, object]] = {}

    def measure(path: Path) -> int:
        text = path.read_text()
        parsed[f"dev/{path.name}"] = json.loads(text)
        templates[path.name] = (len(parsed[f"dev/{path.name}"].get("Resources", {})), len(text.encode()))
        return templates[path.name][0]

    for artifact in artifacts.values():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        total = measure(assembly / artifact["properties"]["templateFile"])
        for path in nested_template_files(assembly, artifact["properties"]["templateFile"]).values():
            total += measure(path)
            nested_count += 1
        operations[artifact.get("displayName") or artifact["properties"]["stackName"]] = total
    # A template no stack owns would be missing from the per-operation figures without anyone noticing.
    unowned = sorted({p.name for p in assembly.glob("*.template.json")} - set(templates))
    if unowned:
        raise SystemExit(f"templates of {outdir} that no stack's assets list: {unowned}")
    largest = max(templates, key=lambda name: templates[name][0])
    heaviest = max(templates, key=lambda name: templates[name][1])
    busiest = max(operations, key=operations.get)
    (monitoring,) = monitoring_costs(parsed)
    return {
        "alarms": monitoring.alarms,
        "monitoring_usd_per_month": monitoring.usd_per_month,
        "stacks": len(operations),
        "nested_stacks": nested_count,
        "resources_total": sum(resources for resources, _ in templates.values()),
        "max_resources_per_template": templates[largest][0],
        "max_resources_template": largest,
        "max_template_bytes": templates[heaviest][1],
        "max_bytes_template": heaviest,
        "max_resources_per_operation": operations[busiest],
        "max_resources_operation": busiest,
        "budget_errors": assembly_budget_errors(outdir),
    }


def least_squares_slope(points: dict[int, float]) -> float:
    mean_n, mean_s = statistics.mean(points), statistics.mean(points.values())
    return sum((n - mean_n) * (s - mean_s) for n, s in points.items()) / sum((n - mean_n) ** 2 for n in points)


def scale_figures(points: tuple[int, ...], runs: int, env: dict[str, str], floor_s: float) -> dict[str, object]:
    counts = {n: 1 if n >= SINGLE_RUN_FROM else runs for n in points}
    samples: dict[int, list[tuple[float, float]]] = {n: [] for n in points}
    loads: dict[int, list[float]] = {n: [] for n in points}
    shapes: dict[int, dict[str, object]] = {}
    workdir = Path(tempfile.mkdtemp(prefix="bench-scale-points."))
    try:
        # Also the warm-up: the first synth after a code change bundles the functions' assets into .cache/.
        synth(1, workdir / "1", env)
        baseline = assembly_figures(workdir / "1")
        # Round by round over the points rather than point by point, so that a neighbour's test run
        # starting halfway through slows every point a little instead of tilting the slope.
        for run in range(max(counts.values())):
            for n in (n for n in points if run < counts[n]):
                outdir = workdir / f"{n}-{run}"
                loads[n].append(os.getloadavg()[0])
                samples[n].append(synth(n, outdir, env))
                shapes[n] = assembly_figures(outdir)
                shutil.rmtree(outdir, ignore_errors=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    measured: dict[str, dict[str, object]] = {}
    for n in points:
        seconds = statistics.median(s for s, _ in samples[n])
        measured[str(n)] = {
            "runs": counts[n],
            "synth_seconds": seconds,
            "synth_seconds_runs": [s for s, _ in samples[n]],
            "synth_ratio_to_floor": seconds / floor_s,
            "peak_rss_mb": max(rss for _, rss in samples[n]),
            "loadavg_1m": statistics.median(loads[n]),
            "resources_per_added_function": (shapes[n]["resources_total"] - baseline["resources_total"]) / (n - 1),
            **shapes[n],
        }

    seconds = {int(n): figures["synth_seconds"] for n, figures in measured.items()}
    ordered = sorted(seconds)
    result: dict[str, object] = {
        "points": measured,
        "baseline_functions_1": {k: baseline[k] for k in ("stacks", "nested_stacks", "resources_total")},
        "seconds_per_function_between": {
            f"{a}-{b}": (seconds[b] - seconds[a]) / (b - a) for a, b in itertools.pairwise(ordered)
        },
        "runs_note": (f"median of {runs} runs" if runs > 1 else "one run") + f" below {SINGLE_RUN_FROM} functions, "
                     f"one run from {SINGLE_RUN_FROM} on",
        "rss_method": RSS_METHOD,
    }
    if len(ordered) >= 2:
        result["seconds_per_function"] = least_squares_slope(seconds)
        result["seconds_per_function_ratio_to_floor"] = result["seconds_per_function"] / floor_s
    return result


def scale_targets(scale: dict[str, object]) -> dict[str, dict[str, object]]:
    """Target lines for the scale section: the synth slope, and the budgets at the largest value over the points."""
    points = scale["points"].values()
    budgets = {
        "scale.max_resources_per_template": (max(p["max_resources_per_template"] for p in points), RESOURCES_PER_TEMPLATE),
        "scale.max_template_bytes": (max(p["max_template_bytes"] for p in points), TEMPLATE_BYTES),
        "scale.max_resources_per_operation": (max(p["max_resources_per_operation"] for p in points), RESOURCES_PER_OPERATION),
        "scale.budget_errors": (sum(len(p["budget_errors"]) for p in points), 0),
    }
    if "seconds_per_function" in scale:
        budgets = {"scale.seconds_per_function": (scale["seconds_per_function"], SECONDS_PER_FUNCTION_TARGET), **budgets}
    return {name: {"target": target, "value": value, "met": value <= target} for name, (value, target) in budgets.items()}


def print_scale(scale: dict[str, object]) -> None:
    columns = (  # (heading, width, format)
        ("N", 5, "{}"), ("runs", 4, "{}"), ("synth s", 8, "{:.2f}"), ("x floor", 7, "{:.1f}"), ("s/fn prev", 9, "{}"),
        ("stacks", 6, "{}"), ("nested", 6, "{}"), ("resources", 9, "{}"), ("res/fn", 6, "{:.2f}"),
        ("max res/tmpl", 12, "{}"), ("max KB/tmpl", 11, "{:.0f}"), ("max res/op", 10, "{}"), ("RSS MB", 6, "{:.0f}"),
        ("budget err", 10, "{}"), ("alarms", 6, "{}"), ("USD/mo", 7, "{:.2f}"), ("load 1m", 7, "{:.2f}"),
    )
    print(f"\nscale: dev stage with N functions; synth s: {scale['runs_note']}; x floor: / synth.floor_python_s")
    print(f"RSS MB: {scale['rss_method']}; load 1m: os.getloadavg() before each run (median)")
    print(" ".join(f"{heading:>{width}}" for heading, width, _ in columns))
    previous = None
    for n, p in scale["points"].items():
        step = scale["seconds_per_function_between"].get(f"{previous}-{n}")
        values = (
            n, p["runs"], p["synth_seconds"], p["synth_ratio_to_floor"], "-" if step is None else f"{step:.4f}",
            p["stacks"], p["nested_stacks"], p["resources_total"], p["resources_per_added_function"],
            p["max_resources_per_template"], p["max_template_bytes"] / 1024, p["max_resources_per_operation"],
            p["peak_rss_mb"], len(p["budget_errors"]), p["alarms"], p["monitoring_usd_per_month"], p["loadavg_1m"],
        )
        print(" ".join(f"{fmt.format(value):>{width}}" for (_, width, fmt), value in zip(columns, values, strict=True)))
        for error in p["budget_errors"]:
            print(f"      {error}")
        previous = n
    base = scale["baseline_functions_1"]
    print(f"N=1 baseline (the declared functions only): {base['resources_total']} resources in {base['stacks']} stacks")
    if "seconds_per_function" in scale:
        print(f"seconds per added function, least squares over the points: {scale['seconds_per_function']:.4f} "
              f"({scale['seconds_per_function_ratio_to_floor']:.3f} x floor)")

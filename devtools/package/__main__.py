"""make package STAGE=<stage>: dist/<stage>/, plain CloudFormation templates and their artifacts, from cdk.out.

    python -m devtools.package --stage prod [--assembly cdk.out] [--out dist/prod]

Reads a cloud assembly already synthesized (make package runs make synth first, so the package and the
snapshots review the same synthesis) and writes the package; see devtools/package/writer.py for the layout.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from devtools.package.assembly import PackageError
from devtools.package.writer import write_package
from devtools.synth import ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--assembly", type=Path, default=ROOT / "cdk.out", help="the synthesized cloud assembly (default cdk.out)")
    parser.add_argument("--out", type=Path, help="where to write the package (default dist/<stage>)")
    args = parser.parse_args(argv)
    target = args.out or ROOT / "dist" / args.stage
    started = time.perf_counter()
    try:
        manifest = write_package(args.assembly, args.stage, target)
    except PackageError as error:
        print(f"make package: {error}", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    print(f"{target}: {len(manifest['stacks'])} stacks ({', '.join(s['id'] for s in manifest['stacks'])}), "
          f"{len(manifest['artifacts'])} artifacts, {total / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

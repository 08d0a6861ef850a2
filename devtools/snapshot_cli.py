"""The snapshot commands: update the committed snapshots, or report a change for review.

    python -m devtools.snapshot_cli update            # make snapshot-update (refuses unacknowledged data loss)
    python -m devtools.snapshot_cli review [--base REF] [--output FILE]   # make review

Kept apart from the library modules (snapshots, template_review, replacement_properties), which
import each other only one way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devtools import snapshots
from devtools.synth import ROOT
from devtools.template_review import guard_failures, review_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Template snapshots: update, or review the change")
    parser.add_argument("command", choices=["update", "review"])
    parser.add_argument("--base", help="git revision to compare with (default: the snapshot files as they are)")
    parser.add_argument("--output", type=Path, help="write the review here as well as to stdout")
    args = parser.parse_args(argv)

    base = snapshots.load_snapshots_at(args.base) if args.base else snapshots.load_snapshots()
    current = snapshots.current_snapshots()
    failures = guard_failures(base, current)
    if args.command == "review":
        report = review_markdown(base, current, base_label=args.base or "committed snapshots")
        print(report)
        if args.output:
            args.output.write_text(report)
        return 1 if failures else 0
    if failures:
        print("Refusing to update snapshots: this change would destroy or replace stateful resources.", file=sys.stderr)
        for failure in failures:
            print(f"  - {failure}", file=sys.stderr)
        print(f"If it is intended, list each logical id with a reason in {snapshots.ACKNOWLEDGEMENTS.relative_to(ROOT)}.", file=sys.stderr)
        return 1
    written = snapshots.write_snapshots(current)
    print("\n".join(f"updated {p.relative_to(ROOT)}" for p in written) or "snapshots already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())

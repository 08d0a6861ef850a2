"""The snapshot commands: update the committed snapshots, or report a change for review.

    python -m devtools.review.cli update                                   # make snapshot-update
    python -m devtools.review.cli review [--base REF] [--output FILE] [--format json]   # make review

Both refuse (exit 1) when the change would delete or replace a stateful resource, or carries a risk
(devtools/review/risks.py), that nobody acknowledged with a reason in tests/snapshots/acknowledged-replacements.json.
Kept apart from the library modules (snapshots, template_review, risks, release_plan, replacement_properties),
which import each other one way only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from devtools.review import snapshots
from devtools.review.monitoring_cost import cost_markdown, monitoring_costs
from devtools.review.release_plan import plan_json, plan_markdown, raw_templates_at, release_plan
from devtools.review.risks import all_risks, unacknowledged
from devtools.review.template_review import (
    acknowledgement_entries,
    changes_besides_moves,
    find_moves,
    guard_failures,
    review_markdown,
)
from devtools.synth import ROOT


def review(base: dict[str, Any], current: dict[str, Any], *, base_label: str, raw_base: dict[str, Any] | None,
           raw_current: dict[str, Any]) -> tuple[str, dict[str, Any], bool]:
    """(markdown, the same as data, whether it blocks) for a change from ``base`` to ``current`` snapshots."""
    risks = all_risks(base, current)
    open_risks = unacknowledged(risks, acknowledgement_entries())
    failures = guard_failures(base, current)
    plan = release_plan(raw_base, raw_current) if raw_base is not None else None
    moves = find_moves(base, current)
    markdown = review_markdown(base, current, base_label=base_label, risks=risks, open_risks=open_risks,
                               plan_lines=plan_markdown(plan) if plan is not None else None)
    markdown += "\n" + "\n".join(cost_markdown(base, current))
    data = {
        "base": base_label,
        "blocking": bool(failures or open_risks),
        "risks": [dict(risk.as_dict(), acknowledged=risk not in open_risks) for risk in risks],
        "stateful_at_risk": failures,
        "release_plan": plan_json(plan) if plan is not None else None,
        # A moved resource is in "moves" only, as in the markdown: not also a deletion and an addition in "changes".
        "moves": [move.as_dict() for move in moves],
        "monitoring": [cost.as_dict() for cost in monitoring_costs(current)],
        "changes": [
            {"stack": c.stack, "logical_id": c.logical_id, "type": c.resource_type, "change": c.kind, "properties": list(c.properties)}
            for c in changes_besides_moves(base, current, moves)
        ],
    }
    return markdown, data, bool(failures or open_risks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Template snapshots: update, or review the change")
    parser.add_argument("command", choices=["update", "review"])
    parser.add_argument("--base", help="git revision to compare with (default: the snapshot files as they are; "
                                       "the release plan then compares with HEAD)")
    parser.add_argument("--output", type=Path, help="write the review here as well as to stdout")
    parser.add_argument("--format", choices=["markdown", "json"], default="markdown")
    parser.add_argument("--no-release-plan", action="store_true", help="skip synthesizing the base revision")
    args = parser.parse_args(argv)

    base = snapshots.load_snapshots_at(args.base) if args.base else snapshots.load_snapshots()
    current, raw_current = snapshots.current_synth()
    if args.command == "update":
        failures = guard_failures(base, current)
        open_risks = unacknowledged(all_risks(base, current), acknowledgement_entries())
        if failures or open_risks:
            print("Refusing to update snapshots: this change would destroy or replace stateful resources, or weaken a "
                  "safeguard.", file=sys.stderr)
            for failure in failures:
                print(f"  - {failure}", file=sys.stderr)
            for risk in open_risks:
                print(f"  - {risk.line()}", file=sys.stderr)
            print(f"If it is intended, list each logical id with a reason in {snapshots.ACKNOWLEDGEMENTS.relative_to(ROOT)}.",
                  file=sys.stderr)
            return 1
        written = snapshots.write_snapshots(current)
        print("\n".join(f"updated {p.relative_to(ROOT)}" for p in written) or "snapshots already up to date")
        return 0

    raw_base = None if args.no_release_plan else raw_templates_at(args.base or "HEAD")
    markdown, data, blocking = review(base, current, base_label=args.base or "committed snapshots",
                                      raw_base=raw_base, raw_current=raw_current)
    text = json.dumps(data, indent=2, default=str) + "\n" if args.format == "json" else markdown
    print(text, end="")
    if args.output:
        args.output.write_text(text)
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(os.environ["GITHUB_STEP_SUMMARY"], "a") as summary:
            summary.write(markdown)
    return 1 if blocking else 0


if __name__ == "__main__":
    sys.exit(main())

"""Invoke one declared function against the running `make serve`, as its schedule (or a caller) would.

    make invoke-local FUNCTION=catalog-export      # writes an export into .cache/local/files/exports/
    python -m devtools.local.invoke catalog-export --event '{"job": "catalog-export"}'

The event defaults to the payload of the function's schedule trigger (``{}`` without one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from devtools.local.runtime import LocalLambdaContext
from devtools.local.serve import STATE_FILE, local_credentials
from devtools.local.system import handler_of
from services.product_catalog.definition import DEFINITION

FUNCTIONS = DEFINITION.functions


def main(argv: list[str] | None = None) -> int:
    names = [d.name for d in FUNCTIONS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("function", choices=names)
    parser.add_argument("--event", help="the event as JSON (default: the schedule's payload)")
    args = parser.parse_args(argv)
    if not STATE_FILE.is_file():
        print("make serve is not running (start it first, in another terminal)", file=sys.stderr)
        return 2
    state = json.loads(STATE_FILE.read_text())
    os.environ.update(local_credentials(state["endpoint"]))
    os.environ.update(state["environment"])
    declaration = next(d for d in FUNCTIONS if d.name == args.function)
    event = json.loads(args.event) if args.event else declaration.default_event()
    result = handler_of(declaration.handler)(event, LocalLambdaContext())
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

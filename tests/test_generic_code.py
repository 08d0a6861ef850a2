"""The generator knows no service: the construct library and the generic stacks name no catalog concept."""

from __future__ import annotations

import re

from tests.conftest import ROOT

# The construct library's install name (README "Layout") is the one allowed mention.
ALLOWED = re.compile(r"catalog_constructs")
CATALOG_WORDS = re.compile(r"product|catalog", re.IGNORECASE)


def generic_sources():
    return sorted([*(ROOT / "constructs").rglob("*.py"), *(ROOT / "stacks").rglob("*.py")])


def test_the_generic_code_names_no_catalog_concept():
    leaks = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in generic_sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CATALOG_WORDS.search(ALLOWED.sub("", line))
    ]
    assert leaks == []


def test_the_check_sees_the_generic_modules():
    names = {path.name for path in generic_sources()}
    assert {"service_stack.py", "stateful_stack.py", "service_api.py", "retained_table.py", "queue.py"} <= names

"""Which property changes make CloudFormation replace a resource, for the resource types we deploy.

    python -m devtools.review.replacement_properties > devtools/review/replacement_properties.json

The data comes from the CloudFormation registry schemas cfn-lint ships (``createOnlyProperties``),
plus DOCUMENTED_REPLACEMENTS where the registry schema omits a property the CloudFormation user
guide says requires replacement. tests/review/test_snapshot_review.py keeps the JSON in sync with this.
"""

from __future__ import annotations

import json
from pathlib import Path

DATA_FILE = Path(__file__).with_suffix(".json")
REGION = "eu-west-1"

# Resources whose replacement or deletion loses data (or identities, or the ability to decrypt it).
STATEFUL_TYPES = (
    "AWS::DynamoDB::Table",
    "AWS::EFS::FileSystem",
    "AWS::Cognito::UserPool",
    "AWS::KMS::Key",
    "AWS::EC2::VPC",
)

# "Update requires: Replacement" in the CloudFormation user guide, but not createOnly in the schema.
DOCUMENTED_REPLACEMENTS: dict[str, tuple[str, ...]] = {
    "AWS::DynamoDB::Table": ("KeySchema", "LocalSecondaryIndexes"),
    "AWS::Cognito::UserPool": ("AliasAttributes", "UsernameAttributes"),
}


def registry_create_only(resource_types: list[str]) -> dict[str, list[str]]:
    """Top-level createOnly properties per type, from cfn-lint's bundled registry schemas."""
    import cfnlint

    schemas = Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / f"{REGION}.json").read_text())
    found = {}
    for resource_type in resource_types:
        schema = json.loads((schemas / "resources" / f"{providers[resource_type]}.json").read_text())
        paths = schema.get("createOnlyProperties", [])
        found[resource_type] = sorted({path.split("/")[2] for path in paths if path.startswith("/properties/")})
    return found


def generate(resource_types: list[str]) -> dict[str, object]:
    create_only = registry_create_only(sorted(set(resource_types) | set(STATEFUL_TYPES)))
    for resource_type, extra in DOCUMENTED_REPLACEMENTS.items():
        create_only[resource_type] = sorted(set(create_only.get(resource_type, [])) | set(extra))
    return {
        "source": f"cfn-lint registry schemas ({REGION}) createOnlyProperties + devtools/review/replacement_properties.py DOCUMENTED_REPLACEMENTS",
        "stateful_types": list(STATEFUL_TYPES),
        "replacement_properties": create_only,
    }


def load() -> dict[str, object]:
    return json.loads(DATA_FILE.read_text())


def snapshot_resource_types() -> list[str]:
    from devtools.review.snapshots import load_snapshots

    return sorted({r["Type"] for t in load_snapshots().values() for r in t["Resources"].values() if not r["Type"].startswith("Custom::")})


if __name__ == "__main__":
    print(json.dumps(generate(snapshot_resource_types()), indent=2, sort_keys=True))

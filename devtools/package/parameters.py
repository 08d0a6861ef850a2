"""The parameters a packaged template takes: where its code is, and what the stage's other stacks are called.

Three are shared by the whole stage (the same ``--parameter-overrides`` for every stack); each artifact a
template refers to gets one more, its key after the prefix, defaulting to the artifact's content-hash file
name. A template declares only the ones it uses (cfn-lint W2001 flags an unused parameter, and
``aws cloudformation deploy`` ignores an override the template does not declare).
"""

from __future__ import annotations

import re
from typing import Any

from troposphere import Parameter

ARTIFACT_BUCKET = "ArtifactBucket"
ARTIFACT_KEY_PREFIX = "ArtifactKeyPrefix"
STACK_NAME_PREFIX = "StackNamePrefix"
STAGE_WIDE = (ARTIFACT_BUCKET, ARTIFACT_KEY_PREFIX, STACK_NAME_PREFIX)


def stage_wide(name: str, stack_name_prefix: str) -> dict[str, Any]:
    """The declaration of one stage-wide parameter (troposphere checks the property names and types)."""
    declarations = {
        ARTIFACT_BUCKET: Parameter(
            ARTIFACT_BUCKET, Type="String", AllowedPattern="^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
            Description="S3 bucket holding the package's artifacts/ files (same region as the stack); no default",
        ),
        ARTIFACT_KEY_PREFIX: Parameter(
            ARTIFACT_KEY_PREFIX, Type="String", Default="", AllowedPattern="^$|^[A-Za-z0-9!_.*'()/-]*/$",
            Description="Key prefix of the artifacts in the bucket, ending in / (default: none, the bucket's top)",
        ),
        STACK_NAME_PREFIX: Parameter(
            STACK_NAME_PREFIX, Type="String", Default=stack_name_prefix, AllowedPattern="^[A-Za-z][A-Za-z0-9-]*$",
            Description=f"Put before each stage stack's id to name the stacks this one reads outputs of (default {stack_name_prefix})",
        ),
    }
    return declarations[name].to_dict()


def artifact_key(name: str, display_name: str, file_name: str) -> dict[str, Any]:
    """The declaration of an artifact's key parameter, defaulting to its content-hash file name."""
    return Parameter(name, Type="String", Default=file_name, MinLength=1,
                     Description=f"Key after {ARTIFACT_KEY_PREFIX} of {display_name} (default: its content-hash file name)").to_dict()


def artifact_key_names(display_names: dict[str, str], stack_path: str) -> dict[str, str]:
    """asset id -> its key parameter's name, readable and stable: from the asset's construct path in the stack.

    ``ProductFunction/Function/Code`` -> ``ProductFunctionCodeKey`` (a segment the previous one ends with
    is dropped); two assets whose names would collide get their asset id's first 8 characters appended.
    """
    def readable(display_name: str) -> str:
        segments: list[str] = []
        for segment in display_name.removeprefix(f"{stack_path}/").split("/"):
            segment = re.sub(r"[^A-Za-z0-9]", "", segment.title() if segment.islower() else segment)
            if segment and not (segments and segments[-1].endswith(segment)):
                segments.append(segment)
        return "".join(segments) + "Key"

    names = {asset_id: readable(display_name) for asset_id, display_name in display_names.items()}
    taken = [name for name in names.values()]
    return {asset_id: (f"{name[:-3]}{asset_id[:8]}Key" if taken.count(name) > 1 or name in STAGE_WIDE else name)
            for asset_id, name in sorted(names.items())}


def imported_value(stack_id: str, output_name: str) -> tuple[str, dict[str, Any]]:
    """The parameter that carries another stack's output into a template of the stage template: name, declaration."""
    name = f"{stack_id}{output_name}"
    return name, Parameter(name, Type="String",
                           Description=f"Output {output_name} of the stage's {stack_id} stack (passed by the stage template)").to_dict()

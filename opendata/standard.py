"""The OCDS 1.1.5 schema and the extensions Tenderhall publishes with, held in `opendata/schema/`.

Nothing here reaches the network: the extensions are applied to the core release schema as JSON
Merge Patches (RFC 7386), the way OCDS tools do, and the merge rules of the records come from
the patched schema.
"""

import copy
import json
from datetime import datetime
from functools import cache
from pathlib import Path

import ocdsmerge
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
VERSION = "1.1"

# The extensions every package declares, by their folder in `schema/extensions/`. `lots` refers
# to definitions that `bid` and `submissionTerms` add, so the three go together. (`bidOpening`
# needs the `location` extension's definitions, which the platform has no data for.)
EXTENSIONS = (
    "lots",
    "bid",
    "submissionTerms",
    "partyDetails_scale",
    "contract_signatories",
    "contract_completion",
    "amendment_rationale_classifications",
)


def extension_url(name: str) -> str:
    return f"https://raw.githubusercontent.com/open-contracting-extensions/ocds_{name}_extension/master/extension.json"


def extension_urls() -> list[str]:
    return [extension_url(name) for name in EXTENSIONS]


def merge_patch(target, patch):
    """RFC 7386: `patch` applied to `target` (neither is changed); a null in the patch removes the key."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _load(relative: str) -> dict:
    return json.loads((SCHEMA_DIR / relative).read_text(encoding="utf-8"))


@cache
def release_schema() -> dict:
    """The core release schema with every declared extension applied."""
    schema = _load("release-schema.json")
    for name in EXTENSIONS:
        schema = merge_patch(schema, _load(f"extensions/{name}/release-schema.json"))
    return schema


@cache
def merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=copy.deepcopy(release_schema()))


# jsonschema checks `date-time` only with an optional package installed: checked here with the
# standard library, as RFC 3339 wants it (a time zone is required).
formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


def _validator(package_schema: str) -> Draft4Validator:
    """A record's versioned release is checked against the core versioned schema: OCDS publishes
    no versioned form of the extensions, whose fields it leaves unchecked there."""
    schema = _load(package_schema)
    patched, versioned = release_schema(), _load("versioned-release-validation-schema.json")
    # In the core, an organisation's `details` is one opaque value, versioned as a whole;
    # partyDetails_scale gives it properties, so ocdsmerge versions `details.scale` inside it.
    versioned = merge_patch(versioned, {"definitions": {"Organization": {"properties": {"details": {"type": "object"}}}}})
    registry = Registry().with_resources(
        [
            (patched["id"], Resource(contents=patched, specification=DRAFT4)),
            (versioned["id"], Resource(contents=versioned, specification=DRAFT4)),
        ]
    )
    return Draft4Validator(schema, registry=registry, format_checker=formats)


@cache
def release_package_validator() -> Draft4Validator:
    """Validates a release package against 1.1.5 patched with `EXTENSIONS`."""
    return _validator("release-package-schema.json")


@cache
def record_package_validator() -> Draft4Validator:
    """Validates a record package: its compiled release against the patched schema, its versioned
    release against the core versioned schema."""
    return _validator("record-package-schema.json")

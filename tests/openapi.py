"""Check an API answer against the OpenAPI schema the platform publishes at /api/v1/schema/.

The schema is OpenAPI 3.0 (drf-spectacular): `nullable: true` and `$ref`s to its components are
turned into plain JSON Schema, and the formats the API promises (`uri`, `date-time`, `uuid`) are
checked, so a relative address declared `format: uri` or a `null` the schema does not allow fails.
"""

import functools
import re
import uuid
from datetime import datetime
from urllib.parse import urlsplit

import jsonschema
from drf_spectacular.generators import SchemaGenerator

formats = jsonschema.FormatChecker([])


@formats.checks("uri")
def _is_uri(value) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return parts is not None and bool(parts.scheme) and bool(parts.netloc)


@formats.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@formats.checks("uuid", raises=ValueError)
def _is_uuid(value) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@functools.cache
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _plain(node, components: dict):
    """OpenAPI 3.0 → JSON Schema of a response: refs inlined, `nullable` as a union with null."""
    if isinstance(node, list):
        return [_plain(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _plain(components[node["$ref"].rsplit("/", 1)[1]], components)
    plain = {key: _plain(value, components) for key, value in node.items() if key not in ("nullable", "readOnly", "writeOnly")}
    if "required" in node:  # OpenAPI 3.0: a required write-only property is required in requests only
        plain["required"] = [name for name in node["required"] if not node.get("properties", {}).get(name, {}).get("writeOnly")]
    if node.get("nullable"):
        return {"anyOf": [plain, {"type": "null"}]}
    return plain


def _operation(path: str, method: str) -> dict:
    """The schema's operation whose path template matches the concrete `path`."""
    for template, operations in schema()["paths"].items():
        pattern = "^" + "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"the schema has no {method.upper()} {path}")


def assert_conforms(response, method: str = "get") -> None:
    """The response's body is what the schema declares for its path, method and status."""
    path = response.wsgi_request.path
    responses = _operation(path, method)["responses"]
    declared = responses.get(str(response.status_code))
    assert declared is not None, f"{method.upper()} {path} answered {response.status_code}, which the schema does not declare"
    body_schema = declared.get("content", {}).get("application/json", {}).get("schema")
    assert body_schema is not None, f"{method.upper()} {path} {response.status_code} declares no JSON body"
    plain = _plain(body_schema, schema()["components"]["schemas"])
    jsonschema.validate(response.json(), plain, format_checker=formats)

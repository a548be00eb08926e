"""Logto's published OpenAPI document (shared/logto/openapi.json) as JSON Schema validators."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from jsonschema_rs import Draft7Validator

DOCUMENT = Path(
    os.environ.get(
        "LOGTO_OPENAPI_PATH",
        Path(__file__).resolve().parents[3] / "shared" / "logto" / "openapi.json",
    )
)


# Keys the document marks required that a real Logto 1.42 server does not send (BEHAVIOUR.md,
# DIVERGENCES.md row 17; the document describes the Cloud build). The facts win.
NOT_SENT_BY_LOGTO = frozenset({"cimdClientId", "ssoIdentities", "hasPassword", "isDefault"})


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: `nullable` becomes a union with null."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("description") == "Validator function":
        # Logto documents zod custom validators (e.g. redirect URIs) as opaque objects;
        # the server sends strings. Nothing checkable is documented there.
        return {}
    converted = {
        # Logto's zod unions are "first match wins", documented as `oneOf`: that is anyOf.
        ("anyOf" if key == "oneOf" else key): to_json_schema(value)
        for key, value in node.items()
        if key not in ("nullable", "example", "format")
    }
    if isinstance(node.get("pattern"), str):
        converted["pattern"] = _plain_regex(node["pattern"])
    if isinstance(node.get("required"), list):
        converted["required"] = [key for key in node["required"] if key not in NOT_SENT_BY_LOGTO]
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def _plain_regex(pattern: str) -> str:
    """Logto writes some patterns as JavaScript literals (`/^#[a-f]{3}$/i`)."""
    body, slash, flags = pattern[1:].rpartition("/")
    if not pattern.startswith("/") or not slash:
        return pattern
    if "i" in flags:  # ECMA regexes in JSON Schema have no inline flags: widen the ranges
        body = re.sub(r"([a-z])-([a-z])", lambda m: f"{m[0]}{m[1].upper()}-{m[2].upper()}", body)
    return body


def validator(schema: Any, components: dict[str, Any]) -> Draft7Validator:
    """jsonschema_rs resolves every `$ref` up front: carry the document's components along."""
    return Draft7Validator({**to_json_schema(schema), "components": components})


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: dict[str, Any]
    components: dict[str, Any]

    def request_validator(self) -> Draft7Validator | None:
        schema = (
            self.spec.get("requestBody", {})
            .get("content", {})
            .get("application/json", {})
            .get("schema")
        )
        return validator(schema, self.components) if schema else None

    def response_validator(self, status: int) -> Draft7Validator | None:
        response = self.spec.get("responses", {}).get(str(status))
        if response is None:
            return None
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        return validator(schema, self.components) if schema else None

    def documents_status(self, status: int) -> bool:
        return str(status) in self.spec.get("responses", {})


class OpenApiDocument:
    def __init__(self, path: Path = DOCUMENT) -> None:
        self.path = path
        self.raw = json.loads(path.read_text())

    @cached_property
    def components(self) -> dict[str, Any]:
        return to_json_schema(self.raw.get("components", {}))

    @cached_property
    def _matchers(self) -> list[tuple[re.Pattern, str, dict]]:
        rows = []
        for template, methods in self.raw["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            rows.append((pattern, template, methods))
        # Literal segments win over parameters (`/users/roles` before `/users/{userId}`).
        rows.sort(key=lambda row: row[1].count("{"))
        return rows

    def operation(self, method: str, path: str) -> Operation | None:
        for pattern, template, methods in self._matchers:
            if pattern.match(path) and method.lower() in methods:
                return Operation(method.upper(), template, methods[method.lower()], self.components)
        return None

"""Request validation and pagination the way Logto's koa-guard and koa-pagination do it."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from logto_emulator.errors import ApiError, invalid_input

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def json_body(request: Request) -> dict[str, Any]:
    """The JSON object a route guards. A body that is not JSON never reaches the guard: Logto's
    body parser refuses it with a bare `{message}` (no `code`)."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}  # koa-body reads an empty body as {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        raise ApiError(400, None, f"Unexpected token in JSON at position {position}") from None
    if not isinstance(body, dict | list):
        raise ApiError(400, None, "invalid JSON, only supports object and array")
    if not isinstance(body, dict):
        raise type_issue([], "object", body)
    return body


def zod_type(value: Any) -> str:
    """The type name zod reports as `received`."""
    if value is _MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_MISSING = object()


def _path(path: str | list) -> list:
    return [path] if isinstance(path, str) else list(path)


def issue(path: str | list, message: str, code: str = "custom", **extra: Any) -> ApiError:
    """A guard refusal with one zod issue."""
    return invalid_input([{"code": code, **extra, "path": _path(path), "message": message}])


def type_issue(path: str | list, expected: str, value: Any = _MISSING) -> ApiError:
    received = zod_type(value)
    message = "Required" if value is _MISSING else f"Expected {expected}, received {received}"
    return issue(path, message, "invalid_type", expected=expected, received=received)


def _size_issue(path: str | list, kind: str, minimum: int | None, maximum: int | None) -> ApiError:
    unit = "character(s)" if kind == "string" else "element(s)"
    noun = "String" if kind == "string" else "Array"
    if minimum is not None:
        return issue(
            path,
            f"{noun} must contain at least {minimum} {unit}",
            "too_small",
            minimum=minimum,
            type=kind,
            inclusive=True,
            exact=False,
        )
    return issue(
        path,
        f"{noun} must contain at most {maximum} {unit}",
        "too_big",
        maximum=maximum,
        type=kind,
        inclusive=True,
        exact=False,
    )


def enum_issue(path: str | list, options: list[str], value: Any) -> ApiError:
    if not isinstance(value, str):
        return type_issue(path, " | ".join(f"'{o}'" for o in options), value)
    expected = " | ".join(f"'{o}'" for o in options)
    return issue(
        path,
        f"Invalid enum value. Expected {expected}, received '{value}'",
        "invalid_enum_value",
        options=options,
        received=value,
    )


def string_field(
    body: dict,
    name: str,
    *,
    required: bool = False,
    min_length: int = 0,
    max_length: int | None = None,
    nullable: bool = False,
) -> str | None:
    if name not in body or (body[name] is None and nullable):
        if required:
            raise type_issue(name, "string")
        return None
    value = body[name]
    if not isinstance(value, str):
        raise type_issue(name, "string", value)
    if len(value) < min_length:
        raise _size_issue(name, "string", min_length, None)
    if max_length is not None and len(value) > max_length:
        raise _size_issue(name, "string", None, max_length)
    return value


def string_list(body: dict, name: str, *, required: bool = False, nonempty: bool = False) -> list:
    """`z.string().min(1).array()`, `.nonempty()` when asked."""
    if name not in body:
        if required:
            raise type_issue(name, "array")
        return []
    value = body[name]
    if not isinstance(value, list):
        raise type_issue(name, "array", value)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise type_issue([name, index], "string", item)
        if not item:
            raise _size_issue([name, index], "string", 1, None)
    if nonempty and not value:
        raise _size_issue(name, "array", 1, None)
    return value


# zod 3.22+'s `.email()`, which Logto's invitation guard uses (`z.string().email()`): ASCII
# letters only (the `i` flag of a non-Unicode JS regex), a dotted domain of letters, digits
# and hyphens with a TLD of two letters or more; no quotes, no IP literals, no IDN.
_EMAIL = re.compile(
    r"(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-.]*)[A-Za-z0-9_+-]"  # local part
    r"@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}"  # domain
)


def is_email(value: str) -> bool:
    return _EMAIL.fullmatch(value) is not None


class Pagination:
    """`page` (1-based) and `page_size` (max 100); `Total-Number` and `Link` in the answer.

    As koa-pagination: the values are read with JavaScript's `Number()` and only need to be
    positive, so `page=1.5` is a page starting half a page in (usually empty), not an error.
    Empty values count as absent."""

    def __init__(self, request: Request, *, optional: bool = False) -> None:
        args = request.args
        raw_page, raw_size = args.get("page", ""), args.get("page_size", "")
        self.disabled = optional and not raw_page and not raw_size
        page = _js_number(raw_page) if raw_page else 1.0
        size = _js_number(raw_size) if raw_size else float(DEFAULT_PAGE_SIZE)
        if page is None or size is None or page <= 0 or not 0 < size <= MAX_PAGE_SIZE:
            raise _invalid_pagination()
        # PostgreSQL rounds the offset and limit to whole rows.
        self.page_size = max(_round(size), 1)
        self.offset = _round((page - 1) * size)
        self.page = self.offset // self.page_size + 1
        self._request = request

    def apply(self, items: Sequence[Any]) -> tuple[list[Any], dict[str, str]]:
        if self.disabled:
            return list(items), {}
        headers = {"Total-Number": str(len(items))}
        links = []
        # Logto's Link URLs are absolute but lack the `/api` prefix (observed quirk), so
        # clients build their own.
        path = self._request.host_url.rstrip("/") + self._request.path.removeprefix("/api")
        last = max((len(items) + self.page_size - 1) // self.page_size, 1)
        for rel, page in (
            ("first", 1),
            ("prev", self.page - 1),
            ("next", self.page + 1),
            ("last", last),
        ):
            if 1 <= page <= last and (rel not in ("prev", "next") or page != self.page):
                query = {**self._request.args.to_dict(), "page": page, "page_size": self.page_size}
                links.append(f'<{path}?{urlencode(query)}>; rel="{rel}"')
        if links:
            headers["Link"] = ", ".join(links)
        return list(items[self.offset : self.offset + self.page_size]), headers


_JS_DECIMAL = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _js_number(text: str) -> float | None:
    """JavaScript's `Number(text)` for decimal notation; None where it gives NaN."""
    return float(text) if _JS_DECIMAL.fullmatch(text) else None


def _round(value: float) -> int:
    return math.floor(value + 0.5)


def _invalid_pagination() -> ApiError:
    return ApiError(400, "guard.invalid_pagination", "The request pagination value is invalid.")


def like_match(pattern: str, *values: str | None, case_sensitive: bool = False) -> bool:
    """PostgreSQL `ILIKE pattern` (`LIKE` when case sensitive) on any of the values: `%` any
    run, `_` one character, and a backslash (the default escape character) makes the next
    character literal."""
    fold = (lambda text: text) if case_sensitive else str.lower
    compiled = _like_regex(fold(pattern))
    return any(compiled.fullmatch(fold(value or "")) for value in values)


def contains_match(query: str, *values: str | None) -> bool:
    """Logto's `q` search: `ILIKE '%' || q || '%'` on the given fields. `q` is neither trimmed
    nor escaped, so `%` and `_` stay wildcards; an empty `q` searches nothing (lists all)."""
    return not query or like_match(f"%{query}%", *values)


def _like_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    # PostgreSQL refuses a pattern ending in the escape character; match nothing instead.
    return re.compile("(?!)" if escaped else "".join(parts), re.DOTALL)

"""Request validation and pagination the way Logto's koa-guard and koa-pagination do it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request

from logto_emulator.errors import ApiError, invalid_input

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def json_body(request: Request) -> dict[str, Any]:
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        raise invalid_input("Expected a JSON object.", [{"path": [], "message": "Expected object"}])
    return body


def issue(path: str, message: str) -> ApiError:
    return invalid_input(
        f"Request body is invalid at `{path}`: {message}.", [{"path": [path], "message": message}]
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
            raise issue(name, "Required")
        return None
    value = body[name]
    if not isinstance(value, str):
        raise issue(name, "Expected string")
    if len(value) < min_length:
        raise issue(name, f"String must contain at least {min_length} character(s)")
    if max_length is not None and len(value) > max_length:
        raise issue(name, f"String must contain at most {max_length} character(s)")
    return value


def string_list(body: dict, name: str, *, required: bool = False, nonempty: bool = False) -> list:
    if name not in body:
        if required:
            raise issue(name, "Required")
        return []
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise issue(name, "Expected an array of non-empty strings")
    if nonempty and not value:
        raise issue(name, "Array must contain at least 1 element(s)")
    return value


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


class Pagination:
    """`page` (1-based) and `page_size` (max 100); `Total-Number` and `Link` in the answer."""

    def __init__(self, request: Request, *, optional: bool = False) -> None:
        args = request.args
        self.disabled = optional and "page" not in args and "page_size" not in args
        try:
            self.page = int(args.get("page", 1))
            self.page_size = int(args.get("page_size", DEFAULT_PAGE_SIZE))
        except ValueError:
            raise _invalid_pagination() from None
        if self.page < 1 or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise _invalid_pagination()
        self._request = request

    def apply(self, items: Sequence[Any]) -> tuple[list[Any], dict[str, str]]:
        if self.disabled:
            return list(items), {}
        start = (self.page - 1) * self.page_size
        headers = {"Total-Number": str(len(items))}
        links = []
        # Logto's Link URLs lack the `/api` prefix (observed quirk), so clients build their own.
        path = self._request.path.removeprefix("/api")
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
        return list(items[start : start + self.page_size]), headers


def _invalid_pagination() -> ApiError:
    return ApiError(400, "guard.invalid_pagination", "The pagination value is invalid.")


def fuzzy_match(query: str, *values: str | None) -> bool:
    """`q` search: case-insensitive substring match on any of the given fields."""
    needle = query.strip().lower()
    return not needle or any(needle in (value or "").lower() for value in values)


def like_match(pattern: str, *values: str | None) -> bool:
    """`search` on /users: SQL LIKE semantics (`%` any run, `_` one char), case-insensitive."""
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern.lower()
    )
    compiled = re.compile(f"^{regex}$", re.DOTALL)
    return any(compiled.match((value or "").lower()) for value in values)

"""Logto's advanced user search on `GET /users`: `search` / `search.<field>`, `mode` /
`mode.<field>` (exact, like, similar_to, posix), `joint` / `jointMode` (or, and) and
`isCaseSensitive`, as packages/core/src/utils/search.ts parses them. Several values for one
field are allowed in `exact` mode only (SQL `= any(...)`); `like` is `ILIKE` unless case
sensitive. `similar_to` and `posix` are refused here: the portal never sends them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from werkzeug.datastructures import MultiDict

from logto_emulator.errors import ApiError
from logto_emulator.validation import like_match

if TYPE_CHECKING:
    from logto_emulator.state import User

# Logto's user search fields, by their API name.
FIELDS: dict[str, Callable[[User], str | None]] = {
    "id": lambda u: u.id,
    "primaryEmail": lambda u: u.primary_email,
    "primaryPhone": lambda u: None,
    "username": lambda u: u.username,
    "name": lambda u: u.name,
}


def _refused(message: str) -> ApiError:
    # Logto raises a TypeError here; its answer's exact status and code were not observed.
    return ApiError(400, "request.invalid_input", message)


def _field(key: str) -> str | None:
    path = key.split(".")
    if len(path) > 2:
        raise _refused("Only the first level field is supported.")
    if len(path) == 2 and path[1] not in FIELDS:
        raise _refused(f"Search field `{path[1]}` is not allowed.")
    return path[1] if len(path) == 2 else None


def user_matcher(args: MultiDict) -> Callable[[User], bool]:
    """A predicate for the users the query's search parameters select (all when none)."""
    modes: dict[str | None, str] = {}
    values: dict[str | None, list[str]] = {}
    joint = args.get("joint") or args.get("jointMode") or "or"
    if joint not in ("or", "and"):
        raise _refused(f"Search joint mode `{joint}` is not valid.")
    case_sensitive = (args.get("isCaseSensitive") or "false").lower() == "true"
    for key, value in args.items(multi=True):
        if key.startswith("mode"):
            if value not in ("exact", "like"):
                raise _refused(f"Search match mode `{value}` is not supported.")
            modes[_field(key)] = value
        elif key.startswith("search"):
            values.setdefault(_field(key), []).append(value)
    conditions: list[Callable[[User], bool]] = []
    for field, wanted in values.items():
        mode = modes.get(field) or modes.get(None) or "like"
        if not all(wanted):
            raise _refused("Search value cannot be empty.")
        if mode != "exact" and len(wanted) != 1:
            raise _refused("Only one search value is allowed when search mode is not `exact`.")
        readers = [FIELDS[field]] if field else list(FIELDS.values())
        conditions.append(_condition(readers, wanted, mode, case_sensitive))
    if not conditions:
        return lambda user: True
    combine = any if joint == "or" else all
    return lambda user: combine(condition(user) for condition in conditions)


def _condition(
    readers: list[Callable[[User], str | None]], wanted: list[str], mode: str, case_sensitive: bool
) -> Callable[[User], bool]:
    if mode == "exact":
        targets = set(wanted if case_sensitive else (w.lower() for w in wanted))

        def exact(user: User) -> bool:
            for read in readers:
                value = read(user)
                if value is not None and (value if case_sensitive else value.lower()) in targets:
                    return True
            return False

        return exact
    pattern = wanted[0]
    return lambda user: like_match(
        pattern, *(read(user) for read in readers), case_sensitive=case_sensitive
    )

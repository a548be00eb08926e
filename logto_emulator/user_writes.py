"""Changes to people made outside the portal (Logto's console, another product): a user's
profile, suspension and deletion, and replacing an organization's members.

Facts: BEHAVIOUR.md "Webhooks" (what fires). The events are registered in webhooks.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from logto_emulator.errors import ApiError, json_response, not_found
from logto_emulator.jit import foreign_key_missing, no_content
from logto_emulator.state import now_ms
from logto_emulator.validation import json_body, string_field, string_list, type_issue

if TYPE_CHECKING:
    from logto_emulator.app import Emulator
    from logto_emulator.state import User

# PATCH /users/{id}: the profile fields the emulator keeps, by their API name.
_PROFILE_FIELDS = {
    "name": "name",
    "primaryEmail": "primary_email",
    "avatar": "avatar",
    "username": "username",
}


class UserWritesApi:
    def __init__(self, emulator: Emulator) -> None:
        self.state = emulator.state

    def _user(self, user_id: str) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            raise not_found("user")
        return user

    def user_update(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id)
        body = json_body(request)
        changes = {}
        for api_name, attribute in _PROFILE_FIELDS.items():
            if api_name in body:
                changes[attribute] = string_field(body, api_name, nullable=True)
        email = changes.get("primary_email")
        if email and any(
            (other.primary_email or "").lower() == email.lower() and other.id != user.id
            for other in self.state.users.values()
        ):
            raise ApiError(
                422,
                "user.email_already_in_use",
                "This email is associated with an existing account.",
            )
        for attribute, value in changes.items():
            setattr(user, attribute, value)
        user.updated_at = now_ms()
        return json_response(user.to_api())

    def user_suspension(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id)
        body = json_body(request)
        suspended = body.get("isSuspended")
        if not isinstance(suspended, bool):
            raise type_issue("isSuspended", "boolean", suspended)
        user.is_suspended = suspended
        user.updated_at = now_ms()
        return json_response(user.to_api())

    def user_delete(self, request: Request, user_id: str) -> Response:
        self._user(user_id)
        del self.state.users[user_id]
        for org in self.state.organizations.values():  # the relation rows go with the user
            org.members.pop(user_id, None)
        return no_content()

    def members_replace(self, request: Request, org_id: str) -> Response:
        body = json_body(request)
        user_ids = string_list(body, "userIds", required=True)
        org = self.state.organizations.get(org_id)
        if org is None or any(uid not in self.state.users for uid in user_ids):
            raise foreign_key_missing()
        org.members = {uid: org.members.get(uid, []) for uid in dict.fromkeys(user_ids)}
        return no_content()


ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler)
    ("PATCH", "/users/<user_id>", "users.update", "user_update"),
    ("PATCH", "/users/<user_id>/is-suspended", "users.suspension", "user_suspension"),
    ("DELETE", "/users/<user_id>", "users.delete", "user_delete"),
    ("PUT", "/organizations/<org_id>/users", "organizations.users.replace", "members_replace"),
]

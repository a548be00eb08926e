"""What the sign-in experience does around a sign-in: JIT provisioning and its webhooks.

Only a registration through the sign-in experience provisions by email domain (never a user
made through the Management API, never a later sign-in); a one-time token may name more
organizations (`context.jitOrganizationIds`) for new and existing users alike. Each
provisioned organization raises one `Organization.Membership.Updated` in interaction form.
Facts: BEHAVIOUR.md "Organization JIT provisioning" and "Webhooks".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from logto_emulator.jit import organizations_for_domain, provision
from logto_emulator.state import Organization, User, now_ms
from logto_emulator.webhooks import client_ip, iso_now

if TYPE_CHECKING:
    from logto_emulator.app import Emulator

# The user fields Logto puts into hook payloads (its `userInfoSelectFields`).
USER_INFO_FIELDS = (
    "id",
    "username",
    "primaryEmail",
    "primaryPhone",
    "name",
    "avatar",
    "customData",
    "identities",
    "lastSignInAt",
    "createdAt",
    "updatedAt",
    "profile",
    "applicationId",
    "isSuspended",
)


def user_info(user: User) -> dict[str, Any]:
    data = user.to_api()
    return {key: data.get(key) for key in USER_INFO_FIELDS}


# -- the payloads of events raised during a sign-in ---------------------------------------------
@dataclass(frozen=True)
class InteractionContext:
    """Who signed in where: what interaction-raised events carry instead of the API context."""

    interaction_event: str  # "SignIn" or "Register"
    session_id: str
    application: dict[str, Any] | None
    ip: str
    user_agent: str | None

    def data_payload(self, **rest: Any) -> dict[str, Any]:
        """A data event raised during a sign-in (User.Created, JIT membership)."""
        payload: dict[str, Any] = {"createdAt": iso_now()}
        if self.user_agent:
            payload["userAgent"] = self.user_agent
        payload.update(
            ip=self.ip, interactionEvent=self.interaction_event, sessionId=self.session_id
        )
        if self.application:
            payload["applicationId"] = self.application["id"]
            payload["application"] = self.application
        return {**payload, **rest}

    def interaction_payload(self, user: User) -> dict[str, Any]:
        """`PostSignIn` / `PostRegister`."""
        payload: dict[str, Any] = {
            "interactionEvent": self.interaction_event,
            "createdAt": iso_now(),
            "sessionId": self.session_id,
        }
        if self.user_agent:
            payload["userAgent"] = self.user_agent
        payload.update(userId=user.id, userIp=self.ip, user=user_info(user))
        if self.application:
            payload["application"] = self.application
        return payload


def after_sign_in(
    emu: Emulator,
    request: Request,
    client_id: str,
    user: User,
    session_id: str,
    *,
    registered: bool,
    organization_ids: Sequence[str] = (),
) -> None:
    user.last_sign_in_at = now_ms()  # as Logto records every sign-in, registration included
    app = emu.state.applications.get(client_id)
    context = InteractionContext(
        interaction_event="Register" if registered else "SignIn",
        session_id=session_id,
        application=(
            {"id": app.id, "type": app.type, "name": app.name, "description": app.description}
            if app
            else None
        ),
        ip=client_ip(request),
        user_agent=request.headers.get("User-Agent"),
    )
    if registered:
        emu.webhooks.emit("User.Created", context.data_payload(data=user_info(user)))
    for org in _organizations_to_join(emu, user, registered, organization_ids):
        added = provision(org, user)
        delta = {"addedUserIds": [user.id]} if added else {}
        emu.webhooks.emit(
            "Organization.Membership.Updated", context.data_payload(organizationId=org.id, **delta)
        )
    event = "PostRegister" if registered else "PostSignIn"
    emu.webhooks.emit(event, context.interaction_payload(user))


def _organizations_to_join(
    emu: Emulator, user: User, registered: bool, organization_ids: Sequence[str]
) -> list[Organization]:
    found: dict[str, Organization] = {}
    if registered and user.primary_email:
        found.update(
            (org.id, org) for org in organizations_for_domain(emu.state, user.primary_email)
        )
    for org_id in organization_ids:
        org = emu.state.organizations.get(org_id)
        if org is not None:
            found.setdefault(org.id, org)
    return list(found.values())

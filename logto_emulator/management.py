"""The Management API half of the emulator (`/api/...`), with Logto's shapes, codes and rules.

Sources: Logto's routes and libraries (packages/core/src/routes/organization*, libraries/
organization-invitation.ts), its OpenAPI document and shared/logto/BEHAVIOUR.md.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

import jwt
from werkzeug.wrappers import Request, Response

from logto_emulator import tenant_settings
from logto_emulator.applications import (
    application_json,
    require_role_type,
)  # added: M2M roles are for apps
from logto_emulator.errors import (
    ApiError,
    json_response,
    not_exists_with_id,
    not_found,
    text_response,
)
from logto_emulator.state import (
    EmailMessage,
    Invitation,
    Organization,
    OrganizationRole,
    OrganizationScope,
    new_id,
    now_ms,
)
from logto_emulator.user_search import user_matcher
from logto_emulator.validation import (
    Pagination,
    contains_match,
    enum_issue,
    is_email,
    issue,
    json_body,
    string_field,
    string_list,
    type_issue,
)

if TYPE_CHECKING:
    from logto_emulator.app import Emulator


MESSAGE_LIMIT = 10  # sends per recipient per window (observed)
MESSAGE_WINDOW_MS = 600_000


def no_content() -> Response:
    return Response(status=204)


def created_text() -> Response:
    """A relation POST: Logto sets 201 without a body, so Koa sends its status text."""
    return text_response(201, "Created")


def invalid_request(details: str, status: int = 422) -> ApiError:
    # Logto passes the details into the message only; the body has no `details` key.
    return ApiError(status, "request.invalid_input", f"Input is invalid. {details}")


def empty_value_list() -> ApiError:
    """What Logto answers when a write has nothing to write (an empty insert or update)."""
    return ApiError(422, "entity.invalid_input", "Invalid input. Value list must not be empty.")


def foreign_key_missing() -> ApiError:
    return ApiError(
        422,
        "entity.relation_foreign_key_not_found",
        "Cannot find one or more foreign keys, please check the input.",
    )


class ManagementApi:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.state = emu.state
        self.message_log: dict[str, list[int]] = {}

    # -- helpers -------------------------------------------------------------------------------
    def _org(self, org_id: str, *, code: str = "not_exists_with_id") -> Organization:
        org = self.state.organizations.get(org_id)
        if org is None:
            if code == "not_found":
                raise not_found("organization")
            raise not_exists_with_id("organization", org_id)
        return org

    def _role(self, role_id: str) -> OrganizationRole:
        role = self.state.organization_roles.get(role_id)
        if role is None:
            raise not_found("organization role")
        return role

    def _invitation(self, invitation_id: str) -> Invitation:
        invitation = self.state.invitations.get(invitation_id)
        if invitation is None:
            raise not_found("organization invitation")
        return invitation

    def _check_roles(self, role_ids: list[str]) -> None:
        if any(rid not in self.state.organization_roles for rid in role_ids):
            raise foreign_key_missing()

    def _member_json(self, org: Organization, user_id: str) -> dict[str, Any]:
        data = self.state.users[user_id].to_api()
        del data["hasPassword"]  # members are read with Logto's userInfoSelectFields
        return {**data, "organizationRoles": self.state.roles_brief(org.members[user_id])}

    def _role_json(self, role: OrganizationRole, *, with_scopes: bool = False) -> dict[str, Any]:
        data = role.to_api()
        if with_scopes:
            data["scopes"] = [
                {"id": sid, "name": self.state.organization_scopes[sid].name}
                for sid in role.scope_ids
                if sid in self.state.organization_scopes
            ]
            data["resourceScopes"] = self.state.resource_scopes_brief(role.resource_scope_ids)
        return data

    def _invitation_json(self, invitation: Invitation) -> dict[str, Any]:
        return {
            "tenantId": "default",
            "id": invitation.id,
            "inviterId": invitation.inviter_id,
            "invitee": invitation.invitee,
            "acceptedUserId": invitation.accepted_user_id,
            "organizationId": invitation.organization_id,
            "status": invitation.effective_status(),
            "createdAt": invitation.created_at,
            "updatedAt": invitation.updated_at,
            "expiresAt": invitation.expires_at,
            "organizationRoles": self.state.roles_brief(invitation.role_ids),
        }

    @staticmethod
    def _page(request: Request, items: list, *, optional: bool = False) -> Response:
        page_items, headers = Pagination(request, optional=optional).apply(items)
        return json_response(page_items, headers=headers)

    # -- organizations -------------------------------------------------------------------------
    def organizations_list(self, request: Request) -> Response:
        pagination = Pagination(request)
        q = request.args.get("q", "")
        # No ORDER BY in Logto: rows come in heap order, which is insertion order with
        # updated rows at the end (organization_update moves them there).
        orgs = [o for o in self.state.organizations.values() if contains_match(q, o.id, o.name)]
        page, headers = pagination.apply(orgs)
        featured = request.args.get("showFeatured") in ("true", "1")
        body = []
        for org in page:
            data = org.to_api()
            if featured:
                data["usersCount"] = len(org.members)
                data["featuredUsers"] = [
                    {
                        "id": uid,
                        "avatar": self.state.users[uid].avatar,
                        "name": self.state.users[uid].name,
                    }
                    for uid in list(org.members)[:3]
                ]
            body.append(data)
        return json_response(body, headers=headers)

    def organization_create(self, request: Request) -> Response:
        body = json_body(request)
        name = string_field(body, "name", required=True, min_length=1, max_length=128)
        description = string_field(body, "description", max_length=256, nullable=True)
        custom_data = body.get("customData", {})
        if not isinstance(custom_data, dict):
            raise type_issue("customData", "object", custom_data)
        mfa = body.get("isMfaRequired", False)
        if not isinstance(mfa, bool):
            raise type_issue("isMfaRequired", "boolean", mfa)
        org = Organization(
            id=new_id(),
            name=name,
            description=description,
            custom_data=custom_data,
            is_mfa_required=mfa,
        )
        self.state.organizations[org.id] = org
        return json_response(org.to_api(), status=201)

    def organization_get(self, request: Request, org_id: str) -> Response:
        return json_response(self._org(org_id).to_api())

    def organization_update(self, request: Request, org_id: str) -> Response:
        body = json_body(request)
        name = string_field(body, "name", min_length=1, max_length=128)
        description = string_field(body, "description", max_length=256, nullable=True)
        if "customData" in body and not isinstance(body["customData"], dict):
            raise type_issue("customData", "object", body["customData"])
        if "isMfaRequired" in body and not isinstance(body["isMfaRequired"], bool):
            raise type_issue("isMfaRequired", "boolean", body["isMfaRequired"])
        if not set(body) & {"name", "description", "customData", "isMfaRequired"}:
            raise empty_value_list()  # nothing to set: the UPDATE has an empty SET list
        org = self.state.organizations.get(org_id)
        if org is None:
            # Logto's failed `update … returning *` (UpdateError), not the findById 404.
            raise ApiError(404, "entity.not_exists", "The organization does not exist.")
        # An UPDATE writes a new row version at the end of the heap.
        self.state.organizations[org_id] = self.state.organizations.pop(org_id)
        if name is not None:
            org.name = name
        if "description" in body:
            org.description = description
        if "customData" in body:
            org.custom_data = body["customData"]
        if "isMfaRequired" in body:
            org.is_mfa_required = body["isMfaRequired"]
        return json_response(org.to_api())

    def organization_delete(self, request: Request, org_id: str) -> Response:
        self._org(org_id, code="not_found")
        del self.state.organizations[org_id]
        for inv_id in [
            i.id for i in self.state.invitations.values() if i.organization_id == org_id
        ]:
            del self.state.invitations[inv_id]
        return no_content()

    # -- members -------------------------------------------------------------------------------
    def members_list(self, request: Request, org_id: str) -> Response:
        pagination = Pagination(request)
        org = self.state.organizations.get(org_id)
        if org is None:
            # Logto joins the relation table without checking the organization: no rows.
            items, headers = pagination.apply([])
            return json_response(items, headers=headers)
        q = request.args.get("q", "")
        role_filter = request.args.get("organizationRoleId")
        members = []
        for uid, role_ids in org.members.items():
            user = self.state.users.get(uid)
            if user is None or (role_filter and role_filter not in role_ids):
                continue
            # Logto's user search keys; primaryPhone is always empty here.
            if contains_match(q, user.id, user.primary_email, None, user.username, user.name):
                members.append(uid)
        members.sort()  # ORDER BY user id
        page, headers = pagination.apply(members)
        return json_response([self._member_json(org, uid) for uid in page], headers=headers)

    def members_add(self, request: Request, org_id: str) -> Response:
        body = json_body(request)
        user_ids = string_list(body, "userIds", required=True, nonempty=True)
        org = self.state.organizations.get(org_id)
        # Logto inserts the relation rows without looking the organization up first.
        if org is None or any(uid not in self.state.users for uid in user_ids):
            raise foreign_key_missing()
        for uid in user_ids:
            org.members.setdefault(uid, [])  # idempotent: existing members keep their roles
        return json_response({"userIds": user_ids}, status=201)

    def member_remove(self, request: Request, org_id: str, user_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        if org is None or user_id not in org.members:
            raise not_found("organization user relation")
        del org.members[user_id]  # also drops the member's organization roles
        return no_content()

    def _membership(self, org_id: str, user_id: str) -> Organization:
        org = self.state.organizations.get(org_id)
        if org is None or user_id not in org.members:
            raise ApiError(
                422,
                "organization.require_membership",
                "The user must be a member of the organization.",
            )
        return org

    def _role_ids_from_body(self, body: dict) -> list[str]:
        role_ids = string_list(body, "organizationRoleIds")
        names = string_list(body, "organizationRoleNames")
        missing = [n for n in names if self.state.role_by_name(n) is None]
        if missing:
            raise ApiError(
                422,
                "organization.role_names_not_found",
                f"Organization roles not found: {', '.join(missing)}.",
            )
        role_ids = list(dict.fromkeys(role_ids + [self.state.role_by_name(n).id for n in names]))
        self._check_roles(role_ids)
        require_role_type(self.state, role_ids, "User")  # added: M2M roles are for apps only
        return role_ids

    def member_roles_list(self, request: Request, org_id: str, user_id: str) -> Response:
        org = self._membership(org_id, user_id)
        roles = [self.state.organization_roles[rid].to_api() for rid in org.members[user_id]]
        return self._page(request, roles, optional=True)

    def member_roles_add(self, request: Request, org_id: str, user_id: str) -> Response:
        org = self._membership(org_id, user_id)
        role_ids = self._role_ids_from_body(json_body(request))
        if not role_ids:
            raise empty_value_list()
        current = org.members[user_id]
        current.extend(rid for rid in role_ids if rid not in current)
        return json_response({"organizationRoleIds": role_ids}, status=201)

    def member_roles_replace(self, request: Request, org_id: str, user_id: str) -> Response:
        org = self._membership(org_id, user_id)
        org.members[user_id] = self._role_ids_from_body(json_body(request))
        return no_content()

    def members_roles_add(self, request: Request, org_id: str) -> Response:
        body = json_body(request)
        user_ids = string_list(body, "userIds", required=True, nonempty=True)
        role_ids = string_list(body, "organizationRoleIds", required=True, nonempty=True)
        org = self.state.organizations.get(org_id)
        if org is None:
            raise foreign_key_missing()
        self._check_roles(role_ids)
        if any(uid not in org.members for uid in user_ids):
            raise foreign_key_missing()
        require_role_type(self.state, role_ids, "User")  # added: M2M roles are for apps only
        for uid in user_ids:
            current = org.members[uid]
            current.extend(rid for rid in role_ids if rid not in current)
        return created_text()

    def member_scopes(self, request: Request, org_id: str, user_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        if org is None:
            return json_response([])
        names = self.state.user_scope_names(org, user_id)
        return json_response([self.state.scope_by_name(n).to_api() for n in names])

    # -- users ---------------------------------------------------------------------------------
    def user_get(self, request: Request, user_id: str) -> Response:
        user = self.state.users.get(user_id)
        if user is None:
            raise not_found("user")
        return json_response(user.to_api())

    def users_list(self, request: Request) -> Response:
        pagination = Pagination(request)
        selected = user_matcher(request.args)
        users = [u for u in self.state.users.values() if selected(u)]
        users.sort(key=lambda u: u.created_at, reverse=True)
        page, headers = pagination.apply(users)
        return json_response([u.to_api() for u in page], headers=headers)

    def user_roles(self, request: Request, user_id: str) -> Response:
        user = self.state.users.get(user_id)
        if user is None:
            raise not_found("user")
        roles = [
            {
                "tenantId": "default",
                "id": self.state.global_role_id(name),
                "name": name,
                "description": name,
                "type": "User",
                "isDefault": False,
            }
            for name in user.global_roles
        ]
        return self._page(request, roles)  # always paginated, unlike most relation lists

    def user_organizations(self, request: Request, user_id: str) -> Response:
        if user_id not in self.state.users:
            raise not_found("user")
        return json_response(
            [
                {**org.to_api(), "organizationRoles": self.state.roles_brief(org.members[user_id])}
                for org in self.state.organizations.values()
                if user_id in org.members
            ]
        )

    # -- organization template -------------------------------------------------------------------
    def roles_list(self, request: Request) -> Response:
        pagination = Pagination(request)
        q = request.args.get("q", "")
        roles = sorted(
            (
                r
                for r in self.state.organization_roles.values()
                if contains_match(q, r.id, r.name, r.description)
            ),
            key=lambda r: r.name,  # ORDER BY name; code-point order, as the observed collation
        )
        page, headers = pagination.apply(roles)
        return json_response([self._role_json(r, with_scopes=True) for r in page], headers=headers)

    def role_create(self, request: Request) -> Response:
        body = json_body(request)
        name = string_field(body, "name", required=True, min_length=1, max_length=128)
        description = string_field(body, "description", max_length=256, nullable=True)
        role_type = body.get("type", "User")
        if role_type not in ("User", "MachineToMachine"):
            raise enum_issue("type", ["User", "MachineToMachine"], role_type)
        scope_ids = string_list(body, "organizationScopeIds")
        resource_scope_ids = string_list(body, "resourceScopeIds")
        if self.state.role_by_name(name):
            raise _unique_violation()
        if any(sid not in self.state.organization_scopes for sid in scope_ids) or any(
            sid not in self.state.resource_scopes for sid in resource_scope_ids
        ):
            raise foreign_key_missing()
        role = OrganizationRole(
            id=new_id(21),
            name=name,
            description=description,
            type=role_type,
            scope_ids=scope_ids,
            resource_scope_ids=resource_scope_ids,
        )
        self.state.organization_roles[role.id] = role
        return json_response(role.to_api(), status=201)

    def role_get(self, request: Request, role_id: str) -> Response:
        return json_response(self._role(role_id).to_api())

    def role_scopes_list(self, request: Request, role_id: str) -> Response:
        role = self._role(role_id)
        scopes = sorted(
            (self.state.organization_scopes[sid] for sid in role.scope_ids), key=lambda s: s.name
        )
        return self._page(request, [scope.to_api() for scope in scopes], optional=True)

    def role_scopes_add(self, request: Request, role_id: str) -> Response:
        body = json_body(request)
        scope_ids = string_list(body, "organizationScopeIds", required=True, nonempty=True)
        role = self.state.organization_roles.get(role_id)
        # A plain relation insert: an unknown role or scope breaks a foreign key.
        if role is None or any(sid not in self.state.organization_scopes for sid in scope_ids):
            raise foreign_key_missing()
        role.scope_ids.extend(sid for sid in scope_ids if sid not in role.scope_ids)
        return created_text()

    def role_scopes_replace(self, request: Request, role_id: str) -> Response:
        body = json_body(request)
        scope_ids = string_list(body, "organizationScopeIds", required=True)
        role = self.state.organization_roles.get(role_id)
        if role is None:
            # Observed: the same list that POST refuses with a foreign-key error answers 204
            # here (DIVERGENCES #15, "no check at all"), and nothing is stored.
            return no_content()
        if any(sid not in self.state.organization_scopes for sid in scope_ids):
            raise foreign_key_missing()
        role.scope_ids = list(dict.fromkeys(scope_ids))
        return no_content()

    def scopes_list(self, request: Request) -> Response:
        q = request.args.get("q", "")
        scopes = sorted(
            (s for s in self.state.organization_scopes.values() if contains_match(q, s.name)),
            key=lambda s: s.name,
        )
        return self._page(request, [s.to_api() for s in scopes], optional=True)

    def scope_create(self, request: Request) -> Response:
        body = json_body(request)
        name = string_field(body, "name", required=True, min_length=1, max_length=128)
        description = string_field(body, "description", max_length=256, nullable=True)
        if self.state.scope_by_name(name):
            raise _unique_violation()
        scope = OrganizationScope(id=new_id(21), name=name, description=description)
        self.state.organization_scopes[scope.id] = scope
        return json_response(scope.to_api(), status=201)

    # -- invitations ---------------------------------------------------------------------------
    def invitations_list(self, request: Request) -> Response:
        args = request.args
        invitations = [
            i
            for i in self.state.invitations.values()
            if (not args.get("organizationId") or i.organization_id == args["organizationId"])
            and (not args.get("inviterId") or i.inviter_id == args["inviterId"])
            and (not args.get("invitee") or i.invitee.lower() == args["invitee"].lower())
        ]
        invitations.sort(key=lambda i: i.created_at, reverse=True)
        return json_response([self._invitation_json(i) for i in invitations])

    def invitation_create(self, request: Request) -> Response:
        body = json_body(request)
        invitee = string_field(body, "invitee", required=True)
        if not is_email(invitee):
            raise issue("invitee", "Invalid email", "invalid_string", validation="email")
        organization_id = string_field(body, "organizationId", required=True, min_length=1)
        inviter_id = string_field(body, "inviterId", nullable=True)
        if "expiresAt" not in body:
            raise type_issue("expiresAt", "number")
        expires_at = body["expiresAt"]
        if not isinstance(expires_at, int | float) or isinstance(expires_at, bool):
            raise type_issue("expiresAt", "number", expires_at)
        role_ids = string_list(body, "organizationRoleIds")
        payload = body.get("messagePayload", False)
        if payload is not False and not isinstance(payload, dict):
            raise issue("messagePayload", "Invalid input", "invalid_union", unionErrors=[])
        if expires_at <= now_ms():
            raise invalid_request("The value of `expiresAt` must be in the future.", status=400)
        org = self.state.organizations.get(organization_id)
        if org is None or (inviter_id and inviter_id not in self.state.users):
            raise foreign_key_missing()
        self._check_roles(role_ids)
        # Case-sensitive membership check, as Logto's (observed quirk).
        if any(self.state.users[uid].primary_email == invitee for uid in org.members):
            raise invalid_request("The invitee is already a member of the organization.")
        for other in self.state.invitations.values():
            if (
                other.organization_id == organization_id
                and other.invitee == invitee
                and other.status == "Pending"
            ):
                if other.effective_status() == "Expired":
                    other.status = "Expired"  # Logto expires stale rows before inserting
                else:
                    raise _unique_violation()
        invitation = Invitation(
            id=new_id(21),
            invitee=invitee,
            organization_id=organization_id,
            expires_at=int(expires_at),
            inviter_id=inviter_id,
            role_ids=list(dict.fromkeys(role_ids)),
        )
        if payload:
            self._send_invitation_email(invitation, payload)
        self.state.invitations[invitation.id] = invitation
        return json_response(self._invitation_json(invitation), status=201)

    def invitation_get(self, request: Request, invitation_id: str) -> Response:
        return json_response(self._invitation_json(self._invitation(invitation_id)))

    def invitation_delete(self, request: Request, invitation_id: str) -> Response:
        self._invitation(invitation_id)
        del self.state.invitations[invitation_id]
        return no_content()

    def invitation_status(self, request: Request, invitation_id: str) -> Response:
        invitation = self._invitation(invitation_id)
        body = json_body(request)
        status = body.get("status")
        if status not in ("Accepted", "Revoked"):
            raise enum_issue("status", ["Accepted", "Revoked"], status)
        accepted_user_id = string_field(body, "acceptedUserId", nullable=True)
        if invitation.effective_status() != "Pending":
            raise invalid_request("The status of the invitation cannot be changed anymore.")
        if status == "Accepted":
            if not accepted_user_id:
                raise invalid_request("The `acceptedUserId` is required when accepting.")
            user = self.state.users.get(accepted_user_id)
            if user is None:
                raise not_found("user")
            if (user.primary_email or "").lower() != invitation.invitee.lower():
                raise invalid_request("The accepted user must have the same email as the invitee.")
            org = self.state.organizations.get(invitation.organization_id)
            if org is None:
                raise foreign_key_missing()
            current = org.members.setdefault(user.id, [])
            current.extend(rid for rid in invitation.role_ids if rid not in current)
            invitation.accepted_user_id = user.id
        invitation.status = status
        invitation.updated_at = now_ms()
        return json_response(self._invitation_json(invitation))

    def invitation_message(self, request: Request, invitation_id: str) -> Response:
        invitation = self._invitation(invitation_id)
        body = json_body(request)
        for name in ("code", "link", "locale", "uiLocales"):
            string_field(body, name)
        # Observed quirk: sending works for any status, expired included.
        self._send_invitation_email(invitation, body)
        return no_content()

    def _send_invitation_email(self, invitation: Invitation, payload: dict) -> None:
        if not self.state.email_connector:
            raise tenant_settings.connector_not_found()
        recipient = invitation.invitee.lower()
        now = now_ms()
        recent = [t for t in self.message_log.get(recipient, []) if now - t < MESSAGE_WINDOW_MS]
        if len(recent) >= MESSAGE_LIMIT:
            raise ApiError(
                429, "request.message_rate_limited", "Too many messages sent. Try again later."
            )
        self.message_log[recipient] = [*recent, now]
        org = self.state.organizations.get(invitation.organization_id)
        inviter = self.state.users.get(invitation.inviter_id or "")
        context: dict[str, Any] = {
            **payload,
            "organization": {"id": org.id, "name": org.name} if org else None,
        }
        if inviter:
            context["inviter"] = {
                "id": inviter.id,
                "name": inviter.name,
                "primaryEmail": inviter.primary_email,
            }
        self.state.outbox.append(
            EmailMessage(to=invitation.invitee, template="OrganizationInvitation", payload=context)
        )

    # -- applications (read-only, for `logto_check`) -----------------------------------------------
    def application_get(self, request: Request, app_id: str) -> Response:
        app = self.state.applications.get(app_id)
        if app is None:
            raise not_exists_with_id("application", app_id)
        return json_response({**application_json(app), "isAdmin": False})


def _unique_violation() -> ApiError:
    return ApiError(
        422, "entity.unique_integrity_violation", "The entity already exists or is in use."
    )


ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler)
    ("GET", "/organizations", "organizations.list", "organizations_list"),
    ("POST", "/organizations", "organizations.create", "organization_create"),
    ("GET", "/organizations/<org_id>", "organizations.get", "organization_get"),
    ("PATCH", "/organizations/<org_id>", "organizations.update", "organization_update"),
    ("DELETE", "/organizations/<org_id>", "organizations.delete", "organization_delete"),
    ("GET", "/organizations/<org_id>/users", "organizations.users.list", "members_list"),
    ("POST", "/organizations/<org_id>/users", "organizations.users.add", "members_add"),
    (
        "POST",
        "/organizations/<org_id>/users/roles",
        "organizations.users.roles.bulk",
        "members_roles_add",
    ),
    (
        "DELETE",
        "/organizations/<org_id>/users/<user_id>",
        "organizations.users.remove",
        "member_remove",
    ),
    (
        "GET",
        "/organizations/<org_id>/users/<user_id>/roles",
        "organizations.users.roles.list",
        "member_roles_list",
    ),
    (
        "POST",
        "/organizations/<org_id>/users/<user_id>/roles",
        "organizations.users.roles.add",
        "member_roles_add",
    ),
    (
        "PUT",
        "/organizations/<org_id>/users/<user_id>/roles",
        "organizations.users.roles.replace",
        "member_roles_replace",
    ),
    (
        "GET",
        "/organizations/<org_id>/users/<user_id>/scopes",
        "organizations.users.scopes",
        "member_scopes",
    ),
    # JIT email domains and roles: jit.py.
    ("GET", "/users", "users.list", "users_list"),
    ("GET", "/users/<user_id>", "users.get", "user_get"),
    ("GET", "/users/<user_id>/organizations", "users.organizations", "user_organizations"),
    ("GET", "/users/<user_id>/roles", "users.roles", "user_roles"),
    ("GET", "/organization-roles", "organization_roles.list", "roles_list"),
    ("POST", "/organization-roles", "organization_roles.create", "role_create"),
    ("GET", "/organization-roles/<role_id>", "organization_roles.get", "role_get"),
    (
        "GET",
        "/organization-roles/<role_id>/scopes",
        "organization_roles.scopes.list",
        "role_scopes_list",
    ),
    (
        "POST",
        "/organization-roles/<role_id>/scopes",
        "organization_roles.scopes.add",
        "role_scopes_add",
    ),
    (
        "PUT",
        "/organization-roles/<role_id>/scopes",
        "organization_roles.scopes.replace",
        "role_scopes_replace",
    ),
    ("GET", "/organization-scopes", "organization_scopes.list", "scopes_list"),
    ("POST", "/organization-scopes", "organization_scopes.create", "scope_create"),
    ("GET", "/organization-invitations", "invitations.list", "invitations_list"),
    ("POST", "/organization-invitations", "invitations.create", "invitation_create"),
    ("GET", "/organization-invitations/<invitation_id>", "invitations.get", "invitation_get"),
    (
        "DELETE",
        "/organization-invitations/<invitation_id>",
        "invitations.delete",
        "invitation_delete",
    ),
    (
        "PUT",
        "/organization-invitations/<invitation_id>/status",
        "invitations.status",
        "invitation_status",
    ),
    (
        "POST",
        "/organization-invitations/<invitation_id>/message",
        "invitations.message",
        "invitation_message",
    ),
    ("GET", "/applications/<app_id>", "applications.get", "application_get"),
]


def register(emu: Emulator, route: Callable) -> ManagementApi:
    api = ManagementApi(emu)
    for methods, path, name, handler in ROUTES:
        route(methods, "/api" + path, name, _bearer_required(emu, getattr(api, handler)))
    return api


def _bearer_required(emu: Emulator, handler: Callable) -> Callable:
    """Logto's Management API guard: a JWT for the management resource with scope `all`."""

    @wraps(handler)
    def guarded(request: Request, **params) -> Response:
        header = request.headers.get("Authorization")
        if not header:
            raise ApiError(
                401, "auth.authorization_header_missing", "Authorization header is missing."
            )
        if not header.startswith("Bearer "):
            raise ApiError(
                401,
                "auth.authorization_token_type_not_supported",
                "Authorization type is not supported.",
                {"supportedTypes": ["Bearer"]},
            )
        try:
            claims = emu.oidc.decode_access_token(header[7:], audience=emu.management_api_resource)
        except jwt.InvalidTokenError as exc:
            raise ApiError(
                401,
                "auth.unauthorized",
                "Unauthorized. Please check credentials and its scope.",
                _jose_error(exc),
            ) from None
        if "all" not in str(claims.get("scope", "")).split():
            raise ApiError(403, "auth.forbidden", "Forbidden. Please check your permissions.")
        return handler(request, **params)

    return guarded


def _jose_error(exc: jwt.InvalidTokenError) -> dict[str, str] | None:
    """The `data` Logto adds to `auth.unauthorized`: the error of its JWT library (jose).

    Only a token that is not a JWS at all was observed (`JWSInvalid`); other failures keep
    no `data` rather than guess."""
    if isinstance(exc, jwt.DecodeError) and not isinstance(exc, jwt.InvalidSignatureError):
        return {"code": "ERR_JWS_INVALID", "name": "JWSInvalid"}
    return None

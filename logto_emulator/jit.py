"""Organization just-in-time provisioning: email domains and default roles (`/jit/...`).

Facts: BEHAVIOUR.md "Organization JIT provisioning". Domains are stored as typed and compared
case-sensitively; sub-resources of an unknown organization list as empty and refuse writes
with a foreign-key error instead of a 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from logto_emulator.errors import ApiError, json_response, not_found
from logto_emulator.state import TENANT_ID, Organization, TenantState, User
from logto_emulator.validation import Pagination, issue, json_body, string_field, string_list

if TYPE_CHECKING:
    from logto_emulator.app import Emulator


def created() -> Response:
    """Logto's relation POSTs answer 201 with a plain-text body."""
    return Response("Created", status=201, content_type="text/plain; charset=utf-8")


def no_content() -> Response:
    return Response(status=204)


def foreign_key_missing() -> ApiError:
    return ApiError(
        422,
        "entity.relation_foreign_key_not_found",
        "Cannot find one or more foreign keys, please check the input.",
    )


def unique_violation() -> ApiError:
    return ApiError(
        422, "entity.unique_integrity_violation", "The entity already exists or is in use."
    )


def page(request: Request, items: list, *, optional: bool) -> Response:
    rows, headers = Pagination(request, optional=optional).apply(items)
    return json_response(rows, headers=headers)


def email_domain(email: str) -> str:
    """The text after the `@`, as typed (Logto compares it exactly)."""
    return email.rsplit("@", 1)[-1] if "@" in email else ""


def organizations_for_domain(state: TenantState, email: str) -> list[Organization]:
    domain = email_domain(email)
    return [org for org in state.organizations.values() if domain in org.jit_email_domains]


def provision(org: Organization, user: User) -> bool:
    """Add `user` with the organization's JIT roles; True when they were not a member before."""
    is_new = user.id not in org.members
    roles = org.members.setdefault(user.id, [])
    roles.extend(rid for rid in org.jit_role_ids if rid not in roles)
    return is_new


class JitApi:
    def __init__(self, emu: Emulator) -> None:
        self.state = emu.state

    def _org_for_write(self, org_id: str) -> Organization:
        org = self.state.organizations.get(org_id)
        if org is None:
            raise foreign_key_missing()
        return org

    # -- email domains -------------------------------------------------------------------------
    def _domain_row(self, org_id: str, domain: str) -> dict[str, str]:
        return {"tenantId": TENANT_ID, "organizationId": org_id, "emailDomain": domain}

    def domains_list(self, request: Request, org_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        # Sorted by domain in practice (byte order: upper case first).
        domains = sorted(org.jit_email_domains) if org else []
        return page(request, [self._domain_row(org_id, d) for d in domains], optional=True)

    def domain_add(self, request: Request, org_id: str) -> Response:
        domain = string_field(json_body(request), "emailDomain", required=True, min_length=1)
        org = self._org_for_write(org_id)
        if domain in org.jit_email_domains:
            raise unique_violation()
        org.jit_email_domains.append(domain)
        return json_response(self._domain_row(org_id, domain), status=201)

    def domains_replace(self, request: Request, org_id: str) -> Response:
        body = json_body(request)
        domains = body.get("emailDomains")
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise issue("emailDomains", "Expected an array of strings")
        org = self._org_for_write(org_id)
        if len(set(domains)) != len(domains):
            # One transaction in Logto: the duplicate insert fails and the old set stays.
            raise unique_violation()
        org.jit_email_domains = list(domains)
        return no_content()

    def domain_delete(self, request: Request, org_id: str, domain: str) -> Response:
        org = self.state.organizations.get(org_id)
        if org is None or domain not in org.jit_email_domains:
            raise not_found("organization JIT email domain")
        org.jit_email_domains.remove(domain)
        return no_content()

    # -- default roles -------------------------------------------------------------------------
    def _role_ids(self, request: Request, *, nonempty: bool) -> list[str]:
        role_ids = string_list(
            json_body(request), "organizationRoleIds", required=True, nonempty=nonempty
        )
        if any(rid not in self.state.organization_roles for rid in role_ids):
            raise foreign_key_missing()
        return list(dict.fromkeys(role_ids))

    def roles_list(self, request: Request, org_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        roles = [
            self.state.organization_roles[rid].to_api()
            for rid in (org.jit_role_ids if org else [])
            if rid in self.state.organization_roles
        ]
        for role in roles:
            role.pop("isDefault", None)  # the relation lists plain role rows
        return page(request, roles, optional=True)

    def roles_add(self, request: Request, org_id: str) -> Response:
        role_ids = self._role_ids(request, nonempty=True)
        org = self._org_for_write(org_id)
        org.jit_role_ids.extend(rid for rid in role_ids if rid not in org.jit_role_ids)
        return created()

    def roles_replace(self, request: Request, org_id: str) -> Response:
        role_ids = self._role_ids(request, nonempty=False)
        self._org_for_write(org_id).jit_role_ids = role_ids
        return no_content()

    def role_delete(self, request: Request, org_id: str, role_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        if org is None or role_id not in org.jit_role_ids:
            raise not_found("organization JIT role")
        org.jit_role_ids.remove(role_id)
        return no_content()


_DOMAINS = "/organizations/<org_id>/jit/email-domains"
_ROLES = "/organizations/<org_id>/jit/roles"
ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler)
    ("GET", _DOMAINS, "organizations.jit.list", "domains_list"),
    ("POST", _DOMAINS, "organizations.jit.add", "domain_add"),
    ("PUT", _DOMAINS, "organizations.jit.replace", "domains_replace"),
    ("DELETE", _DOMAINS + "/<domain>", "organizations.jit.delete", "domain_delete"),
    ("GET", _ROLES, "organizations.jit.roles.list", "roles_list"),
    ("POST", _ROLES, "organizations.jit.roles.add", "roles_add"),
    ("PUT", _ROLES, "organizations.jit.roles.replace", "roles_replace"),
    ("DELETE", _ROLES + "/<role_id>", "organizations.jit.roles.delete", "role_delete"),
]

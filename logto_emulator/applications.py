"""Machine-to-machine organization applications ("bots"): apps, secrets, organization
membership and roles, and their organization tokens (`client_credentials` + `organization_id`).

Facts: BEHAVIOUR.md "Organization applications". Only machine-to-machine apps join
organizations and hold `MachineToMachine` organization roles; users hold only `User` roles.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from logto_emulator.errors import ApiError, OAuthError, json_response, not_exists_with_id, not_found
from logto_emulator.jit import created, foreign_key_missing, no_content, page
from logto_emulator.state import (
    TENANT_ID,
    Application,
    ApplicationSecret,
    Organization,
    TenantState,
    new_id,
    new_secret,
    now_ms,
)
from logto_emulator.validation import contains_match, issue, json_body, string_field, string_list

if TYPE_CHECKING:
    from logto_emulator.app import Emulator
    from logto_emulator.oidc import OidcProvider

APPLICATION_TYPES = ("Native", "SPA", "Traditional", "MachineToMachine", "Protected", "SAML")
TYPES_WITH_SECRETS = ("Traditional", "MachineToMachine", "Protected")
TOKEN_TTL = 3600


def constraint_violated() -> ApiError:
    """What Logto answers when a relation breaks a type rule (a User role on an app...)."""
    return ApiError(422, "entity.db_constraint_violated", "Database constraint violated.")


def require_membership() -> ApiError:
    return ApiError(
        422,
        "organization.require_membership",
        "The application must be a member of the organization.",
    )


def require_role_type(state: TenantState, role_ids: list[str], role_type: str) -> None:
    """Users hold `User` organization roles, apps `MachineToMachine` ones (a DB constraint)."""
    for rid in role_ids:
        role = state.organization_roles.get(rid)
        if role is not None and role.type != role_type:
            raise constraint_violated()


def application_json(app: Application) -> dict[str, Any]:
    """An application as Logto returns it; the secret is never in it (read /secrets)."""
    return {
        "tenantId": TENANT_ID,
        "id": app.id,
        "name": app.name,
        "description": app.description,
        "type": app.type,
        "oidcClientMetadata": {
            "redirectUris": app.redirect_uris,
            "postLogoutRedirectUris": app.post_logout_redirect_uris,
        },
        "customClientMetadata": {},
        "protectedAppMetadata": None,
        "customData": {},
        "isThirdParty": False,
        "appLevelAccessControlEnabled": False,
        "createdAt": app.created_at,
    }


def app_scope_names(state: TenantState, org: Organization, app_id: str) -> list[str]:
    """The organization permissions the app's roles in `org` grant."""
    names: dict[str, None] = {}
    for rid in org.applications.get(app_id, []):
        role = state.organization_roles.get(rid)
        for sid in role.scope_ids if role else []:
            if sid in state.organization_scopes:
                names[state.organization_scopes[sid].name] = None
    return list(names)


def app_resource_scope_names(
    state: TenantState, org: Organization, app_id: str, resource: str
) -> set[str]:
    """The API resource scopes of `resource` that the app's roles in `org` grant."""
    scope_ids = {
        sid
        for rid in org.applications.get(app_id, [])
        if rid in state.organization_roles
        for sid in state.organization_roles[rid].resource_scope_ids
    }
    return {
        state.resource_scopes[sid].name
        for sid in scope_ids
        if sid in state.resource_scopes and state.resource_scopes[sid].resource == resource
    }


def organization_token(provider: OidcProvider, request: Request, client: Application) -> Response:
    """`client_credentials` with `organization_id`: a token for the app in that organization.

    `aud` is the organization (or the API with `resource=`, then with an `organization_id`
    claim); `scope` holds only requested names the app's organization roles grant, and is
    left out when there are none. With `resource=`, `scope` holds the requested names that
    the app's organization roles grant as that API's resource scopes.
    """
    emu = provider.emu
    organization_id = request.form.get("organization_id", "")
    resource = request.form.get("resource")
    org = emu.state.organizations.get(organization_id)
    if org is None or client.id not in org.applications:
        raise OAuthError(403, "access_denied", "app has not associated with the organization")
    requested = list(dict.fromkeys(request.form.get("scope", "").split()))
    claims: dict[str, Any] = {"jti": secrets.token_urlsafe(16), "sub": client.id}
    now = int(time.time())
    claims.update(iat=now, exp=now + TOKEN_TTL)
    if resource:
        if resource not in emu.api_resources:
            raise OAuthError(400, "invalid_target", "resource indicator is missing or unknown")
        held = app_resource_scope_names(emu.state, org, client.id, resource)
        granted = [s for s in requested if s in held]
        audience, extra = resource, {"organization_id": organization_id}
    else:
        held = set(app_scope_names(emu.state, org, client.id))
        granted = [s for s in requested if s in held]
        audience, extra = f"urn:logto:organization:{organization_id}", {}
    if granted:
        claims["scope"] = " ".join(granted)
    claims.update(client_id=client.id, iss=emu.issuer, aud=audience, **extra)
    body: dict[str, Any] = {
        "access_token": emu.signing_key.sign(claims, typ="at+jwt"),
        "expires_in": TOKEN_TTL,
        "token_type": "Bearer",
    }
    if granted:
        body["scope"] = claims["scope"]
    return json_response(body, headers={"Cache-Control": "no-store"})


class ApplicationsApi:
    def __init__(self, emu: Emulator) -> None:
        self.state = emu.state

    def _app(self, app_id: str) -> Application:
        app = self.state.applications.get(app_id)
        if app is None:
            raise not_exists_with_id("application", app_id)
        return app

    # -- applications --------------------------------------------------------------------------
    def application_create(self, request: Request) -> Response:
        body = json_body(request)
        name = string_field(body, "name", required=True, min_length=1, max_length=256)
        description = string_field(body, "description", nullable=True)
        app_type = body.get("type")
        if app_type not in APPLICATION_TYPES:
            raise issue("type", f"Invalid enum value. Expected {' | '.join(APPLICATION_TYPES)}")
        metadata = body.get("oidcClientMetadata") or {}
        if not isinstance(metadata, dict):
            raise issue("oidcClientMetadata", "Expected object")
        if app_type == "Protected" and not body.get("protectedAppMetadata"):
            raise ApiError(
                400,
                "application.protected_app_metadata_is_required",
                "Protected app metadata is required.",
            )
        app = Application(
            id=new_id(21),
            secret=new_secret() if app_type in TYPES_WITH_SECRETS else "",
            type=app_type,
            name=name,
            redirect_uris=list(metadata.get("redirectUris") or []),
            post_logout_redirect_uris=list(metadata.get("postLogoutRedirectUris") or []),
            description=description,
        )
        self.state.applications[app.id] = app
        return json_response(application_json(app))  # 200, not 201, and no secret

    def applications_list(self, request: Request) -> Response:
        """`GET /applications?types=…&search=…`: `search` matches id, name and description
        (case-insensitive, anywhere in them); pagination is optional."""
        types = request.args.getlist("types")
        search = request.args.get("search", "")
        rows = [
            application_json(app)
            for app in self.state.applications.values()
            if (not types or app.type in types)
            and contains_match(search, app.id, app.name, app.description or "")
        ]
        return page(request, rows, optional=True)

    def application_delete(self, request: Request, app_id: str) -> Response:
        self._app(app_id)
        del self.state.applications[app_id]
        for org in self.state.organizations.values():
            org.applications.pop(app_id, None)  # memberships and roles go with the app
        return no_content()

    def application_organizations(self, request: Request, app_id: str) -> Response:
        self._app(app_id)
        orgs = [
            {**org.to_api(), "organizationRoles": self.state.roles_brief(org.applications[app_id])}
            for org in self.state.organizations.values()
            if app_id in org.applications
        ]
        return page(request, orgs, optional=False)

    # -- secrets -------------------------------------------------------------------------------
    def _secret(self, app: Application, name: str) -> ApplicationSecret | None:
        return next((s for s in app.secrets if s.name == name), None)

    def secrets_list(self, request: Request, app_id: str) -> Response:
        return json_response([s.to_api() for s in self._app(app_id).secrets])

    def secret_add(self, request: Request, app_id: str) -> Response:
        body = json_body(request)
        name = string_field(body, "name", required=True, min_length=1, max_length=256)
        expires_at = body.get("expiresAt")
        if expires_at is not None and (
            not isinstance(expires_at, int | float) or isinstance(expires_at, bool)
        ):
            raise issue("expiresAt", "Expected number")
        if expires_at is not None and expires_at <= now_ms():
            details = "The value of `expiresAt` must be in the future."
            raise ApiError(400, "request.invalid_input", f"Input is invalid. {details}")
        app = self.state.applications.get(app_id)
        if app is None:
            raise foreign_key_missing()
        if self._secret(app, name):
            raise _secret_name_exists(name)
        secret = ApplicationSecret(
            app.id, name, new_secret(), expires_at=int(expires_at) if expires_at else None
        )
        app.secrets.append(secret)
        return json_response(secret.to_api(), status=201)

    def secret_rename(self, request: Request, app_id: str, name: str) -> Response:
        new_name = string_field(
            json_body(request), "name", required=True, min_length=1, max_length=256
        )
        app = self.state.applications.get(app_id)
        secret = self._secret(app, name) if app else None
        if app is None or secret is None:
            raise ApiError(404, "entity.not_exists", "The application secret does not exist.")
        if new_name != name and self._secret(app, new_name):
            raise _secret_name_exists(new_name)
        secret.name = new_name
        return json_response(secret.to_api())

    def secret_delete(self, request: Request, app_id: str, name: str) -> Response:
        app = self.state.applications.get(app_id)
        secret = self._secret(app, name) if app else None
        if app is None or secret is None:
            raise not_found("application secret")
        app.secrets.remove(secret)
        return no_content()

    # -- organization membership ---------------------------------------------------------------
    def _m2m_app_ids(self, request: Request, *, nonempty: bool) -> list[str]:
        app_ids = string_list(
            json_body(request), "applicationIds", required=True, nonempty=nonempty
        )
        if any(aid not in self.state.applications for aid in app_ids):
            raise foreign_key_missing()
        if any(self.state.applications[aid].type != "MachineToMachine" for aid in app_ids):
            raise constraint_violated()
        return list(dict.fromkeys(app_ids))

    def _org_for_write(self, org_id: str) -> Organization:
        org = self.state.organizations.get(org_id)
        if org is None:
            raise foreign_key_missing()
        return org

    def org_apps_list(self, request: Request, org_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        q = request.args.get("q", "")
        rows = [
            {
                **application_json(self.state.applications[aid]),
                "organizationRoles": self.state.roles_brief(role_ids),
            }
            for aid, role_ids in (org.applications.items() if org else [])
            if aid in self.state.applications
            and contains_match(q, aid, self.state.applications[aid].name)
        ]
        return page(request, rows, optional=False)  # always paginated, even without params

    def org_apps_add(self, request: Request, org_id: str) -> Response:
        app_ids = self._m2m_app_ids(request, nonempty=True)
        org = self._org_for_write(org_id)
        for aid in app_ids:
            org.applications.setdefault(aid, [])  # idempotent: members keep their roles
        return created()

    def org_apps_replace(self, request: Request, org_id: str) -> Response:
        app_ids = self._m2m_app_ids(request, nonempty=False)
        org = self._org_for_write(org_id)
        org.applications = {aid: org.applications.get(aid, []) for aid in app_ids}
        return no_content()

    def org_app_remove(self, request: Request, org_id: str, app_id: str) -> Response:
        org = self.state.organizations.get(org_id)
        if org is None or app_id not in org.applications:
            raise not_found("organization application relation")
        del org.applications[app_id]  # its roles in the organization go too
        return no_content()

    # -- organization roles of an application -------------------------------------------------
    def _membership(self, org_id: str, app_id: str) -> Organization:
        org = self.state.organizations.get(org_id)
        if org is None or app_id not in org.applications:
            raise require_membership()
        return org

    def _app_role_ids(self, request: Request) -> list[str]:
        role_ids = string_list(
            json_body(request), "organizationRoleIds", required=True, nonempty=True
        )
        if any(rid not in self.state.organization_roles for rid in role_ids):
            raise foreign_key_missing()
        require_role_type(self.state, role_ids, "MachineToMachine")
        return list(dict.fromkeys(role_ids))

    def app_roles_list(self, request: Request, org_id: str, app_id: str) -> Response:
        org = self._membership(org_id, app_id)
        roles = []
        for rid in org.applications[app_id]:
            role = self.state.organization_roles[rid].to_api()
            role.pop("isDefault", None)  # the relation lists plain role rows
            roles.append(role)
        return page(request, roles, optional=False)

    def app_roles_add(self, request: Request, org_id: str, app_id: str) -> Response:
        org = self._membership(org_id, app_id)
        current = org.applications[app_id]
        current.extend(rid for rid in self._app_role_ids(request) if rid not in current)
        return created()

    def app_roles_replace(self, request: Request, org_id: str, app_id: str) -> Response:
        org = self._membership(org_id, app_id)
        org.applications[app_id] = self._app_role_ids(request)
        return no_content()

    def app_role_remove(self, request: Request, org_id: str, app_id: str, role_id: str) -> Response:
        org = self._membership(org_id, app_id)
        if role_id not in org.applications[app_id]:
            raise not_found("organization role application relation")
        org.applications[app_id].remove(role_id)
        return no_content()

    def apps_roles_add(self, request: Request, org_id: str) -> Response:
        body = json_body(request)
        app_ids = string_list(body, "applicationIds", required=True, nonempty=True)
        role_ids = string_list(body, "organizationRoleIds", required=True, nonempty=True)
        org = self._org_for_write(org_id)
        if any(rid not in self.state.organization_roles for rid in role_ids):
            raise foreign_key_missing()
        # The role relation points at the membership row: a non-member is a missing key.
        if any(aid not in org.applications for aid in app_ids):
            raise foreign_key_missing()
        require_role_type(self.state, role_ids, "MachineToMachine")
        for aid in app_ids:
            current = org.applications[aid]
            current.extend(rid for rid in role_ids if rid not in current)
        return created()


def _secret_name_exists(name: str) -> ApiError:
    return ApiError(
        422, "application.secret_name_exists", f"Secret with name {name!r} already exists."
    )


_ORG_APPS = "/organizations/<org_id>/applications"
_APP_ROLES = _ORG_APPS + "/<app_id>/roles"
ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler); GET /applications/<id> lives in management.py.
    ("GET", "/applications", "applications.list", "applications_list"),
    ("POST", "/applications", "applications.create", "application_create"),
    ("DELETE", "/applications/<app_id>", "applications.delete", "application_delete"),
    (
        "GET",
        "/applications/<app_id>/organizations",
        "applications.organizations",
        "application_organizations",
    ),
    ("GET", "/applications/<app_id>/secrets", "applications.secrets.list", "secrets_list"),
    ("POST", "/applications/<app_id>/secrets", "applications.secrets.add", "secret_add"),
    (
        "PATCH",
        "/applications/<app_id>/secrets/<name>",
        "applications.secrets.rename",
        "secret_rename",
    ),
    (
        "DELETE",
        "/applications/<app_id>/secrets/<name>",
        "applications.secrets.delete",
        "secret_delete",
    ),
    ("GET", _ORG_APPS, "organizations.applications.list", "org_apps_list"),
    ("POST", _ORG_APPS, "organizations.applications.add", "org_apps_add"),
    ("PUT", _ORG_APPS, "organizations.applications.replace", "org_apps_replace"),
    (
        "DELETE",
        _ORG_APPS + "/<app_id>",
        "organizations.applications.remove",
        "org_app_remove",
    ),
    ("POST", _ORG_APPS + "/roles", "organizations.applications.roles.bulk", "apps_roles_add"),
    ("GET", _APP_ROLES, "organizations.applications.roles.list", "app_roles_list"),
    ("POST", _APP_ROLES, "organizations.applications.roles.add", "app_roles_add"),
    ("PUT", _APP_ROLES, "organizations.applications.roles.replace", "app_roles_replace"),
    (
        "DELETE",
        _APP_ROLES + "/<role_id>",
        "organizations.applications.roles.remove",
        "app_role_remove",
    ),
]

"""The typed Logto Management API client. Views never call Logto; services call this."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from orgportal.logto import deadline, shared_reads
from orgportal.logto.errors import (
    NOT_CONFIGURED_CODES,
    AuthError,
    LogtoError,
    NotConfigured,
    NotFound,
    RateLimited,
    Unavailable,
    error_for_status,
)
from orgportal.logto.models import (
    Application,
    ApplicationOrganization,
    ApplicationSecret,
    Connector,
    Hook,
    HookDelivery,
    Invitation,
    InvitationStatus,
    Member,
    MfaSettings,
    MfaVerification,
    OneTimeToken,
    OneTimeTokenStatus,
    Organization,
    OrganizationApplication,
    OrganizationRole,
    OrganizationScope,
    Page,
    User,
    UserOrganization,
)
from orgportal.logto.tokens import M2MTokenProvider

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class LogtoClient:
    def __init__(
        self,
        *,
        endpoint: str,
        tokens: M2MTokenProvider,
        session: requests.Session,
        timeout: tuple[float, float],
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.tokens = tokens
        self._session = session
        self._timeout = timeout

    # -- organizations -----------------------------------------------------------------------
    def list_organizations(
        self,
        *,
        q: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        with_member_counts: bool = False,
    ) -> Page[Organization]:
        """Organizations whose id or name contains `q` (literal text, any case), in Logto's
        order: oldest first, edited ones last. `with_member_counts` fills `member_count`."""
        params = {"q": _contains(q), "showFeatured": "true" if with_member_counts else None}
        return self._page(
            Organization, "/api/organizations", page=page, page_size=page_size, params=params
        )

    def iter_organizations(
        self, *, q: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Organization]:
        return self._iter(self.list_organizations, q=q, page_size=page_size)

    def create_organization(
        self,
        *,
        name: str,
        description: str | None = None,
        custom_data: dict[str, Any] | None = None,
        is_mfa_required: bool | None = None,
    ) -> Organization:
        body = _without_none(
            name=name,
            description=description,
            customData=custom_data,
            isMfaRequired=is_mfa_required,
        )
        return Organization.from_api(self._request("POST", "/api/organizations", json=body).json())

    def get_organization(self, organization_id: str) -> Organization:
        data = self._request("GET", "/api/organizations/{}", organization_id).json()
        return Organization.from_api(data)

    def update_organization(self, organization_id: str, **fields: Any) -> Organization:
        """Change `name`, `description` (None clears it), `custom_data` or `is_mfa_required`."""
        names = {
            "name": "name",
            "description": "description",
            "custom_data": "customData",
            "is_mfa_required": "isMfaRequired",
        }
        unknown = set(fields) - set(names)
        if unknown:
            raise TypeError(f"unknown organization fields: {sorted(unknown)}")
        body = {names[key]: value for key, value in fields.items()}
        data = self._request("PATCH", "/api/organizations/{}", organization_id, json=body).json()
        return Organization.from_api(data)

    def delete_organization(self, organization_id: str) -> None:
        self._request("DELETE", "/api/organizations/{}", organization_id)

    # -- members -----------------------------------------------------------------------------
    def list_organization_users(
        self,
        organization_id: str,
        *,
        q: str | None = None,
        role_id: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Member]:
        """Members ordered by user id; `q` (literal text) matches id, email, phone, username
        or name. An unknown organization has no members (Logto answers an empty page)."""
        return self._page(
            Member,
            "/api/organizations/{}/users",
            organization_id,
            page=page,
            page_size=page_size,
            params={"q": _contains(q), "organizationRoleId": role_id},
        )

    def iter_organization_users(
        self, organization_id: str, *, q: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Member]:
        return self._iter(self.list_organization_users, organization_id, q=q, page_size=page_size)

    def add_organization_users(self, organization_id: str, user_ids: list[str]) -> None:
        """Add members (idempotent: existing members stay as they are). An unknown user or
        organization is InvalidInput `entity.relation_foreign_key_not_found`."""
        self._request(
            "POST", "/api/organizations/{}/users", organization_id, json={"userIds": user_ids}
        )

    def remove_organization_user(self, organization_id: str, user_id: str) -> None:
        """Remove a member; Logto drops their organization roles too."""
        self._request("DELETE", "/api/organizations/{}/users/{}", organization_id, user_id)

    def list_organization_user_roles(
        self, organization_id: str, user_id: str
    ) -> list[OrganizationRole]:
        data = self._request(
            "GET", "/api/organizations/{}/users/{}/roles", organization_id, user_id
        ).json()
        return [OrganizationRole.from_api(item) for item in data]

    def add_organization_user_roles(
        self, organization_id: str, user_id: str, role_ids: list[str]
    ) -> None:
        self._request(
            "POST",
            "/api/organizations/{}/users/{}/roles",
            organization_id,
            user_id,
            json={"organizationRoleIds": role_ids},
        )

    def replace_organization_user_roles(
        self, organization_id: str, user_id: str, role_ids: list[str]
    ) -> None:
        self._request(
            "PUT",
            "/api/organizations/{}/users/{}/roles",
            organization_id,
            user_id,
            json={"organizationRoleIds": role_ids},
        )

    def add_organization_users_roles(
        self, organization_id: str, user_ids: list[str], role_ids: list[str]
    ) -> None:
        """Bulk: give every listed member every listed role (additive). Logto answers 201 with
        the text "Created"; an unknown organization is a foreign-key InvalidInput."""
        self._request(
            "POST",
            "/api/organizations/{}/users/roles",
            organization_id,
            json={"userIds": user_ids, "organizationRoleIds": role_ids},
        )

    def list_organization_user_scopes(
        self, organization_id: str, user_id: str
    ) -> list[OrganizationScope]:
        """The user's effective organization permissions (empty for non-members)."""
        data = self._request(
            "GET", "/api/organizations/{}/users/{}/scopes", organization_id, user_id
        ).json()
        return [OrganizationScope.from_api(item) for item in data]

    # -- users -------------------------------------------------------------------------------
    def get_user(self, user_id: str) -> User:
        return User.from_api(self._request("GET", "/api/users/{}", user_id).json())

    def list_users(
        self, *, search: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[User]:
        """`search` uses SQL LIKE patterns (`%alice%`), as Logto's does."""
        return self._page(
            User, "/api/users", page=page, page_size=page_size, params={"search": search}
        )

    def list_users_by_ids(self, user_ids: Sequence[str]) -> list[User]:
        """The users with these ids (those that exist), one call per 100 ids: Logto's
        advanced search in `exact` mode, the one mode that takes several values per field."""
        wanted = list(dict.fromkeys(user_ids))
        found: list[User] = []
        for start in range(0, len(wanted), MAX_PAGE_SIZE):
            chunk = wanted[start : start + MAX_PAGE_SIZE]
            params = {"search.id": chunk, "mode.id": "exact", "isCaseSensitive": "true"}
            page = self._page(User, "/api/users", page=1, page_size=MAX_PAGE_SIZE, params=params)
            found += page.items
        return found

    def iter_users(
        self, *, search: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[User]:
        return self._iter(self.list_users, search=search, page_size=page_size)

    def find_user_by_email(self, email: str) -> User | None:
        """The user whose primary email is `email` (case-insensitive), if any."""
        wanted = email.strip().lower()
        for user in self.iter_users(search=_like_escape(wanted)):
            if (user.primary_email or "").lower() == wanted:
                return user
        return None

    def list_user_role_names(self, user_id: str) -> list[str]:
        """Names of the user's global (tenant-level) roles."""
        return [role["name"] for role in self._all_rows("/api/users/{}/roles", user_id)]

    def list_user_organizations(self, user_id: str) -> list[UserOrganization]:
        """The user's organizations with the user's roles in each (never paginated by Logto)."""
        data = self._request("GET", "/api/users/{}/organizations", user_id).json()
        return [UserOrganization.from_api(item) for item in data]

    # -- organization template -----------------------------------------------------------------
    def list_organization_roles(
        self, *, q: str | None = None, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[OrganizationRole]:
        """Template roles by name, each with its permission names (`scope_names`); `q` is
        literal text matched against id, name and description."""
        return self._page(
            OrganizationRole,
            "/api/organization-roles",
            page=page,
            page_size=page_size,
            params={"q": _contains(q)},
        )

    def iter_organization_roles(
        self, *, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[OrganizationRole]:
        return self._iter(self.list_organization_roles, page_size=page_size)

    def get_organization_role(self, role_id: str) -> OrganizationRole:
        return OrganizationRole.from_api(
            self._request("GET", "/api/organization-roles/{}", role_id).json()
        )

    def create_organization_role(
        self,
        *,
        name: str,
        description: str | None = None,
        scope_ids: Sequence[str] = (),
        role_type: str | None = None,
    ) -> OrganizationRole:
        """A template role; `role_type="MachineToMachine"` makes one for applications."""
        body: dict[str, Any] = {
            "name": name,
            "organizationScopeIds": list(scope_ids),
            "resourceScopeIds": [],
        }
        if description is not None:
            body["description"] = description
        if role_type is not None:
            body["type"] = role_type
        data = self._request("POST", "/api/organization-roles", json=body).json()
        return OrganizationRole.from_api(data)

    def list_organization_role_scopes(self, role_id: str) -> list[OrganizationScope]:
        data = self._request("GET", "/api/organization-roles/{}/scopes", role_id).json()
        return [OrganizationScope.from_api(item) for item in data]

    def add_organization_role_scopes(self, role_id: str, scope_ids: list[str]) -> None:
        self._request(
            "POST",
            "/api/organization-roles/{}/scopes",
            role_id,
            json={"organizationScopeIds": scope_ids},
        )

    def replace_organization_role_scopes(self, role_id: str, scope_ids: list[str]) -> None:
        self._request(
            "PUT",
            "/api/organization-roles/{}/scopes",
            role_id,
            json={"organizationScopeIds": scope_ids},
        )

    def list_organization_scopes(self) -> list[OrganizationScope]:
        """Every organization permission (Logto returns all of them without page params)."""
        data = self._request("GET", "/api/organization-scopes").json()
        return [OrganizationScope.from_api(item) for item in data]

    def create_organization_scope(
        self, *, name: str, description: str | None = None
    ) -> OrganizationScope:
        body = _without_none(name=name, description=description)
        data = self._request("POST", "/api/organization-scopes", json=body).json()
        return OrganizationScope.from_api(data)

    # -- invitations ---------------------------------------------------------------------------
    def list_organization_invitations(
        self,
        *,
        organization_id: str | None = None,
        invitee: str | None = None,
        inviter_id: str | None = None,
    ) -> list[Invitation]:
        """Invitations, newest first; Logto does not paginate this list."""
        params = {"organizationId": organization_id, "invitee": invitee, "inviterId": inviter_id}
        data = self._request("GET", "/api/organization-invitations", params=params).json()
        return [Invitation.from_api(item) for item in data]

    def create_organization_invitation(
        self,
        *,
        organization_id: str,
        invitee: str,
        expires_at: datetime,
        inviter_id: str | None = None,
        role_ids: Sequence[str] = (),
        message_link: str | None = None,
    ) -> Invitation:
        """Create a Pending invitation; with `message_link` Logto also emails it."""
        body: dict[str, Any] = {
            "organizationId": organization_id,
            "invitee": invitee,
            "expiresAt": int(expires_at.timestamp() * 1000),
            "organizationRoleIds": list(role_ids),
            "messagePayload": {"link": message_link} if message_link else False,
        }
        if inviter_id:
            body["inviterId"] = inviter_id
        data = self._request("POST", "/api/organization-invitations", json=body).json()
        return Invitation.from_api(data)

    def get_organization_invitation(self, invitation_id: str) -> Invitation:
        data = self._request("GET", "/api/organization-invitations/{}", invitation_id).json()
        return Invitation.from_api(data)

    def delete_organization_invitation(self, invitation_id: str) -> None:
        self._request("DELETE", "/api/organization-invitations/{}", invitation_id)

    def set_organization_invitation_status(
        self,
        invitation_id: str,
        status: InvitationStatus,
        *,
        accepted_user_id: str | None = None,
    ) -> Invitation:
        """`Accepted` (with `accepted_user_id`, which Logto adds as a member) or `Revoked`."""
        body = _without_none(status=str(status), acceptedUserId=accepted_user_id)
        data = self._request(
            "PUT", "/api/organization-invitations/{}/status", invitation_id, json=body
        ).json()
        return Invitation.from_api(data)

    def send_organization_invitation_message(
        self, invitation_id: str, *, link: str, locale: str = ""
    ) -> None:
        """Have Logto (re)send the invitation email through its email connector; `locale`
        picks the connector template's language (Logto falls back to its default)."""
        body = {"link": link, **({"locale": locale} if locale else {})}
        self._request("POST", "/api/organization-invitations/{}/message", invitation_id, json=body)

    # -- just-in-time provisioning -------------------------------------------------------------
    def list_organization_jit_email_domains(self, organization_id: str) -> list[str]:
        rows = self._all_rows("/api/organizations/{}/jit/email-domains", organization_id)
        return [row["emailDomain"] for row in rows]

    def add_organization_jit_email_domain(self, organization_id: str, domain: str) -> None:
        self._request(
            "POST",
            "/api/organizations/{}/jit/email-domains",
            organization_id,
            json={"emailDomain": domain},
        )

    def replace_organization_jit_email_domains(
        self, organization_id: str, domains: list[str]
    ) -> None:
        """Replace the set at once; Logto keeps the old set if the list has a duplicate."""
        self._request(
            "PUT",
            "/api/organizations/{}/jit/email-domains",
            organization_id,
            json={"emailDomains": domains},
        )

    def delete_organization_jit_email_domain(self, organization_id: str, domain: str) -> None:
        """Remove one domain, matched exactly as stored (case-sensitive)."""
        self._request(
            "DELETE", "/api/organizations/{}/jit/email-domains/{}", organization_id, domain
        )

    def list_organization_jit_roles(self, organization_id: str) -> list[OrganizationRole]:
        """The roles people provisioned into the organization get."""
        rows = self._all_rows("/api/organizations/{}/jit/roles", organization_id)
        return [OrganizationRole.from_api(row) for row in rows]

    def add_organization_jit_roles(self, organization_id: str, role_ids: list[str]) -> None:
        self._request(
            "POST",
            "/api/organizations/{}/jit/roles",
            organization_id,
            json={"organizationRoleIds": role_ids},
        )

    def replace_organization_jit_roles(self, organization_id: str, role_ids: list[str]) -> None:
        self._request(
            "PUT",
            "/api/organizations/{}/jit/roles",
            organization_id,
            json={"organizationRoleIds": role_ids},
        )

    def remove_organization_jit_role(self, organization_id: str, role_id: str) -> None:
        self._request("DELETE", "/api/organizations/{}/jit/roles/{}", organization_id, role_id)

    # -- one-time tokens (magic links) -----------------------------------------------------------
    def create_one_time_token(
        self,
        email: str,
        *,
        jit_organization_ids: Sequence[str] = (),
        expires_in: int | None = None,
    ) -> OneTimeToken:
        """A token that signs `email` in (or up) once; `expires_in` seconds (Logto: 600).

        With `jit_organization_ids` the person joins those organizations with each one's
        JIT roles when the token is used.
        """
        body: dict[str, Any] = {"email": email}
        if jit_organization_ids:
            body["context"] = {"jitOrganizationIds": list(jit_organization_ids)}
        if expires_in is not None:
            body["expiresIn"] = expires_in
        data = self._request("POST", "/api/one-time-tokens", json=body).json()
        return OneTimeToken.from_api(data)

    def list_one_time_tokens(
        self, *, email: str | None = None, status: OneTimeTokenStatus | None = None
    ) -> list[OneTimeToken]:
        params = {"email": email, "status": str(status) if status else None}
        data = self._request("GET", "/api/one-time-tokens", params=params).json()
        return [OneTimeToken.from_api(item) for item in data]

    def get_one_time_token(self, token_id: str) -> OneTimeToken:
        data = self._request("GET", "/api/one-time-tokens/{}", token_id).json()
        return OneTimeToken.from_api(data)

    def delete_one_time_token(self, token_id: str) -> None:
        self._request("DELETE", "/api/one-time-tokens/{}", token_id)

    def set_one_time_token_status(self, token_id: str, status: OneTimeTokenStatus) -> OneTimeToken:
        """Revoke (or mark consumed or expired); a token never becomes active again."""
        data = self._request(
            "PUT", "/api/one-time-tokens/{}/status", token_id, json={"status": str(status)}
        ).json()
        return OneTimeToken.from_api(data)

    def verify_one_time_token(self, token: str, email: str) -> OneTimeToken:
        """Check and consume the token (it must be active and belong to `email`)."""
        data = self._request(
            "POST", "/api/one-time-tokens/verify", json={"token": token, "email": email}
        ).json()
        return OneTimeToken.from_api(data)

    # -- applications --------------------------------------------------------------------------
    def get_application(self, application_id: str) -> Application:
        return Application.from_api(
            self._request("GET", "/api/applications/{}", application_id).json()
        )

    # -- tenant settings -----------------------------------------------------------------------
    def list_connectors(self) -> list[Connector]:
        return [Connector.from_api(item) for item in self._request("GET", "/api/connectors").json()]

    def get_mfa_settings(self) -> MfaSettings:
        data = self._request("GET", "/api/sign-in-exp").json()
        return MfaSettings.from_api(data.get("mfa") or {})

    def update_mfa_settings(
        self,
        *,
        factors: Sequence[str],
        policy: str,
        organization_required_mfa_policy: str | None = None,
    ) -> MfaSettings:
        mfa = _without_none(
            factors=list(factors),
            policy=policy,
            organizationRequiredMfaPolicy=organization_required_mfa_policy,
        )
        data = self._request("PATCH", "/api/sign-in-exp", json={"mfa": mfa}).json()
        return MfaSettings.from_api(data.get("mfa") or {})

    # -- a user's MFA factors ------------------------------------------------------------------
    def list_user_mfa_verifications(self, user_id: str) -> list[MfaVerification]:
        rows = self._request("GET", "/api/users/{}/mfa-verifications", user_id).json()
        return [MfaVerification.from_api(row) for row in rows]

    def create_user_mfa_verification(self, user_id: str, kind: str = "Totp") -> None:
        """Bind a factor to the user (Totp or BackupCode); the secret is not kept."""
        self._request("POST", "/api/users/{}/mfa-verifications", user_id, json={"type": kind})

    def delete_user_mfa_verification(self, user_id: str, verification_id: str) -> None:
        self._request("DELETE", "/api/users/{}/mfa-verifications/{}", user_id, verification_id)

    def create_application(
        self, *, name: str, app_type: str = "MachineToMachine", description: str | None = None
    ) -> Application:
        """Create an application (machine-to-machine by default). The answer holds no
        secret: read it with `list_application_secrets` ("Default secret")."""
        body = _without_none(name=name, type=app_type, description=description)
        return Application.from_api(self._request("POST", "/api/applications", json=body).json())

    def find_applications(
        self, *, search: str, types: Sequence[str] = ("MachineToMachine",)
    ) -> list[Application]:
        """Applications whose id, name or description contain `search` (the first 100)."""
        data = self._request(
            "GET",
            "/api/applications",
            params={"types": list(types), "search": search, "page": 1, "page_size": MAX_PAGE_SIZE},
        ).json()
        return [Application.from_api(row) for row in data]

    def delete_application(self, application_id: str) -> None:
        """Delete an application; its organization memberships and roles go with it."""
        self._request("DELETE", "/api/applications/{}", application_id)

    def list_application_secrets(self, application_id: str) -> list[ApplicationSecret]:
        data = self._request("GET", "/api/applications/{}/secrets", application_id).json()
        return [ApplicationSecret.from_api(item) for item in data]

    def create_application_secret(
        self, application_id: str, *, name: str, expires_at: datetime | None = None
    ) -> ApplicationSecret:
        """A further secret (names are unique per application; `expires_at` in the future)."""
        body: dict[str, Any] = {"name": name}
        if expires_at is not None:
            body["expiresAt"] = int(expires_at.timestamp() * 1000)
        data = self._request(
            "POST", "/api/applications/{}/secrets", application_id, json=body
        ).json()
        return ApplicationSecret.from_api(data)

    def rename_application_secret(
        self, application_id: str, name: str, new_name: str
    ) -> ApplicationSecret:
        data = self._request(
            "PATCH",
            "/api/applications/{}/secrets/{}",
            application_id,
            name,
            json={"name": new_name},
        ).json()
        return ApplicationSecret.from_api(data)

    def delete_application_secret(self, application_id: str, name: str) -> None:
        self._request("DELETE", "/api/applications/{}/secrets/{}", application_id, name)

    def list_application_organizations(self, application_id: str) -> list[ApplicationOrganization]:
        """The application's organizations, with its roles in each."""
        rows = self._all_rows("/api/applications/{}/organizations", application_id)
        return [ApplicationOrganization.from_api(row) for row in rows]

    # -- organization applications -------------------------------------------------------------
    def list_organization_applications(
        self,
        organization_id: str,
        *,
        q: str | None = None,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Page[OrganizationApplication]:
        """Machine-to-machine apps in the organization, with their roles (always paginated)."""
        return self._page(
            OrganizationApplication,
            "/api/organizations/{}/applications",
            organization_id,
            page=page,
            page_size=page_size,
            params={"q": q},
        )

    def iter_organization_applications(
        self, organization_id: str, *, q: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[OrganizationApplication]:
        return self._iter(
            self.list_organization_applications, organization_id, q=q, page_size=page_size
        )

    def add_organization_applications(
        self, organization_id: str, application_ids: list[str]
    ) -> None:
        """Add machine-to-machine apps (idempotent); other app types are refused."""
        self._request(
            "POST",
            "/api/organizations/{}/applications",
            organization_id,
            json={"applicationIds": application_ids},
        )

    def replace_organization_applications(
        self, organization_id: str, application_ids: list[str]
    ) -> None:
        self._request(
            "PUT",
            "/api/organizations/{}/applications",
            organization_id,
            json={"applicationIds": application_ids},
        )

    def remove_organization_application(self, organization_id: str, application_id: str) -> None:
        """Remove an app from the organization; its roles there are dropped too."""
        self._request(
            "DELETE", "/api/organizations/{}/applications/{}", organization_id, application_id
        )

    def list_organization_application_roles(
        self, organization_id: str, application_id: str
    ) -> list[OrganizationRole]:
        rows = self._all_rows(
            "/api/organizations/{}/applications/{}/roles", organization_id, application_id
        )
        return [OrganizationRole.from_api(row) for row in rows]

    def add_organization_application_roles(
        self, organization_id: str, application_id: str, role_ids: list[str]
    ) -> None:
        """Give the app machine-to-machine roles (additive); it must be in the organization."""
        self._request(
            "POST",
            "/api/organizations/{}/applications/{}/roles",
            organization_id,
            application_id,
            json={"organizationRoleIds": role_ids},
        )

    def replace_organization_application_roles(
        self, organization_id: str, application_id: str, role_ids: list[str]
    ) -> None:
        self._request(
            "PUT",
            "/api/organizations/{}/applications/{}/roles",
            organization_id,
            application_id,
            json={"organizationRoleIds": role_ids},
        )

    def remove_organization_application_role(
        self, organization_id: str, application_id: str, role_id: str
    ) -> None:
        self._request(
            "DELETE",
            "/api/organizations/{}/applications/{}/roles/{}",
            organization_id,
            application_id,
            role_id,
        )

    def add_organization_applications_roles(
        self, organization_id: str, application_ids: list[str], role_ids: list[str]
    ) -> None:
        """Bulk: give every listed app every listed role (additive)."""
        self._request(
            "POST",
            "/api/organizations/{}/applications/roles",
            organization_id,
            json={"applicationIds": application_ids, "organizationRoleIds": role_ids},
        )

    # -- webhooks ------------------------------------------------------------------------------
    def create_hook(
        self,
        *,
        name: str,
        events: Sequence[str],
        url: str,
        headers: dict[str, str] | None = None,
        enabled: bool = True,
    ) -> Hook:
        """A webhook; the answer carries its `signing_key` (Logto does not check `url`)."""
        config: dict[str, Any] = _without_none(url=url, headers=headers)
        body = {"name": name, "events": list(events), "config": config, "enabled": enabled}
        return Hook.from_api(self._request("POST", "/api/hooks", json=body).json())

    def list_hooks(self) -> list[Hook]:
        return [Hook.from_api(item) for item in self._request("GET", "/api/hooks").json()]

    def get_hook(self, hook_id: str) -> Hook:
        return Hook.from_api(self._request("GET", "/api/hooks/{}", hook_id).json())

    def update_hook(
        self,
        hook_id: str,
        *,
        name: str | None = None,
        events: Sequence[str] | None = None,
        url: str | None = None,
        headers: dict[str, str] | None = None,
        enabled: bool | None = None,
    ) -> Hook:
        """Change what is given. Logto replaces `config` as a whole: `headers` needs `url`."""
        if headers is not None and url is None:
            raise TypeError("headers can only be changed together with url")
        body = _without_none(
            name=name,
            events=list(events) if events is not None else None,
            config=_without_none(url=url, headers=headers) if url is not None else None,
            enabled=enabled,
        )
        return Hook.from_api(self._request("PATCH", "/api/hooks/{}", hook_id, json=body).json())

    def delete_hook(self, hook_id: str) -> None:
        self._request("DELETE", "/api/hooks/{}", hook_id)

    def rotate_hook_signing_key(self, hook_id: str) -> Hook:
        """A new signing key; deliveries are signed with it from now on."""
        return Hook.from_api(self._request("PATCH", "/api/hooks/{}/signing-key", hook_id).json())

    def list_hook_deliveries(
        self, hook_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Page[HookDelivery]:
        """The hook's deliveries of the last 24 hours, newest first (`recent-logs`)."""
        return self._page(
            HookDelivery, "/api/hooks/{}/recent-logs", hook_id, page=page, page_size=page_size
        )

    def send_hook_test(
        self,
        hook_id: str,
        *,
        events: Sequence[str],
        url: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Have Logto send signed sample payloads to `url` now; `InvalidInput` when the
        endpoint answers with an error or cannot be reached."""
        body = {"events": list(events), "config": _without_none(url=url, headers=headers)}
        self._request("POST", "/api/hooks/{}/test", hook_id, json=body)

    # -- pagination ----------------------------------------------------------------------------
    def _page(
        self,
        model: Any,  # one of the models classes (they parse with `from_api`)
        template: str,
        *path_args: str,
        page: int,
        page_size: int,
        params: dict[str, Any] | None = None,
    ) -> Page:
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page must be >= 1 and page_size 1..{MAX_PAGE_SIZE}")
        query = {**(params or {}), "page": page, "page_size": page_size}
        response = self._request("GET", template, *path_args, params=query)
        items = tuple(model.from_api(item) for item in response.json())
        total = _total(response, (page - 1) * page_size + len(items))
        return Page(items=items, total=total, page=page, page_size=page_size)

    def _all_rows(self, template: str, *path_args: str) -> list[dict[str, Any]]:
        """Every row of a small paginated list, fetched 100 at a time (stays inside logto/)."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            response = self._request(
                "GET", template, *path_args, params={"page": page, "page_size": MAX_PAGE_SIZE}
            )
            batch = response.json()
            rows += batch
            if not batch or len(rows) >= _total(response, len(rows)):
                return rows
            page += 1

    @staticmethod
    def _iter(list_page: Callable[..., Page], *args: Any, **kwargs: Any) -> Iterator:
        """Yield items page by page, fetching the next page only when it is needed."""
        page = 1
        while True:
            result = list_page(*args, page=page, **kwargs)
            yield from result.items
            if not result.items or not result.has_next:
                return
            page += 1

    # -- health ------------------------------------------------------------------------------
    def check_reachable(self) -> None:
        """Fetch the OIDC discovery document (no token needed); Unavailable when it fails."""
        template = "/oidc/.well-known/openid-configuration"
        try:
            response = self._session.get(self.endpoint + template, timeout=(2, 3))
        except requests.RequestException as exc:
            raise Unavailable(
                f"Could not connect to Logto ({type(exc).__name__}).", method="GET", path=template
            ) from exc
        if response.status_code != 200:
            raise Unavailable(
                f"Logto answered HTTP {response.status_code}.",
                status=response.status_code,
                method="GET",
                path=template,
            )

    # -- transport ---------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        template: str,
        *path_args: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one call; map failures to `LogtoError`s. `template` is logged, not the ids.

        Identical reads within a request are sent once; a write forgets them (shared_reads)."""
        if method != "GET":
            shared_reads.forget()
            try:
                return self._request_now(method, template, *path_args, params=params, json=json)
            finally:
                shared_reads.forget()  # reads that ran meanwhile may predate the write
        key = (template, path_args, _frozen(params))
        return shared_reads.read(
            key, lambda: self._request_now(method, template, *path_args, params=params)
        )

    def _request_now(
        self,
        method: str,
        template: str,
        *path_args: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        if any(not str(arg).strip(".") for arg in path_args):
            # "", "." and ".." would be dropped from the URL as dot segments, turning a call
            # about one thing into a call about all of them (e.g. every invitation).
            raise NotFound("No such id.", method=method, path=template)
        path = template.format(*(quote(str(arg), safe="") for arg in path_args))
        self._timeout_within_deadline(method, template)  # no token fetch once time is up
        token = self.tokens.get()
        response = self._send(method, template, path, token, params, json)
        if response.status_code == 401:
            # The cached token may have been revoked or signed by a rotated key: one replay.
            self.tokens.invalidate(token)
            response = self._send(method, template, path, self.tokens.get(), params, json)
        if response.status_code >= 400:
            raise self._error(response, method, template)
        return response

    def _send(
        self,
        method: str,
        template: str,
        path: str,
        token: str,
        params: dict[str, Any] | None,
        json: Any,
    ) -> requests.Response:
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.endpoint + path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._timeout_within_deadline(method, template),
            )
        except requests.Timeout as exc:
            raise Unavailable(
                "Logto did not answer in time.",
                method=method,
                path=template,
                # Connected and sent, but no answer: Logto may have done it anyway.
                outcome_unknown=not isinstance(exc, requests.ConnectTimeout),
            ) from exc
        except requests.RequestException as exc:
            raise Unavailable(
                f"Could not connect to Logto ({type(exc).__name__}).", method=method, path=template
            ) from exc
        logger.debug(
            "logto %s %s -> %s in %.0f ms",
            method,
            template,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _timeout_within_deadline(self, method: str, template: str) -> tuple[float, float]:
        """This call's (connect, read) timeouts, cut to what is left of the request's budget,
        shared by the transport's tries; Unavailable when nothing is left."""
        left = deadline.remaining()
        if left is None:
            return self._timeout
        if left <= 0.05:
            raise Unavailable("The request's time for Logto ran out.", method=method, path=template)
        per_try = left / (self._tries or 1)
        return (min(self._timeout[0], per_try), min(self._timeout[1], per_try))

    @property
    def _tries(self) -> int:
        adapter = self._session.get_adapter(self.endpoint)
        retries = getattr(adapter, "max_retries", None)
        return 1 + (getattr(retries, "total", 0) or 0)

    @staticmethod
    def _error(response: requests.Response, method: str, template: str) -> LogtoError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        cls = error_for_status(response.status_code)
        if body.get("code") in NOT_CONFIGURED_CODES:
            cls = NotConfigured
        kwargs: dict[str, Any] = {
            "status": response.status_code,
            "code": body.get("code"),
            "method": method,
            "path": template,
            "data": body.get("data"),
        }
        message = body.get("message") or f"Logto answered {response.status_code}."
        if cls is RateLimited:
            retry_after = response.headers.get("Retry-After")
            kwargs["retry_after"] = (
                float(retry_after) if retry_after and retry_after.isdigit() else None
            )
        if cls is AuthError:
            message = (
                f"Logto refused the portal's Management API token ({body.get('code')}). "
                "Check that the machine-to-machine app has the Management API role."
            )
        return cls(message, **kwargs)


def _frozen(params: dict[str, Any] | None) -> tuple:
    """`params` as a hashable key: lists (repeated parameters) become tuples."""
    if not params:
        return ()
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


def _without_none(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _like_escape(text: str) -> str:
    """`text` as a PostgreSQL LIKE pattern that matches itself: Logto passes search text into
    `ILIKE` unescaped, where `%` and `_` are wildcards and a backslash (the default escape
    character) makes the next character literal."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(q: str | None) -> str | None:
    """A `q` parameter: Logto wraps it in `%…%` itself; the text must mean itself."""
    return _like_escape(q) if q else None


def _total(response: requests.Response, fallback: int) -> int:
    try:
        return int(response.headers["Total-Number"])
    except (KeyError, ValueError):
        return fallback

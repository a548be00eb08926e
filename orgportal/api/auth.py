"""Who is calling: a Logto access token for the portal's API resource (user endpoints) or for
one organization (organization endpoints), validated locally by `tokens.py`."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_noop
from ninja.security import HttpBearer

from orgportal.api.errors import insufficient_scope, invalid_token
from orgportal.api.tokens import (
    TokenClaims,
    bearer_token,
    organization_audience,
    validate_access_token,
)
from orgportal.models import User
from orgportal.services.access import permission_name
from orgportal.services.api_keys import api_key_actor, api_key_token_after_old_secrets
from orgportal.services.errors import Gone
from orgportal.services.users import signed_out_since, user_for_subject


@dataclass(frozen=True)
class Caller:
    actor: User
    claims: TokenClaims


def caller(request: HttpRequest) -> Caller:
    """The authenticated caller that ninja stored on the request."""
    return request.auth  # type: ignore[attr-defined]


def api_user(claims: TokenClaims) -> User:
    """The local user for a token's subject, created or refreshed from the Management API.
    A token issued before Logto suspended or deleted its user is refused."""
    try:
        user = user_for_subject(claims.subject)
    except Gone:
        raise invalid_token(gettext_noop("The token's user no longer exists.")) from None
    if signed_out_since(user, claims.issued_at):
        raise invalid_token(
            gettext_noop("The token's user was signed out since it was issued. Sign in again.")
        )
    return user


def api_key_user(claims: TokenClaims, organization_id: str) -> User:
    """The account of the organization API key whose application the token is for. Its record
    is read on every request (one query on the shared database), so a key revoked or expired
    a moment ago is refused at once on every instance, though its tokens are valid for an
    hour; the permissions behind every change are read from Logto as for people."""
    actor = api_key_actor(application_id=claims.subject, organization_id=organization_id)
    if actor is None:
        raise invalid_token(
            gettext_noop("The token's API key was revoked, has expired or does not exist.")
        )
    if not api_key_token_after_old_secrets(actor, claims.issued_at):
        raise invalid_token(
            gettext_noop(
                "The token was issued before the API key's secret was replaced. Get a new token "
                "with the current secret."
            )
        )
    return actor


def speak_callers_language(request: HttpRequest, actor: User) -> None:
    """Answer in the language the caller saved in the portal, unless the request names one
    (Accept-Language): LocaleMiddleware already chose that one."""
    if request.headers.get("Accept-Language"):
        return
    saved = actor.language
    if saved and saved in dict(settings.LANGUAGES):
        translation.activate(saved)
        request.LANGUAGE_CODE = saved


class BearerToken(HttpBearer):
    """Missing or malformed headers are refused with our 401 body, not ninja's."""

    def __call__(self, request: HttpRequest) -> Caller:
        found = self.authenticate(request, bearer_token(request.headers.get("Authorization")))
        speak_callers_language(request, found.actor)
        return found

    @abstractmethod
    def authenticate(self, request: HttpRequest, token: str) -> Caller: ...


class UserToken(BearerToken):
    """A token for the portal's API resource: the caller acts as themselves."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        claims = validate_access_token(token, audience=settings.LOGTO.api_resource)
        return Caller(actor=api_user(claims), claims=claims)


class OrganizationToken(BearerToken):
    """A token for the organization in the path, carrying `permission` when one is named.

    The services check the permission again against Logto: the token only opens the door."""

    def __init__(self, permission: str | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        organization_id = request.resolver_match.kwargs["org_id"]  # type: ignore[union-attr]
        claims = validate_access_token(token, audience=organization_audience(organization_id))
        if self.permission:
            needed = permission_name(self.permission)
            if needed not in claims.scopes:
                raise insufficient_scope(needed)
        actor = api_key_user(claims, organization_id) if claims.is_application else api_user(claims)
        actor.token_scopes = frozenset(claims.scopes)  # every service check is capped by it
        return Caller(actor=actor, claims=claims)

"""Sign-in with Logto through mozilla-django-oidc: the backend hooks and the sign-out URL."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from orgportal.logto.models import Profile
from orgportal.shared_locks import at_most_once_per, cached_or_filled

logger = logging.getLogger(__name__)

JWKS_CACHE_KEY = "orgportal:logto:jwks"
JWKS_CACHE_SECONDS = 3600
# Anyone can send a token with a made-up `kid`; each one asks for a refetch. At most one such
# refetch per minute across all instances keeps a flood from reaching Logto, and still follows
# a real rotation within a minute.
JWKS_FORCED_REFRESH = "logto-jwks-refresh"
JWKS_FORCED_REFRESH_SECONDS = 60
CLOCK_LEEWAY_SECONDS = 30
_KEY_TYPES = {"ES": "EC", "RS": "RSA"}


def _download_jwks() -> dict[str, Any]:
    response = requests.get(settings.OIDC_OP_JWKS_ENDPOINT, timeout=settings.OIDC_TIMEOUT)
    response.raise_for_status()
    return response.json()


def fetch_jwks(*, force: bool = False) -> dict[str, Any]:
    """Logto's signing keys, cached; `force` asks for a refetch (a new `kid` appeared after a
    rotation), which happens at most once per JWKS_FORCED_REFRESH_SECONDS: otherwise the
    cached keys come back."""
    if force and at_most_once_per(JWKS_FORCED_REFRESH, seconds=JWKS_FORCED_REFRESH_SECONDS):
        jwks = _download_jwks()
        cache.set(JWKS_CACHE_KEY, jwks, JWKS_CACHE_SECONDS)
        return jwks
    # One download at a time across instances when the cached keys expire.
    return cached_or_filled(JWKS_CACHE_KEY, _download_jwks, ttl=JWKS_CACHE_SECONDS)


def signing_key_for(token: str) -> Any:
    """The public key that signed `token`, matched on `kid` and key type."""
    header = jwt.get_unverified_header(token)
    alg = header.get("alg", "")
    if alg not in settings.OIDC_RP_SIGN_ALGOS_ALLOWED:
        raise SuspiciousOperation(f"ID token signed with {alg!r}, which is not accepted.")
    for force in (False, True):
        for jwk in fetch_jwks(force=force).get("keys", []):
            if jwk.get("kid") != header.get("kid"):
                continue
            if jwk.get("kty") != _KEY_TYPES.get(alg[:2]) or jwk.get("alg", alg) != alg:
                continue
            return jwt.PyJWK(jwk, algorithm=alg).key
    raise SuspiciousOperation("No Logto signing key matches the ID token.")


class LogtoOIDCBackend(OIDCAuthenticationBackend):
    """Users are matched on Logto's `sub`, never on email; profile copies refresh each sign-in."""

    def retrieve_matching_jwk(self, token: str) -> Any:
        return signing_key_for(token)

    def _verify_jws(self, payload: str, key: Any) -> dict[str, Any]:
        alg = jwt.get_unverified_header(payload).get("alg", "")
        if alg not in settings.OIDC_RP_SIGN_ALGOS_ALLOWED:
            raise SuspiciousOperation(f"ID token signed with {alg!r}, which is not accepted.")
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[alg],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token rejected: {exc}") from exc

    def get_userinfo(self, access_token: str, id_token: str, payload: dict) -> dict:
        claims = super().get_userinfo(access_token, id_token, payload)
        # OIDC Core 5.3.2: userinfo must describe the same subject as the ID token.
        if claims.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("Userinfo subject does not match the ID token.")
        return claims

    def verify_claims(self, claims: dict) -> bool:
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict):
        return self.UserModel.objects.filter(logto_id=claims["sub"])

    def create_user(self, claims: dict):
        user = self.UserModel(username=claims["sub"], logto_id=claims["sub"])
        user.set_unusable_password()
        user.apply_profile(Profile.from_claims(claims))
        apply_staff_roles(user, claims)
        user.save()
        return user

    def update_user(self, user, claims: dict):
        changed = user.apply_profile(Profile.from_claims(claims))
        changed = apply_staff_roles(user, claims) or changed
        if changed:
            user.save(
                update_fields=[
                    "email",
                    "email_verified",
                    "name",
                    "picture",
                    "is_staff",
                    "is_superuser",
                ]
            )
        return user


def apply_staff_roles(user: Any, claims: dict) -> bool:
    """`is_staff`/`is_superuser` follow Logto global roles (the `roles` claim) at each sign-in,
    so taking the role away in Logto takes the admin away at the next sign-in."""
    roles = claims.get("roles") or []
    if not isinstance(roles, list):
        roles = []
    superuser = settings.ORGPORTAL_SUPERUSER_ROLE in roles
    staff = superuser or settings.ORGPORTAL_STAFF_ROLE in roles
    changed = (user.is_staff, user.is_superuser) != (staff, superuser)
    user.is_staff, user.is_superuser = staff, superuser
    return changed


def provider_logout_url(request: HttpRequest) -> str:
    """Logto's end-session URL, so signing out of the portal also ends the Logto session."""
    params = {
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "post_logout_redirect_uri": request.build_absolute_uri(settings.LOGOUT_REDIRECT_URL),
    }
    id_token = request.session.get("oidc_id_token")
    if id_token:
        params["id_token_hint"] = id_token
    return f"{settings.OIDC_OP_LOGOUT_ENDPOINT}?{urlencode(params)}"

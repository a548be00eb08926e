"""Bearer tokens from Logto, validated locally (PyJWT against Logto's JWKS; no own crypto)."""

from __future__ import annotations

from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from orgportal.api.errors import ApiError, invalid_token
from orgportal.logto.oidc import CLOCK_LEEWAY_SECONDS, signing_key_for

ORGANIZATION_AUDIENCE_PREFIX = "urn:logto:organization:"
SEND_A_TOKEN = gettext_noop("Send a Logto access token as `Authorization: Bearer <token>`.")


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    audience: str
    scopes: frozenset[str]
    issued_at: float | None = None  # `iat`, when the token has one
    client_id: str = ""  # the application that asked for the token

    @property
    def is_application(self) -> bool:
        """A machine-to-machine application's own token (`client_credentials`): Logto makes
        its subject the application itself."""
        return bool(self.client_id) and self.client_id == self.subject


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise invalid_token(SEND_A_TOKEN)
    kind, _, token = authorization.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        raise invalid_token(SEND_A_TOKEN)
    return token.strip()


def validate_access_token(token: str, *, audience: str) -> TokenClaims:
    """Signature (ES384/RS256 only), issuer, expiry, not-before and audience."""
    try:
        key = signing_key_for(token)  # rejects `none`, HS256 and unknown algorithms
        claims = jwt.decode(
            token,
            key,
            algorithms=settings.OIDC_RP_SIGN_ALGOS_ALLOWED,
            audience=audience,
            issuer=settings.OIDC_OP_ISSUER,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise invalid_token(gettext_noop("The token has expired.")) from None
    except jwt.InvalidAudienceError:
        raise invalid_token(
            gettext_noop("The token is not meant for this API or organization.")
        ) from None
    except jwt.InvalidIssuerError:
        raise invalid_token(
            gettext_noop("The token was not issued by this portal's Logto tenant.")
        ) from None
    except (jwt.InvalidTokenError, SuspiciousOperation, ValueError):
        raise invalid_token(
            gettext_noop("The token is malformed or its signature is invalid.")
        ) from None
    except requests.RequestException:
        raise ApiError(
            503, "logto_unavailable", _("Logto's signing keys could not be fetched; try again.")
        ) from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise invalid_token(gettext_noop("The token has no subject."))
    scope = claims.get("scope", "")
    issued_at = claims.get("iat")
    client_id = claims.get("client_id")
    return TokenClaims(
        client_id=client_id if isinstance(client_id, str) else "",
        issued_at=float(issued_at) if isinstance(issued_at, int | float) else None,
        subject=claims["sub"],
        audience=audience,
        scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
    )


def organization_audience(organization_id: str) -> str:
    return ORGANIZATION_AUDIENCE_PREFIX + organization_id

"""One-time tokens (magic links): the Management API half and the sign-in half.

`/oidc/auth?…&one_time_token=<t>&login_hint=<email>` signs the owner of `email` in, or
registers them when unknown (whatever the tenant's sign-in mode), and redirects back with a
code without showing a page. Facts: BEHAVIOUR.md "Organization JIT provisioning".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from logto_emulator import pages
from logto_emulator.errors import ApiError, json_response, not_exists_with_id, not_found
from logto_emulator.jit import no_content, page
from logto_emulator.state import OneTimeToken, TenantState, new_id, new_secret, now_ms
from logto_emulator.validation import issue, json_body, string_field

if TYPE_CHECKING:
    from logto_emulator.app import Emulator
    from logto_emulator.oidc import Interaction, OidcProvider

DEFAULT_LIFETIME_S = 600
STATUSES = ("active", "consumed", "revoked", "expired")
INTERACTION_EVENTS = ("SignIn", "Register", "ForgotPassword")
_EMAIL = re.compile(r"^\S+@\S+\.\S+$")  # the `email` filter's pattern in Logto's document

# Logto's sign-in experience shows these on /one-time-token/error.
MESSAGES = {
    "entity.not_found": "The token is invalid.",
    "one_time_token.email_mismatch": "The email does not match the token.",
    "one_time_token.token_expired": "The token has expired.",
    "one_time_token.token_consumed": "The token has been consumed.",
    "one_time_token.token_revoked": "The token has been revoked.",
    "one_time_token.cannot_reactivate_token": "A token cannot be made active again.",
}


class TokenRefused(ApiError):
    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(status, code, MESSAGES[code])


def check(state: TenantState, token: str, email: str) -> OneTimeToken:
    """The active token `token` for `email`, or why not (Logto's checkOneTimeToken)."""
    found = next((t for t in state.one_time_tokens.values() if t.token == token), None)
    if found is None:
        raise TokenRefused("entity.not_found", 404)
    if found.email != email:
        raise TokenRefused("one_time_token.email_mismatch")
    if found.expires_at <= now_ms() or found.status == "expired":
        if found.status == "active":
            found.status = "expired"
        raise TokenRefused("one_time_token.token_expired")
    if found.status == "consumed":
        raise TokenRefused("one_time_token.token_consumed")
    if found.status == "revoked":
        raise TokenRefused("one_time_token.token_revoked")
    return found


def sign_in_with_token(
    provider: OidcProvider, request: Request, interaction: Interaction
) -> Response:
    """The magic link: consume the token, then sign the user in or register them."""
    state = provider.emu.state
    email = request.args.get("login_hint", "")
    try:
        token = check(state, request.args.get("one_time_token", ""), email)
    except TokenRefused as refused:
        return redirect(f"/one-time-token/error?code={refused.code}")
    user = state.user_by_email(token.email)
    registered = user is None
    if user is None:
        user = state.add_user(token.email)  # no password; the email counts as verified
    elif user.is_suspended:
        return pages.message_page("Sign-in error", "This account is suspended.", status=403)
    token.status = "consumed"
    org_ids = [oid for oid in token.context.get("jitOrganizationIds") or [] if isinstance(oid, str)]
    return provider.sign_in_directly(
        request, interaction, user, registered=registered, organization_ids=org_ids
    )


def error_page(request: Request) -> Response:
    code = request.args.get("code", "")
    return pages.message_page("Sign-in error", MESSAGES.get(code, "The token is invalid."))


class OneTimeTokensApi:
    def __init__(self, emu: Emulator) -> None:
        self.state = emu.state

    def _token(self, token_id: str) -> OneTimeToken:
        token = self.state.one_time_tokens.get(token_id)
        if token is None:
            raise not_exists_with_id("one-time token", token_id)
        return token

    def tokens_list(self, request: Request) -> Response:
        email = request.args.get("email")
        status = request.args.get("status")
        if email is not None and not _EMAIL.match(email):
            raise issue("email", "Invalid")
        if status is not None and status not in STATUSES:
            raise issue("status", "Invalid enum value")
        tokens = [
            t.to_api()
            for t in self.state.one_time_tokens.values()
            if (email is None or t.email == email) and (status is None or t.status == status)
        ]
        return page(request, tokens, optional=True)

    def token_create(self, request: Request) -> Response:
        body = json_body(request)
        email = string_field(body, "email", required=True, min_length=1, max_length=128)
        context = body.get("context", {})
        if not isinstance(context, dict):
            raise issue("context", "Expected object")
        org_ids = context.get("jitOrganizationIds")
        if org_ids is not None and (
            not isinstance(org_ids, list) or not all(isinstance(i, str) for i in org_ids)
        ):
            raise issue("context.jitOrganizationIds", "Expected an array of strings")
        if context.get("interactionEvent", "SignIn") not in INTERACTION_EVENTS:
            raise issue("context.interactionEvent", "Invalid enum value")
        expires_in = body.get("expiresIn", DEFAULT_LIFETIME_S)
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
            raise issue("expiresIn", "Expected number")
        if expires_in < 1:
            raise issue("expiresIn", "Number must be greater than or equal to 1")
        now = now_ms()
        for other in self.state.one_time_tokens.values():
            # Logto marks the address's stale active tokens expired when it makes a new one.
            if other.email == email and other.status == "active" and other.expires_at <= now:
                other.status = "expired"
        token = OneTimeToken(
            id=new_id(21),
            email=email,
            token=new_secret(),
            expires_at=now + int(expires_in * 1000),
            context=context,
            created_at=now,
        )
        self.state.one_time_tokens[token.id] = token
        return json_response(token.to_api(), status=201)

    def token_get(self, request: Request, token_id: str) -> Response:
        return json_response(self._token(token_id).to_api())

    def token_delete(self, request: Request, token_id: str) -> Response:
        if self.state.one_time_tokens.pop(token_id, None) is None:
            raise not_found("one-time token")
        return no_content()

    def token_status(self, request: Request, token_id: str) -> Response:
        status = json_body(request).get("status")
        if status not in STATUSES:
            raise issue("status", f"Invalid enum value. Expected {' | '.join(STATUSES)}")
        token = self.state.one_time_tokens.get(token_id)
        if token is None:
            raise not_found("one-time token")
        if status == "active":
            raise TokenRefused("one_time_token.cannot_reactivate_token")
        token.status = status
        return json_response(token.to_api())

    def token_verify(self, request: Request) -> Response:
        body = json_body(request)
        value = string_field(body, "token", required=True, min_length=1, max_length=256)
        email = string_field(body, "email", required=True, min_length=1, max_length=128)
        token = check(self.state, value, email)
        token.status = "consumed"
        return json_response(token.to_api())


ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler)
    ("GET", "/one-time-tokens", "one_time_tokens.list", "tokens_list"),
    ("POST", "/one-time-tokens", "one_time_tokens.create", "token_create"),
    ("POST", "/one-time-tokens/verify", "one_time_tokens.verify", "token_verify"),
    ("GET", "/one-time-tokens/<token_id>", "one_time_tokens.get", "token_get"),
    ("DELETE", "/one-time-tokens/<token_id>", "one_time_tokens.delete", "token_delete"),
    ("PUT", "/one-time-tokens/<token_id>/status", "one_time_tokens.status", "token_status"),
]

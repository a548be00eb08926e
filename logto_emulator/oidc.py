"""The OIDC provider half of the emulator, with Logto's URLs, claims and quirks."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import jwt
from werkzeug.utils import redirect
from werkzeug.wrappers import Request, Response

from logto_emulator import applications, experience, one_time_tokens, pages
from logto_emulator.errors import OAuthError, json_response
from logto_emulator.keys import jwks_document
from logto_emulator.state import Application, MfaVerification, User, new_id, now_ms

if TYPE_CHECKING:
    from logto_emulator.app import Emulator

SESSION_COOKIE = "_logto_emulator_session"
ORGANIZATIONS_RESOURCE = "urn:logto:resource:organizations"
TOKEN_TTL = 3600
CODE_TTL = 60
SCOPE_ORGANIZATIONS = "urn:logto:scope:organizations"
SCOPE_ORGANIZATION_ROLES = "urn:logto:scope:organization_roles"
SUPPORTED_SCOPES = [
    "openid",
    "offline_access",
    "profile",
    "email",
    "roles",
    SCOPE_ORGANIZATIONS,
    SCOPE_ORGANIZATION_ROLES,
]


@dataclass
class Interaction:
    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    resource: str | None
    resources: list[str]
    prompt: list[str]
    # The languages the sign-in pages should speak (OIDC `ui_locales`), most wanted first.
    ui_locales: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)


@dataclass
class Grant:
    """What an authorization code or refresh token stands for."""

    client_id: str
    user_id: str
    scopes: list[str]
    auth_time: int
    nonce: str | None = None
    redirect_uri: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    resource: str | None = None
    resources: list[str] = field(default_factory=list)
    consent: bool = False
    expires: float = 0.0
    used: bool = False


class OidcProvider:
    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator
        self.interactions: dict[str, Interaction] = {}
        self.sessions: dict[str, dict[str, Any]] = {}  # browser session id -> {user_id, auth_time}
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, Grant] = {}
        self.opaque_tokens: dict[str, Grant] = {}  # userinfo-only access tokens
        self.logout_requests: dict[str, dict[str, Any]] = {}
        # interaction id -> (user who must bind a factor, registered, JIT organization ids)
        self.mfa_bindings: dict[str, tuple[str, bool, tuple[str, ...]]] = {}
        self.mfa_prompted: set[str] = set()  # interactions whose user skipped the MFA page

    def register(self, route) -> None:
        route("GET", "/oidc/.well-known/openid-configuration", "oidc.discovery", self.discovery)
        route("GET", "/oidc/jwks", "oidc.jwks", self.jwks)
        route("GET", "/oidc/auth", "oidc.auth", self.authorize)
        route("GET", "/sign-in", "oidc.sign_in_page", self.sign_in_form)
        route("POST", "/sign-in", "oidc.sign_in", self.sign_in_submit)
        route("GET", "/register", "oidc.register_page", self.register_form)
        route("POST", "/register", "oidc.register", self.register_submit)
        route("POST", "/mfa-binding", "oidc.mfa_binding", self.mfa_binding_submit)
        route("POST", "/oidc/token", "oidc.token", self.token)
        route("GET POST", "/oidc/me", "oidc.userinfo", self.userinfo)
        route("GET", "/oidc/session/end", "oidc.end_session", self.end_session)
        route("POST", "/oidc/session/end/confirm", "oidc.end_session_confirm", self.end_confirm)

    # -- discovery ---------------------------------------------------------------------------
    def discovery(self, request: Request) -> Response:
        iss = self.emu.issuer
        return json_response(
            {
                "issuer": iss,
                "authorization_endpoint": f"{iss}/auth",
                "token_endpoint": f"{iss}/token",
                "userinfo_endpoint": f"{iss}/me",
                "jwks_uri": f"{iss}/jwks",
                "end_session_endpoint": f"{iss}/session/end",
                "response_types_supported": ["code"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "client_credentials",
                ],
                "scopes_supported": SUPPORTED_SCOPES,
                "code_challenge_methods_supported": ["S256"],
                "id_token_signing_alg_values_supported": [self.emu.signing_key.alg],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "subject_types_supported": ["public"],
                "authorization_response_iss_parameter_supported": True,
                "claims_supported": [
                    "sub",
                    "name",
                    "picture",
                    "username",
                    "email",
                    "email_verified",
                    "organizations",
                    "organization_roles",
                ],
            }
        )

    def jwks(self, request: Request) -> Response:
        return Response(jwks_document(self.emu.keys), content_type="application/json")

    # -- authorization -----------------------------------------------------------------------
    def authorize(self, request: Request) -> Response:
        args = request.args
        app = self.emu.state.applications.get(args.get("client_id", ""))
        if app is None or app.type != "Traditional":
            return pages.message_page("Sign-in error", "Unknown client_id.", status=400)
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in app.redirect_uris:
            return pages.message_page(
                "Sign-in error",
                f"redirect_uri {redirect_uri!r} is not registered for this application.",
                status=400,
            )
        state = args.get("state")
        if args.get("response_type") != "code":
            return self._auth_error(redirect_uri, state, "unsupported_response_type")
        scopes = args.get("scope", "").split()
        if "openid" not in scopes:
            return self._auth_error(redirect_uri, state, "invalid_scope", "openid is required")
        method = args.get("code_challenge_method")
        if args.get("code_challenge") and method not in (None, "S256"):
            return self._auth_error(redirect_uri, state, "invalid_request", "S256 only")
        interaction = Interaction(
            client_id=app.id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            nonce=args.get("nonce"),
            code_challenge=args.get("code_challenge"),
            code_challenge_method=method,
            resource=args.get("resource"),
            resources=args.getlist("resource"),
            prompt=args.get("prompt", "").split(),
            ui_locales=args.get("ui_locales", "").split(),
        )
        self.emu.state.ui_locales_requested.append(args.get("ui_locales", ""))
        # Added: a one-time token (magic link) signs in or registers without a page.
        if args.get("one_time_token"):
            return one_time_tokens.sign_in_with_token(self, request, interaction)
        session = self._session(request)
        if session and "login" not in interaction.prompt:
            return self._complete(interaction, session["user_id"], session["auth_time"])
        if "none" in interaction.prompt:
            return self._auth_error(redirect_uri, state, "login_required", "End-User not signed in")
        uid = secrets.token_urlsafe(16)
        self.interactions[uid] = interaction
        query = {"interaction": uid}
        if args.get("login_hint"):
            query["login_hint"] = args["login_hint"]
        wants_register = args.get("first_screen") == "register" and self._can_register()
        screen = "/register" if wants_register else "/sign-in"
        return redirect(f"{screen}?{urlencode(query)}")

    def _auth_error(
        self, redirect_uri: str, state: str | None, error: str, description: str = ""
    ) -> Response:
        params = {"error": error, "error_description": description, "iss": self.emu.issuer}
        if state:
            params["state"] = state
        return redirect(f"{redirect_uri}?{urlencode(params)}")

    def _interaction(self, uid: str) -> Interaction | None:
        interaction = self.interactions.get(uid)
        if interaction and time.time() - interaction.created < 3600:
            return interaction
        return None

    def sign_in_form(self, request: Request) -> Response:
        uid = request.args.get("interaction", "")
        if not self._interaction(uid):
            return pages.message_page("Session expired", "Start signing in again.", status=400)
        return pages.sign_in_page(
            uid,
            email=request.args.get("login_hint", ""),
            can_register=self._can_register(),
            lang=self._page_language(uid),
        )

    def _page_language(self, uid: str) -> str:
        """The language the sign-in page is marked up in: the first of `ui_locales` (the
        emulator's pages stay English; a test reads the `lang` to see the request reached it)."""
        interaction = self._interaction(uid)
        return interaction.ui_locales[0] if interaction and interaction.ui_locales else "en"

    def _can_register(self) -> bool:
        """A "sign in only" tenant (`signInMode: SignIn`) offers no sign-up page."""
        return self.emu.state.sign_in_mode != "SignIn"

    def _registration_closed(self) -> Response:
        return pages.message_page(
            "Registration is disabled", "This tenant only lets existing accounts sign in.", 403
        )

    def sign_in_submit(self, request: Request) -> Response:
        uid = request.form.get("interaction", "")
        interaction = self._interaction(uid)
        if not interaction:
            return pages.message_page("Session expired", "Start signing in again.", status=400)
        identifier = request.form.get("identifier", "").strip()
        user = self.emu.state.user_by_email(identifier) or next(
            (u for u in self.emu.state.users.values() if u.username == identifier), None
        )
        password = request.form.get("password", "")
        if (
            user is None
            or user.password is None
            or not secrets.compare_digest(user.password.encode(), password.encode())
        ):
            return pages.sign_in_page(
                uid,
                identifier,
                error="Invalid email or password.",
                can_register=self._can_register(),
            )
        if user.is_suspended:
            return pages.sign_in_page(
                uid,
                identifier,
                error="This account is suspended.",
                can_register=self._can_register(),
            )
        return self._sign_in(uid, interaction, user, request)

    def register_form(self, request: Request) -> Response:
        if not self._can_register():
            return self._registration_closed()
        uid = request.args.get("interaction", "")
        if not self._interaction(uid):
            return pages.message_page("Session expired", "Start signing in again.", status=400)
        return pages.register_page(uid, email=request.args.get("login_hint", ""))

    def register_submit(self, request: Request) -> Response:
        if not self._can_register():
            return self._registration_closed()
        uid = request.form.get("interaction", "")
        interaction = self._interaction(uid)
        if not interaction:
            return pages.message_page("Session expired", "Start signing in again.", status=400)
        email = request.form.get("email", "").strip()
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        error = None
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            error = "Enter a valid email address."
        elif self.emu.state.user_by_email(email):
            error = "This email is associated with an existing account."
        elif len(password) < 8:
            error = "The password needs at least 8 characters."
        if error:
            return pages.register_page(uid, email, name, error=error)
        user = self.emu.state.add_user(email, password, name=name or None)
        return self._sign_in(uid, interaction, user, request, registered=True)

    def _sign_in(
        self,
        uid: str,
        interaction: Interaction,
        user: User,
        request: Request,
        *,
        registered: bool = False,
        organization_ids: tuple[str, ...] | list[str] = (),
    ) -> Response:
        prompt = None if uid in self.mfa_prompted else self._mfa_prompt(user)
        if prompt:
            self.mfa_bindings[uid] = (user.id, registered, tuple(organization_ids))
            return pages.mfa_binding_page(uid, can_skip=prompt == "offered")
        self.mfa_prompted.discard(uid)
        del self.interactions[uid]
        auth_time = int(time.time())
        user.last_sign_in_at = now_ms()
        sid = secrets.token_urlsafe(24)
        self.sessions[sid] = {"user_id": user.id, "auth_time": auth_time}
        # Added: JIT provisioning and the interaction webhooks (experience.py).
        experience.after_sign_in(
            self.emu,
            request,
            interaction.client_id,
            user,
            sid,
            registered=registered,
            organization_ids=organization_ids,
        )
        response = self._complete(interaction, user.id, auth_time)
        response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Lax", path="/")
        return response

    def _mfa_prompt(self, user: User) -> str | None:
        """The MFA page Logto shows after the password: "forced" (no Skip), "offered" (Skip),
        or None. Only when the tenant enables a factor and the user has none; forced for
        members of an MFA-requiring organization under `organizationRequiredMfaPolicy`
        "Mandatory", or for everyone under a mandatory tenant policy (BEHAVIOUR.md)."""
        state = self.emu.state
        if "Totp" not in state.mfa.factors or user.mfa_verifications:
            return None
        in_mfa_organization = any(
            org.is_mfa_required and user.id in org.members for org in state.organizations.values()
        )
        if state.mfa.policy.endswith("Mandatory") or (
            in_mfa_organization and state.mfa.organization_required_mfa_policy == "Mandatory"
        ):
            return "forced"
        return None if state.mfa.policy == "NoPrompt" and not in_mfa_organization else "offered"

    def mfa_binding_submit(self, request: Request) -> Response:
        uid = request.form.get("interaction", "")
        interaction = self._interaction(uid)
        user_id, registered, organization_ids = self.mfa_bindings.pop(uid, ("", False, ()))
        user = self.emu.state.users.get(user_id)
        if not interaction or user is None:
            return pages.message_page("Session expired", "Start signing in again.", status=400)
        if request.form.get("skip") and self._mfa_prompt(user) == "offered":
            self.mfa_prompted.add(uid)  # asked once; go on without a factor
        else:
            # The emulator trusts the button: a real authenticator code is not checked.
            user.mfa_verifications.append(MfaVerification(id=new_id(), type="Totp"))
        return self._sign_in(
            uid,
            interaction,
            user,
            request,
            registered=registered,
            organization_ids=organization_ids,
        )

    def sign_in_directly(
        self,
        request: Request,
        interaction: Interaction,
        user: User,
        *,
        registered: bool,
        organization_ids: list[str],
    ) -> Response:
        """Added for one-time tokens: finish an interaction that shows no page."""
        uid = secrets.token_urlsafe(16)
        self.interactions[uid] = interaction
        return self._sign_in(
            uid,
            interaction,
            user,
            request,
            registered=registered,
            organization_ids=organization_ids,
        )

    def _complete(self, interaction: Interaction, user_id: str, auth_time: int) -> Response:
        code = secrets.token_urlsafe(32)
        self.codes[code] = Grant(
            client_id=interaction.client_id,
            user_id=user_id,
            scopes=interaction.scopes,
            auth_time=auth_time,
            nonce=interaction.nonce,
            redirect_uri=interaction.redirect_uri,
            code_challenge=interaction.code_challenge,
            code_challenge_method=interaction.code_challenge_method,
            resource=interaction.resource,
            resources=interaction.resources,
            consent="consent" in interaction.prompt,
            expires=time.time() + CODE_TTL,
        )
        params = {"code": code, "iss": self.emu.issuer}
        if interaction.state:
            params["state"] = interaction.state
        return redirect(f"{interaction.redirect_uri}?{urlencode(params)}")

    def _session(self, request: Request) -> dict[str, Any] | None:
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if session and session["user_id"] in self.emu.state.users:
            return session
        return None

    # -- token endpoint ----------------------------------------------------------------------
    def _client(self, request: Request) -> Application:
        auth = request.authorization
        if auth and auth.type == "basic":
            client_id, secret = auth.username or "", auth.password or ""
        else:
            client_id = request.form.get("client_id", "")
            secret = request.form.get("client_secret", "")
        app = self.emu.state.applications.get(client_id)
        if app is None or not app.accepts_secret(secret):  # any live secret of the app
            raise OAuthError(401, "invalid_client", "client authentication failed")
        return app

    def token(self, request: Request) -> Response:
        client = self._client(request)
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            return self._token_from_code(request, client)
        if grant_type == "refresh_token":
            return self._token_from_refresh(request, client)
        if grant_type == "client_credentials":
            return self._token_for_client(request, client)
        raise OAuthError(400, "unsupported_grant_type", f"unsupported grant_type {grant_type}")

    def _token_from_code(self, request: Request, client: Application) -> Response:
        code = request.form.get("code", "")
        grant = self.codes.get(code)
        if grant is None or grant.expires < time.time() or grant.client_id != client.id:
            raise OAuthError(400, "invalid_grant", "grant request is invalid")
        if grant.used:
            # A replayed code is refused, and the tokens it produced are revoked (RFC 6749 4.1.2).
            self._revoke_from(grant)
            raise OAuthError(400, "invalid_grant", "grant request is invalid")
        grant.used = True
        if request.form.get("redirect_uri") != grant.redirect_uri:
            raise OAuthError(400, "invalid_grant", "grant request is invalid")
        if grant.code_challenge:
            verifier = request.form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(expected, grant.code_challenge):
                raise OAuthError(400, "invalid_grant", "PKCE verification failed")
        return self._issue_user_tokens(
            grant, resource=request.form.get("resource") or grant.resource
        )

    def _revoke_from(self, grant: Grant) -> None:
        for store in (self.opaque_tokens, self.refresh_tokens):
            for token, other in list(store.items()):
                if other.user_id == grant.user_id and other.auth_time == grant.auth_time:
                    del store[token]

    def _token_from_refresh(self, request: Request, client: Application) -> Response:
        token = request.form.get("refresh_token", "")
        grant = self.refresh_tokens.get(token)
        if grant is None or grant.client_id != client.id or grant.expires < time.time():
            raise OAuthError(400, "invalid_grant", "grant request is invalid")
        scopes = _narrowed(grant.scopes, request.form.get("scope"))
        resource = request.form.get("resource")
        organization_id = request.form.get("organization_id")
        # Logto does not rotate a fresh refresh token: every answer returns the same one, and
        # it stays valid (so two concurrent refreshes with it both succeed).
        if organization_id:
            return self._organization_token(grant, token, scopes, organization_id, resource)
        return self._issue_user_tokens(grant, resource=resource, scopes=scopes, refresh_token=token)

    def _organization_token(
        self,
        grant: Grant,
        refresh_token: str,
        scopes: list[str],
        organization_id: str,
        resource: str | None,
    ) -> Response:
        state = self.emu.state
        if SCOPE_ORGANIZATIONS not in grant.scopes:
            raise OAuthError(403, "insufficient_scope", "refresh token missing required scope")
        organization = state.organizations.get(organization_id)
        if organization is None or grant.user_id not in organization.members:
            raise OAuthError(403, "access_denied", "user is not a member of the organization")
        user = state.users.get(grant.user_id)
        if organization.is_mfa_required and user is not None and not user.mfa_verifications:
            # The check is "the user has a factor", not "this session used MFA".
            raise OAuthError(
                403, "access_denied", "organization requires MFA but user has no MFA configured"
            )
        if resource and resource != ORGANIZATIONS_RESOURCE:
            # An API resource token for one organization: that organization's role scopes.
            return self._issue_user_tokens(
                grant,
                resource=resource,
                scopes=scopes,
                refresh_token=refresh_token,
                organization_id=organization_id,
            )
        # Permissions are granted only when the sign-in asked for the organizations resource
        # and named them as scopes (observed Logto behaviour). Their order follows the
        # scope ids, as Logto's `distinct on (id)` query returns them.
        granted: list[str] = []
        if ORGANIZATIONS_RESOURCE in grant.resources:
            wanted = set(scopes)
            granted = [
                n for n in state.user_scope_names(organization, grant.user_id) if n in wanted
            ]
        token = self._access_token(
            subject=grant.user_id,
            audience=f"urn:logto:organization:{organization_id}",
            client_id=grant.client_id,
            scope=" ".join(granted),
        )
        body = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": " ".join(granted),
            "refresh_token": refresh_token,
        }
        user = state.users.get(grant.user_id)
        if user is not None and "openid" in scopes:
            body["id_token"] = self._id_token(user, grant, scopes)
        return json_response(body, headers={"Cache-Control": "no-store"})

    def _issue_user_tokens(
        self,
        grant: Grant,
        *,
        resource: str | None,
        scopes: list[str] | None = None,
        refresh_token: str | None = None,
        organization_id: str | None = None,
    ) -> Response:
        """Tokens for the user: a code exchange (no `refresh_token` yet) or a refresh."""
        user = self.emu.state.users.get(grant.user_id)
        if user is None:
            raise OAuthError(400, "invalid_grant", "grant request is invalid")
        scopes = grant.scopes if scopes is None else scopes
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": " ".join(scopes),
        }
        if resource and resource != ORGANIZATIONS_RESOURCE:
            if resource not in self.emu.api_resources:
                raise OAuthError(400, "invalid_target", "resource indicator is missing or unknown")
            granted = self._api_scopes(user, scopes, resource, organization_id)
            extra = {"organization_id": organization_id} if organization_id else {}
            body["access_token"] = self._access_token(
                subject=user.id,
                audience=resource,
                client_id=grant.client_id,
                scope=" ".join(granted),
                **extra,
            )
            body["scope"] = " ".join(granted)
        elif resource == ORGANIZATIONS_RESOURCE:
            # Observed trap: without `organization_id` this token carries every requested
            # permission name whatever the user's roles; it must never authorize anything.
            requested = " ".join(x for x in scopes if x not in SUPPORTED_SCOPES)
            body["access_token"] = self._access_token(
                subject=user.id, audience=resource, client_id=grant.client_id, scope=requested
            )
        else:
            # Logto: without a resource the access token is opaque and good for userinfo only.
            access = secrets.token_urlsafe(32)
            self.opaque_tokens[access] = Grant(
                client_id=grant.client_id,
                user_id=user.id,
                scopes=grant.scopes,
                auth_time=grant.auth_time,
                expires=time.time() + TOKEN_TTL,
            )
            body["access_token"] = access
        if "openid" in scopes:
            body["id_token"] = self._id_token(user, grant, scopes)
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        # Logto only issues a refresh token for offline_access *and* prompt=consent.
        elif "offline_access" in grant.scopes and grant.consent:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = Grant(
                client_id=grant.client_id,
                user_id=user.id,
                scopes=grant.scopes,
                auth_time=grant.auth_time,
                resources=grant.resources,
                consent=True,
                expires=time.time() + 14 * 24 * 3600,
            )
            body["refresh_token"] = refresh
        return json_response(body, headers={"Cache-Control": "no-store"})

    def _id_token(self, user: User, grant: Grant, scopes: list[str]) -> str:
        """Logto 1.42's ID token: no `auth_time` (nothing asks for it via max_age)."""
        now = int(time.time())
        claims = {
            "iss": self.emu.issuer,
            "sub": user.id,
            "aud": grant.client_id,
            "iat": now,
            "exp": now + TOKEN_TTL,
            **self.user_claims(user, scopes),
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return self.emu.signing_key.sign(claims)

    def _api_scopes(
        self, user: User, scopes: list[str], resource: str, organization_id: str | None
    ) -> list[str]:
        """Requested and granted: the requested names the user holds for `resource` through
        global roles or organization roles (all organizations, or just `organization_id`).
        Organization permission names are never granted here."""
        held = self.emu.state.resource_scope_names(user, resource, organization_id)
        return [name for name in dict.fromkeys(scopes) if name in held]

    def _token_for_client(self, request: Request, client: Application) -> Response:
        if client.type != "MachineToMachine":
            raise OAuthError(400, "unauthorized_client", "client_credentials not allowed")
        # Added: an organization application's token for one organization (applications.py).
        if request.form.get("organization_id"):
            return applications.organization_token(self, request, client)
        resource = request.form.get("resource")
        known = {self.emu.management_api_resource, *self.emu.api_resources}
        if not resource or resource not in known:
            raise OAuthError(400, "invalid_target", "resource indicator is missing or unknown")
        requested = request.form.get("scope", "").split()
        granted = [
            s
            for s in requested
            if s == "all"
            and resource == self.emu.management_api_resource
            and client.management_api_access
        ]
        token = self._access_token(
            subject=client.id, audience=resource, client_id=client.id, scope=" ".join(granted)
        )
        return _token_response(token, " ".join(granted))

    def _access_token(
        self, *, subject: str, audience: str, client_id: str, scope: str, **extra: str
    ) -> str:
        """A JWT access token as Logto issues them (`at+jwt`, an hour long). Nothing granted
        means no `scope` claim at all (not an empty one)."""
        now = int(time.time())
        claims = {
            "iss": self.emu.issuer,
            "sub": subject,
            "aud": audience,
            "client_id": client_id,
            "iat": now,
            "exp": now + TOKEN_TTL,
            "jti": secrets.token_urlsafe(16),
            **({"scope": scope} if scope else {}),
            **extra,
        }
        return self.emu.signing_key.sign(claims, typ="at+jwt")

    # -- claims and userinfo -----------------------------------------------------------------
    def user_claims(self, user: User, scopes: list[str], *, userinfo: bool = False) -> dict:
        state = self.emu.state
        claims: dict[str, Any] = {}
        if "profile" in scopes:
            claims.update(
                name=user.name,
                picture=user.avatar,
                username=user.username,
                updated_at=user.updated_at // 1000,
                created_at=user.created_at // 1000,
            )
        if "email" in scopes:
            claims.update(email=user.primary_email, email_verified=user.email_verified)
        if "roles" in scopes:
            claims["roles"] = list(user.global_roles)
        orgs = [org for org in state.organizations.values() if user.id in org.members]
        if SCOPE_ORGANIZATIONS in scopes:
            claims["organizations"] = [org.id for org in orgs]
            if userinfo:
                claims["organization_data"] = [
                    {"id": org.id, "name": org.name, "description": org.description} for org in orgs
                ]
        if SCOPE_ORGANIZATION_ROLES in scopes:
            claims["organization_roles"] = [
                f"{org.id}:{role['name']}"
                for org in orgs
                for role in state.roles_brief(org.members[user.id])
            ]
        return claims

    def userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else ""
        grant = self.opaque_tokens.get(token)
        if grant is None or grant.expires < time.time():
            response = json_response(
                {"error": "invalid_token", "error_description": "invalid token provided"},
                status=401,
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="oidc", error="invalid_token"'
            return response
        user = self.emu.state.users.get(grant.user_id)
        if user is None:
            raise OAuthError(401, "invalid_token", "invalid token provided")
        return json_response(
            {"sub": user.id, **self.user_claims(user, grant.scopes, userinfo=True)}
        )

    # -- sign-out ----------------------------------------------------------------------------
    def end_session(self, request: Request) -> Response:
        args = request.args
        client_id = args.get("client_id")
        hint = args.get("id_token_hint")
        if hint:
            try:
                # An expired hint is still a valid hint (the session may have outlived it).
                claims = self.emu.signing_key.verify(
                    hint, audience=None, issuer=self.emu.issuer, verify_exp=False
                )
            except jwt.InvalidTokenError:
                return pages.message_page("Sign-out error", "Invalid id_token_hint.", 400)
            client_id = client_id or claims.get("aud")
        post_logout = args.get("post_logout_redirect_uri")
        if post_logout:
            app = self.emu.state.applications.get(client_id or "")
            if app is None or post_logout not in app.post_logout_redirect_uris:
                return pages.message_page(
                    "Sign-out error",
                    "post_logout_redirect_uri is not registered for this application.",
                    400,
                )
        xsrf = secrets.token_urlsafe(16)
        self.logout_requests[xsrf] = {
            "redirect": post_logout,
            "state": args.get("state"),
        }
        return pages.end_session_page(xsrf)

    def end_confirm(self, request: Request) -> Response:
        pending = self.logout_requests.pop(request.form.get("xsrf", ""), None)
        if pending is None:
            return pages.message_page("Sign-out error", "This sign-out request expired.", 400)
        sid = request.cookies.get(SESSION_COOKIE, "")
        session = self.sessions.pop(sid, None)
        if session:
            self._revoke_from(Grant("", session["user_id"], [], session["auth_time"]))
        if pending["redirect"]:
            target = pending["redirect"]
            if pending["state"]:
                target += ("&" if "?" in target else "?") + urlencode({"state": pending["state"]})
            response = redirect(target, code=303)
        else:
            response = pages.message_page("Signed out", "You have been signed out.")
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    def decode_access_token(self, token: str, *, audience: str) -> dict[str, Any]:
        """Verify a JWT access token this emulator issued (used by the Management API)."""
        return self.emu.signing_key.verify(token, audience=audience, issuer=self.emu.issuer)


def _narrowed(granted: list[str], requested: str | None) -> list[str]:
    """The scopes of a refresh, narrowed by its `scope` parameter (a subset of the grant)."""
    if requested is None:
        return list(granted)
    wanted = requested.split()
    missing = [s for s in wanted if s not in granted]
    if missing:
        raise OAuthError(400, "invalid_scope", "refresh token missing requested scope")
    return wanted


def _token_response(access_token: str, scope: str) -> Response:
    return json_response(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_TTL,
            "scope": scope,
        },
        headers={"Cache-Control": "no-store"},
    )

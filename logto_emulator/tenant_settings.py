"""Tenant-wide settings the portal reads: connectors, sign-in experience (MFA), MFA factors.

Shapes and rules from shared/logto/BEHAVIOUR.md ("Organization MFA requirement") and the
OpenAPI document. Only what the portal and its tests need is modelled.
"""

from __future__ import annotations

import base64
import secrets
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from logto_emulator.errors import ApiError, json_response, not_found
from logto_emulator.state import MfaVerification, User, new_id
from logto_emulator.validation import issue, json_body

if TYPE_CHECKING:
    from logto_emulator.app import Emulator

MFA_FACTORS = ("Totp", "WebAuthn", "BackupCode", "EmailVerificationCode", "PhoneVerificationCode")
MFA_POLICIES = (
    "UserControlled",
    "Mandatory",
    "PromptOnlyAtSignIn",
    "PromptAtSignInAndSignUp",
    "NoPrompt",
    "PromptAtSignInAndSignUpMandatory",
    "PromptOnlyAtSignInMandatory",
)
ORGANIZATION_MFA_POLICIES = ("NoPrompt", "Mandatory")
EMAIL_CONNECTOR_ID = "emulator-outbox"
SIGN_IN_MODES = ("SignIn", "Register", "SignInAndRegister")


def connector_not_found() -> ApiError:
    """What Logto answers when it should send an email and has no email connector (501)."""
    return ApiError(
        501, "connector.not_found", "Cannot find any available connector for type: Email."
    )


class TenantSettingsApi:
    def __init__(self, emu: Emulator) -> None:
        self.state = emu.state

    def _user(self, user_id: str) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            raise not_found("user")
        return user

    # -- connectors ----------------------------------------------------------------------------
    def connectors_list(self, request: Request) -> Response:
        connectors = [_email_connector()] if self.state.email_connector else []
        target = request.args.get("target")
        return json_response([c for c in connectors if not target or c["target"] == target])

    # -- sign-in experience --------------------------------------------------------------------
    def sign_in_experience_get(self, request: Request) -> Response:
        return json_response(self._sign_in_experience())

    def sign_in_experience_update(self, request: Request) -> Response:
        body = json_body(request)
        if "signInMode" in body:
            if body["signInMode"] not in SIGN_IN_MODES:
                raise issue("signInMode", "Invalid enum value")
            self.state.sign_in_mode = body["signInMode"]
        if "mfa" in body:
            mfa = body["mfa"]
            if not isinstance(mfa, dict):
                raise issue("mfa", "Expected object")
            factors = mfa.get("factors", self.state.mfa.factors)
            if not isinstance(factors, list) or any(f not in MFA_FACTORS for f in factors):
                raise issue("mfa.factors", "Invalid enum value")
            policy = mfa.get("policy", self.state.mfa.policy)
            if policy not in MFA_POLICIES:
                raise issue("mfa.policy", "Invalid enum value")
            organization_policy = mfa.get("organizationRequiredMfaPolicy")
            if organization_policy is not None and organization_policy not in (
                ORGANIZATION_MFA_POLICIES
            ):
                raise issue("mfa.organizationRequiredMfaPolicy", "Invalid enum value")
            self.state.mfa.factors = list(dict.fromkeys(factors))
            self.state.mfa.policy = policy
            if "organizationRequiredMfaPolicy" in mfa:
                self.state.mfa.organization_required_mfa_policy = organization_policy
        return json_response(self._sign_in_experience())

    def _sign_in_experience(self) -> dict[str, Any]:
        return {
            "tenantId": "default",
            "id": "default",
            "color": {
                "primaryColor": "#6139f6",
                "isDarkModeEnabled": False,
                "darkPrimaryColor": "#8f72ff",
            },
            "branding": {},
            "hideLogtoBranding": False,
            "languageInfo": {"autoDetect": True, "fallbackLanguage": "en"},
            "termsOfUseUrl": None,
            "privacyPolicyUrl": None,
            "agreeToTermsPolicy": "Automatic",
            "signIn": {
                "methods": [
                    {
                        "identifier": "email",
                        "password": True,
                        "verificationCode": False,
                        "isPasswordPrimary": True,
                    }
                ]
            },
            "signUp": {"identifiers": ["email"], "password": True, "verify": False},
            "socialSignIn": {},
            "socialSignInConnectorTargets": [],
            "signInMode": self.state.sign_in_mode,
            "customCss": None,
            "customContent": {},
            "customUiAssets": None,
            "customUiCsp": {},
            "passwordPolicy": {},
            "mfa": self.state.mfa.to_api(),
            "adaptiveMfa": {},
            "singleSignOnEnabled": False,
            "supportEmail": None,
            "supportWebsiteUrl": None,
            "unknownSessionRedirectUrl": None,
            "captchaPolicy": {},
            "sentinelPolicy": {},
            "emailBlocklistPolicy": {},
            "verificationCodePolicy": {},
            "forgotPasswordMethods": None,
            "passkeySignIn": {},
            "signUpProfileFields": None,
            "passwordExpiration": {"enabled": False},
            "usernamePolicy": {},
        }

    # -- a user's MFA factors ------------------------------------------------------------------
    def mfa_verifications_list(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id)
        return json_response([v.to_api() for v in user.mfa_verifications])

    def mfa_verification_create(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id)
        body = json_body(request)
        kind = body.get("type")
        if kind not in ("Totp", "BackupCode"):
            raise issue("type", "Invalid enum value. Expected 'Totp' | 'BackupCode'")
        if any(v.type == kind for v in user.mfa_verifications):
            raise ApiError(
                422,
                "user.totp_already_in_use" if kind == "Totp" else "user.backup_code_already_in_use",
                "The user already has this kind of MFA verification.",
            )
        user.mfa_verifications.append(MfaVerification(id=new_id(), type=kind))
        if kind == "Totp":
            secret = body.get("secret") or base64.b32encode(secrets.token_bytes(20)).decode()
            return json_response(
                {"type": kind, "secret": secret, "secretQrCode": "data:image/png;base64,"}
            )
        codes = body.get("codes") or [secrets.token_hex(5) for _ in range(10)]
        return json_response({"type": kind, "codes": codes})

    def mfa_verification_delete(
        self, request: Request, user_id: str, verification_id: str
    ) -> Response:
        user = self._user(user_id)
        kept = [v for v in user.mfa_verifications if v.id != verification_id]
        if len(kept) == len(user.mfa_verifications):
            raise not_found("MFA verification")
        user.mfa_verifications = kept
        return Response(status=204)


def _email_connector() -> dict[str, Any]:
    text = {"en": "Emulator outbox"}
    return {
        "id": EMAIL_CONNECTOR_ID,
        "syncProfile": False,
        "enableTokenStorage": False,
        "config": {},
        "metadata": {},
        "connectorId": EMAIL_CONNECTOR_ID,
        "target": "emulator-outbox",
        "name": text,
        "description": text,
        "logo": "./logo.svg",
        "logoDark": None,
        "readme": "",
        "platform": None,
        "type": "Email",
    }


ROUTES: list[tuple[str, str, str, str]] = [
    # (methods, path, route name, handler)
    ("GET", "/connectors", "connectors.list", "connectors_list"),
    ("GET", "/sign-in-exp", "sign_in_exp.get", "sign_in_experience_get"),
    ("PATCH", "/sign-in-exp", "sign_in_exp.update", "sign_in_experience_update"),
    ("GET", "/users/<user_id>/mfa-verifications", "users.mfa.list", "mfa_verifications_list"),
    ("POST", "/users/<user_id>/mfa-verifications", "users.mfa.create", "mfa_verification_create"),
    (
        "DELETE",
        "/users/<user_id>/mfa-verifications/<verification_id>",
        "users.mfa.delete",
        "mfa_verification_delete",
    ),
]

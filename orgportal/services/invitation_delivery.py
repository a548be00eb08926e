"""Delivering an invitation email: by the portal through Django's email framework (HTML and
text), or by Logto through the tenant's email connector (ORGPORTAL_INVITATION_DELIVERY).

Logto Cloud's built-in email service does not send organization invitations, so the portal
itself is the default.

Either way the email is written in the language chosen for it (`language`), whatever language
the process sending it runs in: the portal renders it under that language, Logto gets it as
the message's `locale`.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from orgportal import logto
from orgportal.logto.models import Invitation
from orgportal.services.address_proof import invitation_address_key
from orgportal.services.text import one_line


def invitation_deliver(
    *,
    invitation: Invitation,
    organization_name: str,
    inviter_name: str,
    role_names: list[str],
    personal_message: str = "",
    language: str = "",
) -> None:
    """Send the invitation's email by the configured route, in `language` (default: the
    portal's default language); raises when it did not go out."""
    language = language or settings.LANGUAGE_CODE
    if settings.ORGPORTAL_INVITATION_DELIVERY == "logto":
        logto.get_client().send_organization_invitation_message(
            invitation.id,
            link=invitation_link(invitation.id, invitation.invitee),
            locale=language,
        )
        return
    send = partial(
        invitation_email_send,
        to=invitation.invitee,
        invitation_id=invitation.id,
        organization_name=organization_name,
        inviter_name=inviter_name,
        role_names=role_names,
        expires_at=invitation.expires_at,
        personal_message=personal_message,
        language=language,
    )
    try:
        send()
    except Exception:
        send()  # one retry for a passing SMTP hiccup


def invitation_link(invitation_id: str, invitee: str) -> str:
    """The landing page, with the key that proves the email was read (address_proof.py)."""
    key = invitation_address_key(invitation_id, invitee)
    return f"{settings.PORTAL_BASE_URL}/invitations/{invitation_id}/?key={key}"


def invitation_email_send(*, language: str = "", **email: Any) -> None:
    """Send one invitation email written in `language` (subject, text, HTML and dates), not
    in the language the sending process runs in; without one, in the active language. Raises
    on delivery failure (the caller decides what next)."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        _invitation_email_send(**email)


def _invitation_email_send(
    *,
    to: str,
    invitation_id: str,
    organization_name: str,
    inviter_name: str,
    role_names: list[str],
    expires_at: datetime | None,
    personal_message: str = "",
) -> None:
    """Send one invitation email in the active language."""
    context = {
        "link": invitation_link(invitation_id, to),
        "organization_name": organization_name,
        "inviter_name": inviter_name,
        "role_names": role_names,
        "expires_at": expires_at,
        "personal_message": personal_message,
    }
    # Both names come from Logto, where anyone may have put a line break (a header
    # injection, and Django refuses the whole email) or a direction mark (a spoofed subject).
    subject = _("%(inviter)s invited you to join %(organization)s") % {
        "inviter": one_line(inviter_name),
        "organization": one_line(organization_name),
    }
    text = render_to_string("orgportal/email/invitation.txt", context)
    html = render_to_string("orgportal/email/invitation.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)

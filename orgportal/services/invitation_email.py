"""Invitation emails sent by the portal itself (HTML + text), through Django's email framework.

Logto Cloud's built-in email service does not send organization invitations, so this is the
default delivery; setting ORGPORTAL_INVITATION_DELIVERY=logto uses the tenant's connector.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def invitation_link(invitation_id: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/invitations/{invitation_id}/"


def invitation_email_send(
    *,
    to: str,
    invitation_id: str,
    organization_name: str,
    inviter_name: str,
    role_names: list[str],
    expires_at,
    personal_message: str = "",
) -> None:
    """Send one invitation email; raises on delivery failure (the caller decides what next)."""
    context = {
        "link": invitation_link(invitation_id),
        "organization_name": organization_name,
        "inviter_name": inviter_name,
        "role_names": role_names,
        "expires_at": expires_at,
        "personal_message": personal_message,
    }
    subject = f"{inviter_name} invited you to join {organization_name}"
    text = render_to_string("orgportal/email/invitation.txt", context)
    html = render_to_string("orgportal/email/invitation.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)

"""The emails around a request to join (by domain or through an invite link): the people who
decide hear of a new request, the person hears the decision; each in their own language
(User.language).

Sent at once; a failure is logged and never undoes the request or the decision (the list on
the domains page and the dashboard show where things stand)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from orgportal import logto
from orgportal.logto.errors import LogtoError
from orgportal.models import JoinRequest, User
from orgportal.services.access import Perm, permission_name, roles_by_id
from orgportal.services.languages import supported_language
from orgportal.services.template import roles_with_permission
from orgportal.services.text import one_line

logger = logging.getLogger(__name__)
MAX_ADMINS_EMAILED = 20


def _language_of(logto_id: str | None) -> str:
    saved = User.objects.filter(logto_id=logto_id).values_list("language", flat=True).first()
    return supported_language(saved) or settings.LANGUAGE_CODE


def _send(*, to: str, language: str, subject: str, template: str, context: dict) -> None:
    with translation.override(language):
        text = render_to_string(template, context)
        subject_text = one_line(_(subject) % {"organization": context["organization_name"]})
    try:
        EmailMultiAlternatives(subject=subject_text, body=text, to=[to]).send(fail_silently=False)
    except Exception as error:  # the request or decision stands; the page shows it
        logger.warning("Could not send the join email to %s: %s", to, error)


def _admin_addresses(
    organization_id: str, deciders: str, granting: Iterable[str] = ()
) -> list[tuple[str, str | None]]:
    """(address, Logto id) of the people holding `deciders` (a Perm key) whose roles also
    cover the roles `granting` (ids): those who can decide."""
    client = logto.get_client()
    roles = roles_by_id()
    needed = {scope for rid in granting if rid in roles for scope in roles[rid].scope_names or ()}
    found: dict[str, str | None] = {}
    try:
        for role in roles_with_permission(permission_name(deciders)):
            page = client.list_organization_users(
                organization_id, role_id=role.id, page_size=MAX_ADMINS_EMAILED
            )
            for member in page:
                held = {
                    scope
                    for ref in member.roles
                    if ref.id in roles
                    for scope in roles[ref.id].scope_names or ()
                }
                if member.user.primary_email and needed <= held:
                    found.setdefault(member.user.primary_email, member.user.id)
    except LogtoError as error:
        logger.warning("Could not read the admins of %s to email: %s", organization_id, error)
    return list(found.items())[:MAX_ADMINS_EMAILED]


def join_requested_email_send(request: JoinRequest) -> None:
    """To those who decide: members managers for a domain, inviters for an invite link."""
    base = f"{settings.PORTAL_BASE_URL}/orgs/{request.organization_id}"
    granting: list[str] = []
    if request.invite_link is not None:
        link, deciders = f"{base}/invitations/links/#join-requests", Perm.INVITE_MEMBER
        granting = list(request.invite_link.role_ids)
    else:
        link, deciders = f"{base}/domains/", Perm.MANAGE_MEMBER
    for address, logto_id in _admin_addresses(request.organization_id, deciders, granting):
        _send(
            to=address,
            language=_language_of(logto_id),
            subject="Someone asks to join %(organization)s",
            template="orgportal/email/join_requested.txt",
            context={
                "organization_name": request.organization_name,
                "person": request.user.display_name,
                "email": request.email,
                "link": link,
                "roles": ", ".join(request.invite_link.role_names) if request.invite_link else "",
            },
        )


def join_decided_email_send(request: JoinRequest) -> None:
    approved = request.state == JoinRequest.State.APPROVED
    _send(
        to=request.email,
        language=supported_language(request.user.language) or settings.LANGUAGE_CODE,
        subject=(
            "You joined %(organization)s" if approved else "Your request to join %(organization)s"
        ),
        template="orgportal/email/join_decided.txt",
        context={
            "organization_name": request.organization_name,
            "approved": approved,
            "link": f"{settings.PORTAL_BASE_URL}/orgs/{request.organization_id}/"
            if approved
            else f"{settings.PORTAL_BASE_URL}/",
        },
    )


# The subjects, for the catalogue (they are translated in `_send`, in the recipient's language).
_SUBJECTS = (
    translation.gettext_noop("Someone asks to join %(organization)s"),
    translation.gettext_noop("You joined %(organization)s"),
    translation.gettext_noop("Your request to join %(organization)s"),
)

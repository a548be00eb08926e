"""Invite links: `/join/<token>/` lets anyone signed in with a verified address (at one of the
link's domains, when it names some) join an organization with the link's roles, or, when the
link asks an admin, ask to join (a JoinRequest that someone who may invite decides).

Rules, and why:
- Only holders of `invite:member` create, list and revoke links, and only with roles they
  could grant by invitation (no escalation).
- The token is `secrets.token_urlsafe` (192 bits): it cannot be guessed. Only its SHA-256 is
  stored, so a database reader holds no working link; the admin sees the link once.
- The person joining must have a verified email address: a link shared in the open gets
  people whose address Logto checked, and "allowed domains" mean something.
- A link works only while its creator could still make it: at each join the creator's access
  is read again from Logto, and a creator who left, lost `invite:member` or can no longer
  grant the link's roles takes the link's power with them.
- A use limit holds across every instance: a use is counted by one conditional UPDATE
  ("fewer uses than the limit, not revoked, not expired") before the person is added, and
  given back when adding them fails.
- On a link that asks an admin, a request is a use (a link for one person yields one
  request), and a declined person cannot ask again through the same link. The approver
  grants the link's roles, so they too must be able to grant them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.logto.errors import InvalidInput, LogtoError
from orgportal.models import InviteLink, InviteLinkUse, JoinRequest, User
from orgportal.services.access import (
    Perm,
    access_for_change,
    organization_access,
    permissions_forget,
    refuse_escalation,
    require_known_roles,
    role_names,
)
from orgportal.services.audit import audit_in_organization, audited
from orgportal.services.domains import ALREADY_ASKED, join_request_open
from orgportal.services.errors import (
    ApplicationError,
    Doing,
    Gone,
    NotAllowed,
    OrganizationNotFound,
    later,
    refusal_from,
)
from orgportal.services.join_emails import join_decided_email_send
from orgportal.services.memberships import (
    organization_list_for_user_forget,
    organization_remember,
)
from orgportal.services.organization_names import organization_names

logger = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 32 characters in the URL
TOKEN_MAX_LENGTH = 64
MAX_DOMAINS = 20
MAX_EXPIRY_DAYS = 90
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

NOT_ALLOWED_HERE = gettext_lazy("You are not allowed to manage invite links here.")
NO_SUCH_LINK = gettext_lazy("This invite link does not exist. Ask for a new one.")
REVOKED = gettext_lazy("This invite link was revoked. Ask for a new one.")
EXPIRED = gettext_lazy("This invite link has expired. Ask for a new one.")
USED_UP = gettext_lazy("This invite link has been used as often as it allows. Ask for a new one.")
UNVERIFIED = gettext_lazy("Verify your email address in your account first, then try again.")
CREATOR_GONE = gettext_lazy("This invite link no longer works. Ask an admin for a new one.")
DECLINED = gettext_lazy(
    "An admin declined your request to join through this link. Ask them if you think this is "
    "a mistake."
)


def _cannot_grant(roles: str) -> str:
    return _("You cannot grant the role %(roles)s: it has permissions you do not have.") % {
        "roles": roles
    }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_url(token: str) -> str:
    return f"{settings.PORTAL_BASE_URL}/join/{token}/"


def domains_parsed(text: str) -> list[str]:
    """Domains typed with commas, spaces or new lines ("@example.com" too), lower-cased and
    checked; ValueError names the first that is no domain."""
    found: list[str] = []
    for word in re.split(r"[\s,;]+", text.strip().lower()):
        domain = word.removeprefix("@").rstrip(".")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise ValueError(word)
        if domain not in found:
            found.append(domain)
    return found


@dataclass(frozen=True)
class CreatedLink:
    link: InviteLink
    url: str  # shown once: only its hash is kept


def invite_link_create(
    *,
    actor: User,
    organization_id: str,
    role_ids: list[str],
    expires_in_days: int,
    max_uses: int | None = None,
    allowed_domains: Iterable[str] = (),
    asks_admin: bool = False,
) -> CreatedLink:
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_HERE)
    require_known_roles(role_ids)
    refuse_escalation(access, role_ids, _cannot_grant)
    domains = list(dict.fromkeys(d.lower() for d in allowed_domains))[:MAX_DOMAINS]
    days = max(1, min(int(expires_in_days), MAX_EXPIRY_DAYS))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    names = role_names(role_ids)
    link_id = uuid.uuid4()
    with audited(
        actor=actor,
        organization=access.organization,
        action="invite_link.created",
        target_type="invite_link",
        target_id=str(link_id),
        target_label="",
        after={
            "roles": names,
            "days": days,
            "max_uses": max_uses,
            "domains": domains,
            "asks_admin": asks_admin,
        },
    ):
        link = InviteLink.objects.create(
            id=link_id,
            organization_id=organization_id,
            token_hash=token_hash(token),
            role_ids=list(role_ids),
            role_names=names,
            allowed_domains=domains,
            max_uses=max_uses,
            expires_at=timezone.now() + timedelta(days=days),
            created_by=actor if actor.pk else None,
            created_by_label=actor.email or actor.display_name,
            asks_admin=asks_admin,
        )
    return CreatedLink(link=link, url=join_url(token))


def invite_link_list(*, actor: User, organization_id: str) -> list[InviteLink]:
    """The organization's links, newest first, each with its uses (`link.uses.all()`) and
    the requests made through it (`link.join_requests.all()`)."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_HERE)
    return list(
        InviteLink.objects.filter(organization_id=organization_id)
        .prefetch_related("uses", "join_requests")
        .order_by("-created_at")[:200]
    )


def invite_links_of(organization_id: str) -> list[InviteLink]:
    """For staff (the admin): every link of the organization, newest first, with its uses
    and requests."""
    return list(
        InviteLink.objects.filter(organization_id=organization_id)
        .prefetch_related("uses", "join_requests")
        .order_by("-created_at")[:200]
    )


def invite_link_requests(*, actor: User, organization_id: str) -> list[JoinRequest]:
    """Requests to join made through the organization's links, waiting for a decision."""
    access = organization_access(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_HERE)
    return list(
        JoinRequest.objects.filter(
            organization_id=organization_id,
            invite_link__isnull=False,
            state=JoinRequest.State.PENDING,
        )
        .select_related("user", "invite_link")
        .order_by("created_at")[:200]
    )


def invite_link_revoke(*, actor: User, organization_id: str, link_id: str) -> InviteLink:
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.INVITE_MEMBER, NOT_ALLOWED_HERE)
    try:
        link_pk = uuid.UUID(str(link_id))
    except ValueError:
        raise Gone(NO_SUCH_LINK) from None
    link = InviteLink.objects.filter(pk=link_pk, organization_id=organization_id).first()
    if link is None:
        raise Gone(NO_SUCH_LINK)
    if link.revoked_at is not None:
        return link
    with audited(
        actor=actor,
        organization=access.organization,
        action="invite_link.revoked",
        target_type="invite_link",
        target_id=str(link.pk),
        target_label="",
        after={"roles": link.role_names, "uses": link.use_count},
    ):
        now = timezone.now()
        InviteLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=now)
        # Nobody gets in through a revoked link: the requests it brought are declined.
        JoinRequest.objects.filter(invite_link=link, state=JoinRequest.State.PENDING).update(
            state=JoinRequest.State.DECLINED, decided_by=actor, decided_at=now
        )
    declined = JoinRequest.objects.filter(
        invite_link=link, state=JoinRequest.State.DECLINED, decided_by=actor, decided_at=now
    ).select_related("user")
    for request in declined:
        audit_in_organization(
            actor=actor,
            organization=access.organization,
            action="join_request.declined",
            target_type="user",
            target_id=request.user.logto_id or "",
            target_label=request.email,
            after={"invite_link": str(link.pk), "because": "invite link revoked"},
        )
        join_decided_email_send(request)
    link.refresh_from_db()
    return link


# -- the person who opens the link ------------------------------------------------------------
@dataclass(frozen=True)
class LinkView:
    """What `/join/<token>/` shows before anyone joins."""

    link: InviteLink
    organization_name: str
    # The viewer's own request through this link (a link that asks an admin), if any.
    asked: JoinRequest | None = None


def _link_for(token: str) -> InviteLink:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise Gone(NO_SUCH_LINK)
    link = InviteLink.objects.filter(token_hash=token_hash(token)).first()
    if link is None:
        raise Gone(NO_SUCH_LINK)
    return link


def _why_closed(link: InviteLink) -> ApplicationError | None:
    if link.revoked_at is not None:
        return Gone(REVOKED)
    if link.expires_at <= timezone.now():
        return Gone(EXPIRED)
    if link.max_uses is not None and link.use_count >= link.max_uses:
        return Gone(USED_UP)
    return None


def invite_link_view(*, token: str, viewer: User | None = None) -> LinkView:
    """The link and its organization's name; a refusal sentence when it cannot be used. A
    viewer who asked through it sees their request, also once the link is used up."""
    link = _link_for(token)
    asked = None
    if link.asks_admin and viewer is not None and viewer.pk:
        asked = link.join_requests.filter(user=viewer).order_by("-created_at").first()
    closed = _why_closed(link)
    if closed is not None and asked is None:
        raise closed
    name = organization_names([link.organization_id])[link.organization_id]
    if name is None:
        raise Gone(NO_SUCH_LINK)
    return LinkView(link=link, organization_name=name, asked=asked)


def _person_check(actor: User, link: InviteLink) -> None:
    if not actor.email or not actor.email_verified or not actor.logto_id:
        raise NotAllowed(UNVERIFIED)
    domain = actor.email.rsplit("@", 1)[-1].lower()
    if link.allowed_domains and domain not in link.allowed_domains:
        allowed = ", ".join(link.allowed_domains)
        raise NotAllowed(
            later(
                lambda: (
                    _("This invite link is only for email addresses at %(domains)s.")
                    % {"domains": allowed}
                )
            )
        )


@dataclass(frozen=True)
class Joined:
    organization_id: str
    organization_name: str
    already_member: bool
    requested: bool = False  # the link asks an admin: a request waits for a decision


class _Organization:
    def __init__(self, organization_id: str, name: str) -> None:
        self.id, self.name = organization_id, name


def invite_link_join(*, actor: User, token: str) -> Joined:
    """Join the link's organization with its roles, or say in one sentence why not."""
    view = invite_link_view(token=token)
    link = view.link
    _person_check(actor, link)
    client = logto.get_client()
    user_id = actor.logto_id or ""
    try:
        client.list_organization_user_roles(link.organization_id, user_id)
    except InvalidInput:
        pass  # not a member yet
    except LogtoError as error:
        raise refusal_from(error, Doing.NEW_MEMBER) from error
    else:
        return Joined(link.organization_id, view.organization_name, already_member=True)
    _creator_check(link)
    organization = _Organization(link.organization_id, view.organization_name)
    if link.asks_admin:
        _ask_to_join(link, actor, organization)
        return Joined(link.organization_id, view.organization_name, False, requested=True)
    use = _take_a_use(link, actor)
    try:
        with audited(
            actor=actor,
            organization=organization,
            action="invite_link.joined",
            target_type="invite_link",
            target_id=str(link.pk),
            target_label=actor.email,
            after={"roles": list(link.role_names)},
        ):
            _add(link, user_id)
    except (ApplicationError, LogtoError):
        _give_back(link, use)
        raise
    permissions_forget(organization_id=link.organization_id, user_id=user_id)
    organization_list_for_user_forget(user_id=user_id)
    organization_remember(actor=actor, organization_id=link.organization_id)
    return Joined(link.organization_id, view.organization_name, already_member=False)


def _creator_check(link: InviteLink) -> None:
    """The link grants what its creator may grant now, read fresh from Logto: nothing once
    they left the organization, lost `invite:member` or the link's roles exceed theirs."""
    creator = link.created_by
    if creator is None:
        raise Gone(CREATOR_GONE)
    try:
        access = access_for_change(user=creator, organization_id=link.organization_id)
    except OrganizationNotFound:
        raise Gone(CREATOR_GONE) from None
    except LogtoError as error:
        raise refusal_from(error, Doing.NEW_MEMBER) from error
    if not access.can(Perm.INVITE_MEMBER):
        raise Gone(CREATOR_GONE)
    refuse_escalation(access, link.role_ids, lambda _roles: str(CREATOR_GONE))


def _ask_to_join(link: InviteLink, actor: User, organization: _Organization) -> None:
    """A request through the link: refused while one waits or after a decline; a use is
    taken (and given back when the request cannot be made)."""
    asked = JoinRequest.objects.filter(organization_id=link.organization_id, user=actor)
    if asked.filter(state=JoinRequest.State.PENDING).exists():
        raise ApplicationError(ALREADY_ASKED)
    if asked.filter(invite_link=link, state=JoinRequest.State.DECLINED).exists():
        raise NotAllowed(DECLINED)
    use = _take_a_use(link, actor)
    try:
        join_request_open(
            actor=actor,
            organization=organization,
            after={"roles": list(link.role_names), "invite_link": str(link.pk)},
            invite_link=link,
            still_allowed=lambda: _not_revoked_since(link),
        )
    except ApplicationError:  # asked at this moment in another request, or revoked
        _give_back(link, use)
        raise


def _not_revoked_since(link: InviteLink) -> None:
    """Read again once the request is written: a revoke that ran in between declined every
    request but this one, so this one is taken back."""
    if InviteLink.objects.filter(pk=link.pk, revoked_at__isnull=False).exists():
        raise Gone(REVOKED)


def _take_a_use(link: InviteLink, actor: User) -> InviteLinkUse:
    """Count one use, if the link still allows one (one UPDATE: safe on every instance), and
    record who used it; else the refusal."""
    open_now = Q(revoked_at__isnull=True, expires_at__gt=timezone.now()) & (
        Q(max_uses__isnull=True) | Q(use_count__lt=F("max_uses"))
    )
    try:
        with transaction.atomic():
            counted = InviteLink.objects.filter(open_now, pk=link.pk).update(
                use_count=F("use_count") + 1
            )
            if counted:
                return InviteLinkUse.objects.create(
                    link=link,
                    user=actor,
                    logto_user_id=actor.logto_id or "",
                    label=actor.email or actor.display_name,
                )
    except IntegrityError:
        # The same person, joining through this link in another request at this moment.
        raise ApplicationError(
            gettext_lazy("You are joining through this link already. Reload the page in a moment.")
        ) from None
    link.refresh_from_db()
    raise _why_closed(link) or Gone(USED_UP)


def _give_back(link: InviteLink, use: InviteLinkUse) -> None:
    with transaction.atomic():
        use.delete()
        InviteLink.objects.filter(pk=link.pk, use_count__gt=0).update(use_count=F("use_count") - 1)


def _add(link: InviteLink, user_id: str) -> None:
    client = logto.get_client()
    try:
        client.add_organization_users(link.organization_id, [user_id])
    except LogtoError as error:
        raise refusal_from(error, Doing.NEW_MEMBER) from error
    if not link.role_ids:
        return
    try:
        client.add_organization_user_roles(link.organization_id, user_id, list(link.role_ids))
    except LogtoError as error:
        try:  # a member without the link's roles is not what anyone asked for
            client.remove_organization_user(link.organization_id, user_id)
        except LogtoError as undo_error:
            logger.error(
                "Joined %s through an invite link without roles (%s); removal failed: %s",
                link.organization_id,
                error,
                undo_error,
            )
        raise refusal_from(error, Doing.NEW_MEMBER) from error

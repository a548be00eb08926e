"""Verified domains: an organization proves it owns an email domain, then people with a
verified address there join it (Logto's JIT at registration; one click, or a request to an
admin, for people who already have an account).

Why nobody can be captured:
- A domain counts only once VERIFIED: by a DNS TXT record only the domain's owner can create,
  or because the admin's own verified address is at that domain. Unverified domains never
  reach Logto's JIT list (Logto would accept any string) and suggest nothing.
- Only a DNS proof lets people join automatically (Logto's JIT list, one click). A domain
  proved by the admin's own address alone only lets people at it ASK to join, which an admin
  approves: one address at a mail provider the lists miss (a relay, a small paid provider)
  must not capture everyone who has an address there.
- Public, disposable and relay email providers are refused outright (anyone can have an
  address there).
- A domain (or a domain it lies under) that another organization already verified waits for
  staff: the second organization gets nothing until staff approve it in the admin.
- Joining needs a verified address at exactly that domain, read again from the sign-in
  service at the moment of joining. The roles given are the organization's default roles,
  which no admin can set above their own permissions.

The portal owns each organization's JIT list: every change writes the whole list (Logto's PUT
replaces it in one transaction) from the verified rows, inside the database transaction that
made the change, so a failed write to Logto undoes the change here too.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgportal import logto
from orgportal.logto.errors import InvalidInput, LogtoError, NotFound
from orgportal.logto.models import Organization, OrganizationRole
from orgportal.models import (
    InviteLink,
    JoinRequest,
    OrganizationDomain,
    OrganizationJoinSettings,
    User,
)
from orgportal.services.access import (
    OrganizationAccess,
    Perm,
    access_for_change,
    organization_access,
    permissions_forget,
    refuse_escalation,
    require_known_roles,
    role_names,
)
from orgportal.services.audit import audit_in_organization, audited
from orgportal.services.domain_names import (
    claim_root,
    domain_normalised,
    email_domain,
    parents_and_self,
    refuse_public_provider,
    txt_record_holds,
)
from orgportal.services.errors import (
    ApplicationError,
    Gone,
    NotAllowed,
    ServiceUnavailable,
    later,
)
from orgportal.services.join_emails import join_decided_email_send, join_requested_email_send
from orgportal.services.memberships import organization_list_for_user_forget
from orgportal.shared_locks import LockTimeout, acquire, release
from orgportal.staff import acting_as_staff

logger = logging.getLogger(__name__)

State = OrganizationDomain.State
Method = OrganizationDomain.Method
Policy = OrganizationJoinSettings.Policy
MAX_DOMAINS = 20  # per organization
LOCK_HOLD = 30  # seconds; above one DNS check plus one Logto write

NOT_ALLOWED = gettext_lazy("Only people who manage the organization can change its domains.")
NO_SUCH_DOMAIN = gettext_lazy("That domain is no longer listed here. Reload the page.")
BUSY = gettext_lazy(
    "Another change to this organization's domains is still running, so nothing was changed. "
    "Try again in a moment."
)


# -- reading ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DomainsOverview:
    domains: list[OrganizationDomain]
    policy: str
    default_roles: list[OrganizationRole]
    requests: list[JoinRequest]


def domains_overview(*, actor: User, organization_id: str) -> DomainsOverview:
    # A page read: the cached access is enough (every change below reads it fresh).
    access = organization_access(user=actor, organization_id=organization_id, fresh=False)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED)
    return DomainsOverview(
        domains=list(OrganizationDomain.objects.filter(organization_id=organization_id)),
        policy=join_policy(organization_id),
        default_roles=logto.get_client().list_organization_jit_roles(organization_id),
        requests=list(
            JoinRequest.objects.filter(
                organization_id=organization_id,
                state=JoinRequest.State.PENDING,
                invite_link__isnull=True,  # those through a link wait on the links page
            ).select_related("user")
        ),
    )


def join_policy(organization_id: str) -> str:
    found = OrganizationJoinSettings.objects.filter(organization_id=organization_id).first()
    return found.policy if found else Policy.AUTOMATIC


# -- the JIT list in Logto ----------------------------------------------------------------------
@contextmanager
def _serialised(name: str) -> Iterator[None]:
    try:
        token = acquire(name, hold=LOCK_HOLD, wait=10)
    except LockTimeout:
        raise ServiceUnavailable(BUSY) from None
    try:
        yield
    finally:
        release(name, token)


@contextmanager
def _jit_change(organization_id: str) -> Iterator[None]:
    """A change to the organization's domains, all or nothing: the block changes the rows,
    then Logto's list is replaced by the verified ones in the same transaction; a failure
    of either undoes both. Serialised per organization across every process."""
    with _serialised(f"jit-domains:{organization_id}"), transaction.atomic():
        yield
        _jit_domains_write(organization_id)


def _jit_domains_write(organization_id: str) -> None:
    wanted: list[str] = []
    if join_policy(organization_id) == Policy.AUTOMATIC:
        wanted = sorted(
            OrganizationDomain.objects.filter(
                organization_id=organization_id, state=State.VERIFIED, method=Method.DNS
            ).values_list("domain", flat=True)
        )
    logto.get_client().replace_organization_jit_email_domains(organization_id, wanted)


def _domain_row(organization_id: str, domain_id: int | str) -> OrganizationDomain:
    try:
        return OrganizationDomain.objects.get(organization_id=organization_id, pk=int(domain_id))
    except (OrganizationDomain.DoesNotExist, ValueError, TypeError):
        raise Gone(NO_SUCH_DOMAIN) from None


def _audit_domain(
    actor: User | None, organization: Any, action: str, row: OrganizationDomain, **kw: Any
) -> Any:
    return audited(
        actor=actor,
        organization=organization,
        action=action,
        target_type="domain",
        target_id=str(row.pk or ""),
        target_label=row.display_domain,
        **kw,
    )


# -- adding, proving, removing -------------------------------------------------------------------
def domain_add(*, actor: User, organization_id: str, domain: str) -> OrganizationDomain:
    """List a domain, waiting for its proof (nothing reaches Logto yet)."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED)
    typed = OrganizationDomain(domain=(domain or "").strip()[:253])
    with _audit_domain(actor, access.organization, "domain.added", typed) as entry:
        name = domain_normalised(domain)
        typed.domain = name
        refuse_public_provider(name)
        existing = OrganizationDomain.objects.filter(organization_id=organization_id)
        if existing.filter(domain=name).exists():
            raise ApplicationError(
                later(lambda: _("%(domain)s is already listed here.") % {"domain": name})
            )
        if existing.count() >= MAX_DOMAINS:
            raise ApplicationError(
                later(
                    lambda: (
                        _("An organization can list at most %(count)s domains.")
                        % {"count": MAX_DOMAINS}
                    )
                )
            )
        try:
            with transaction.atomic():  # a savepoint: the refusal leaves the transaction usable
                row = OrganizationDomain.objects.create(
                    organization_id=organization_id,
                    organization_name=access.organization.name,
                    domain=name,
                    verification_token=secrets.token_urlsafe(24),
                    created_by=actor if actor.pk else None,
                )
        except IntegrityError:  # the same domain added at the same moment elsewhere
            raise ApplicationError(
                later(lambda: _("%(domain)s is already listed here.") % {"domain": name})
            ) from None
        entry.after = {"domain": name}
    return row


def domain_check_dns(*, actor: User, organization_id: str, domain_id: int | str) -> str:
    """Look for the TXT record now; the domain's state afterwards."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED)
    row = _domain_row(organization_id, domain_id)
    if row.state != State.PENDING:
        return row.state
    answer = txt_record_holds(row.domain, row.verification_token)
    OrganizationDomain.objects.filter(pk=row.pk).update(checked_at=timezone.now())
    if not answer.found:
        sentence = (
            later(
                lambda: (
                    _(
                        "The record for %(domain)s was not found yet. DNS changes can take a while "
                        "to show; check again later."
                    )
                    % {"domain": row.display_domain}
                )
            )
            if answer.reachable
            else gettext_lazy("We could not ask DNS just now. Try again in a moment.")
        )
        audit_in_organization(
            actor=actor,
            organization=access.organization,
            action="domain.verified",
            target_type="domain",
            target_id=str(row.pk),
            target_label=row.display_domain,
            error=answer.detail,
            after={"method": OrganizationDomain.Method.DNS},
        )
        raise ApplicationError(sentence)
    return _proved(actor, access, row, OrganizationDomain.Method.DNS)


def domain_verify_by_email(*, actor: User, organization_id: str, domain_id: int | str) -> str:
    """Prove the domain by the admin's own verified address there (read again from Logto).
    Such a domain never reaches Logto's JIT list: people at it can only ask to join."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED)
    row = _domain_row(organization_id, domain_id)
    if row.state != State.PENDING:
        return row.state
    if not verified_address_at(actor, row.domain):
        raise NotAllowed(
            later(
                lambda: (
                    _(
                        "Your own email address is not a verified address at %(domain)s. Use "
                        "the DNS record instead."
                    )
                    % {"domain": row.display_domain}
                )
            )
        )
    return _proved(actor, access, row, OrganizationDomain.Method.EMAIL)


def verified_address_at(user: User, domain: str) -> bool:
    """Whether the person's verified address is at exactly `domain`: the sign-in's verified
    claim, and the same primary address in Logto now (an address changed since is not)."""
    if not (user.logto_id and user.email_verified and email_domain(user.email) == domain):
        return False
    try:
        now = logto.get_client().get_user(user.logto_id).primary_email or ""
    except NotFound:
        return False
    return now.strip().lower() == user.email.strip().lower()


def _proved(actor: User, access: OrganizationAccess, row: OrganizationDomain, method: str) -> str:
    """Ownership is proven: verified, unless another organization holds the domain (or one
    it lies under), in which case staff decide. Serialised per registrable domain."""
    organization = access.organization
    with _serialised(f"domain-claim:{claim_root(row.domain)}"):
        held_elsewhere = (
            OrganizationDomain.objects.filter(
                domain__in=parents_and_self(row.domain), state=State.VERIFIED
            )
            .exclude(organization_id=row.organization_id)
            .exists()
        )
        now = timezone.now()
        fields = {"method": method, "proved_at": now, "proved_by": actor if actor.pk else None}
        if held_elsewhere:
            with _audit_domain(
                actor, organization, "domain.awaiting_staff", row, after={"method": method}
            ):
                OrganizationDomain.objects.filter(pk=row.pk).update(
                    state=State.AWAITING_STAFF, **fields
                )
            return State.AWAITING_STAFF
        with (
            _audit_domain(actor, organization, "domain.verified", row, after={"method": method}),
            _jit_change(row.organization_id),
        ):
            OrganizationDomain.objects.filter(pk=row.pk).update(
                state=State.VERIFIED, verified_at=now, verified_by=fields["proved_by"], **fields
            )
    return State.VERIFIED


def domain_remove(*, actor: User, organization_id: str, domain_id: int | str) -> str:
    """Remove the domain here and from Logto's JIT list; members who joined through it stay."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED)
    row = _domain_row(organization_id, domain_id)
    with (
        _audit_domain(actor, access.organization, "domain.removed", row),
        _jit_change(organization_id),
    ):
        OrganizationDomain.objects.filter(pk=row.pk).delete()
    return row.display_domain


def domain_join_settings_set(
    *, actor: User, organization_id: str, policy: str, role_ids: list[str]
) -> None:
    """How people of the verified domains join, and their default roles (never above the
    admin's own permissions)."""
    access = access_for_change(user=actor, organization_id=organization_id)
    access.require(Perm.MANAGE_ORGANIZATION, NOT_ALLOWED)
    if policy not in Policy.values:
        raise ApplicationError(gettext_lazy("Choose how people join."))
    require_known_roles(role_ids)
    refuse_escalation(access, role_ids, _cannot_grant)
    client = logto.get_client()
    before_roles = [role.id for role in client.list_organization_jit_roles(organization_id)]
    before = {"policy": join_policy(organization_id), "roles": role_names(before_roles)}
    after = {"policy": policy, "roles": role_names(role_ids)}
    with audited(
        actor=actor,
        organization=access.organization,
        action="domain.join_settings_changed",
        target_type="organization",
        target_id=organization_id,
        target_label=access.organization.name,
        before=before,
        after=after,
    ):
        client.replace_organization_jit_roles(organization_id, list(role_ids))
        try:
            with _jit_change(organization_id):
                OrganizationJoinSettings.objects.update_or_create(
                    organization_id=organization_id, defaults={"policy": policy}
                )
        except (ApplicationError, LogtoError):
            _put_back_roles(organization_id, before_roles)
            raise


def _put_back_roles(organization_id: str, role_ids: list[str]) -> None:
    try:
        logto.get_client().replace_organization_jit_roles(organization_id, role_ids)
    except LogtoError as error:
        logger.error("Could not restore the JIT roles of %s: %s", organization_id, error)


def _cannot_grant(roles: str) -> str:
    return _("You cannot make %(roles)s the default role: it has permissions you do not have.") % {
        "roles": roles
    }


def _cannot_approve(roles: str) -> str:
    return _(
        "You cannot let this person in with the role %(roles)s: it has permissions you do not have."
    ) % {"roles": roles}


# -- staff ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _OrganizationRef:
    """What the audit trail needs of an organization staff decide about from the admin."""

    id: str
    name: str


def domains_awaiting_staff() -> list[tuple[OrganizationDomain, list[OrganizationDomain]]]:
    """Each held domain with the organizations that verified it (or a domain above) first."""
    held = list(OrganizationDomain.objects.filter(state=State.AWAITING_STAFF))
    result = []
    for row in held:
        holders = list(
            OrganizationDomain.objects.filter(
                domain__in=parents_and_self(row.domain), state=State.VERIFIED
            ).exclude(organization_id=row.organization_id)
        )
        result.append((row, holders))
    return result


def staff_domain_decide(*, actor: User, domain_id: int | str, approve: bool) -> OrganizationDomain:
    """Staff let a second organization have a domain another one verified, or refuse it."""
    if not actor.is_staff:
        raise NotAllowed(gettext_lazy("Only staff can decide about domains."))
    try:
        row = OrganizationDomain.objects.get(pk=int(domain_id), state=State.AWAITING_STAFF)
    except (OrganizationDomain.DoesNotExist, ValueError, TypeError):
        raise Gone(gettext_lazy("That domain no longer waits for staff.")) from None
    organization = _OrganizationRef(id=row.organization_id, name=row.organization_name)
    now = timezone.now()
    with acting_as_staff(actor):
        if not approve:
            with _audit_domain(actor, organization, "domain.refused_by_staff", row):
                OrganizationDomain.objects.filter(pk=row.pk, state=State.AWAITING_STAFF).update(
                    state=State.REFUSED, staff_decided_by=actor, staff_decided_at=now
                )
        else:
            with (
                _audit_domain(actor, organization, "domain.approved_by_staff", row),
                _jit_change(row.organization_id),
            ):
                OrganizationDomain.objects.filter(pk=row.pk, state=State.AWAITING_STAFF).update(
                    state=State.VERIFIED,
                    verified_at=now,
                    verified_by=actor,
                    staff_decided_by=actor,
                    staff_decided_at=now,
                )
    row.refresh_from_db()
    return row


# -- joining by domain ------------------------------------------------------------------------
@dataclass(frozen=True)
class JoinSuggestion:
    organization_id: str
    organization_name: str
    domain: str
    asks_admin: bool
    requested: bool  # a request of this person waits for an admin


def join_suggestions(*, user: User, member_of: set[str]) -> list[JoinSuggestion]:
    """Organizations the person can join by their verified address (none for an unverified
    one, none for a domain waiting for staff), except those they are in; then those they
    asked to join through an invite link, while the request waits (`domain` empty)."""
    if not (user.logto_id and user.email_verified):
        return []
    by_domain = _domain_suggestions(user, member_of)
    listed = member_of | {suggestion.organization_id for suggestion in by_domain}
    through_links = (
        JoinRequest.objects.filter(
            user=user, state=JoinRequest.State.PENDING, invite_link__isnull=False
        )
        .exclude(organization_id__in=listed)
        .order_by("organization_name")
    )
    return by_domain + [
        JoinSuggestion(
            organization_id=request.organization_id,
            organization_name=request.organization_name,
            domain="",
            asks_admin=True,
            requested=True,
        )
        for request in through_links
    ]


def _domain_suggestions(user: User, member_of: set[str]) -> list[JoinSuggestion]:
    domain = email_domain(user.email)
    if not domain:
        return []
    rows = (
        OrganizationDomain.objects.filter(domain=domain, state=State.VERIFIED)
        .exclude(organization_id__in=member_of)
        .order_by("organization_name")
    )
    ids = [row.organization_id for row in rows]
    asking = set(
        OrganizationJoinSettings.objects.filter(
            organization_id__in=ids, policy=Policy.ASK_ADMIN
        ).values_list("organization_id", flat=True)
    )
    requested = set(
        JoinRequest.objects.filter(
            user=user, organization_id__in=ids, state=JoinRequest.State.PENDING
        ).values_list("organization_id", flat=True)
    )
    return [
        JoinSuggestion(
            organization_id=row.organization_id,
            organization_name=row.organization_name,
            domain=row.display_domain,
            asks_admin=_asks_admin(
                row, Policy.ASK_ADMIN if row.organization_id in asking else Policy.AUTOMATIC
            ),
            requested=row.organization_id in requested,
        )
        for row in rows
    ]


NOT_OFFERED = gettext_lazy(
    "You cannot join this organization with your email address. Ask one of its admins to "
    "invite you."
)


def _joinable_domain(user: User, organization_id: str) -> OrganizationDomain:
    domain = email_domain(user.email)
    row = OrganizationDomain.objects.filter(
        organization_id=organization_id, domain=domain, state=State.VERIFIED
    ).first()
    if not domain or row is None or not verified_address_at(user, domain):
        raise NotAllowed(NOT_OFFERED)
    return row


def _asks_admin(row: OrganizationDomain, policy: str) -> bool:
    """People at a domain only ask to join unless the organization joins them automatically
    AND the domain was proved by DNS (an admin's own address proves too little for that)."""
    return policy == Policy.ASK_ADMIN or row.method != Method.DNS


def _is_member(organization_id: str, user_id: str) -> bool:
    try:
        logto.get_client().list_organization_user_roles(organization_id, user_id)
    except InvalidInput:
        return False
    return True


def domain_join(*, actor: User, organization_id: str) -> str:
    """Join by domain: "joined" (with the default roles) or "requested" (ask-an-admin, or a
    domain proved only by an admin's own address)."""
    row = _joinable_domain(actor, organization_id)
    client = logto.get_client()
    try:
        organization = client.get_organization(organization_id)
    except NotFound:
        raise Gone(gettext_lazy("This organization no longer exists.")) from None
    if _is_member(organization_id, actor.logto_id or ""):
        raise ApplicationError(
            later(lambda: _("You are already a member of %(name)s.") % {"name": organization.name})
        )
    if _asks_admin(row, join_policy(organization_id)):
        _request_to_join(actor, organization, row)
        return "requested"
    role_ids = [role.id for role in client.list_organization_jit_roles(organization_id)]
    with audited(
        actor=actor,
        organization=organization,
        action="member.joined_by_domain",
        target_type="user",
        target_id=actor.logto_id or "",
        target_label=actor.email,
        after={"roles": role_names(role_ids), "domain": row.domain},
    ):
        _add_member(organization_id, actor.logto_id or "", role_ids)
    return "joined"


def _add_member(organization_id: str, user_id: str, role_ids: list[str]) -> None:
    """Add with roles; when the roles fail, the membership is taken back."""
    client = logto.get_client()
    client.add_organization_users(organization_id, [user_id])
    try:
        if role_ids:
            client.add_organization_user_roles(organization_id, user_id, role_ids)
    except LogtoError:
        try:
            client.remove_organization_user(organization_id, user_id)
        except LogtoError as undo_error:
            logger.error("Joined %s without roles, undo failed: %s", organization_id, undo_error)
        raise
    finally:
        permissions_forget(organization_id=organization_id, user_id=user_id)
        organization_list_for_user_forget(user_id=user_id)


ALREADY_ASKED = gettext_lazy("You already asked to join; an admin will decide.")
# A request made while its link was valid may be approved after the link expired, but nobody
# gets in through a revoked link.
LINK_REVOKED = gettext_lazy(
    "This request came through an invite link that was revoked, so it can only be declined."
)


def _request_to_join(actor: User, organization: Organization, row: OrganizationDomain) -> None:
    join_request_open(actor=actor, organization=organization, after={"domain": row.domain})


def join_request_open(
    *,
    actor: User,
    organization: Any,
    after: dict[str, Any],
    invite_link: InviteLink | None = None,
    still_allowed: Callable[[], None] | None = None,
) -> JoinRequest:
    """The person's request to join `organization` (anything with `id` and `name`), audited,
    and the email to those who decide. One waits per person and organization: a unique
    constraint refuses a second one, also made at the same moment on another instance.
    `still_allowed` runs once the request is written and may refuse it (raise), which takes
    the request back."""
    with audited(
        actor=actor,
        organization=organization,
        action="join_request.created",
        target_type="user",
        target_id=actor.logto_id or "",
        target_label=actor.email,
        after=after,
    ):
        try:
            with transaction.atomic():  # a savepoint: the refusal leaves the transaction usable
                request = JoinRequest.objects.create(
                    organization_id=organization.id,
                    organization_name=organization.name,
                    user=actor,
                    email=actor.email,
                    domain=email_domain(actor.email),
                    invite_link=invite_link,
                )
                if still_allowed is not None:
                    still_allowed()
        except IntegrityError:
            raise ApplicationError(ALREADY_ASKED) from None
    join_requested_email_send(request)
    return request


def join_request_decide(
    *, actor: User, organization_id: str, request_id: int | str, approve: bool
) -> JoinRequest:
    """An admin lets the person in or declines; both hear by email. A request by domain is
    decided by those who manage members and grants the default roles; a request through an
    invite link by those who may invite, and grants the link's roles. The request is claimed
    with one conditional UPDATE: two admins never both decide."""
    access = access_for_change(user=actor, organization_id=organization_id)
    try:
        request = JoinRequest.objects.select_related("user", "invite_link").get(
            pk=int(request_id), organization_id=organization_id
        )
    except (JoinRequest.DoesNotExist, ValueError, TypeError):
        raise Gone(gettext_lazy("That request no longer exists.")) from None
    if request.invite_link is not None:
        access.require(
            Perm.INVITE_MEMBER,
            gettext_lazy("Only people who may invite members can decide these requests."),
        )
        if approve and request.invite_link.revoked_at is not None:
            raise Gone(LINK_REVOKED)
        role_ids = list(request.invite_link.role_ids)
    else:
        access.require(
            Perm.MANAGE_MEMBER,
            gettext_lazy("Only people who manage members can decide requests."),
        )
        client = logto.get_client()
        role_ids = [role.id for role in client.list_organization_jit_roles(organization_id)]
    if approve:
        refuse_escalation(access, role_ids, _cannot_approve)
    new_state = JoinRequest.State.APPROVED if approve else JoinRequest.State.DECLINED
    open_request = Q(pk=request.pk) & Q(state=JoinRequest.State.PENDING)
    if approve:  # in the same UPDATE: a revoke of its link at this moment wins
        open_request &= Q(invite_link__isnull=True) | Q(invite_link__revoked_at__isnull=True)
    claimed = JoinRequest.objects.filter(open_request).update(
        state=new_state, decided_by=actor, decided_at=timezone.now()
    )
    if not claimed:
        request.refresh_from_db()
        if request.state == JoinRequest.State.PENDING:
            raise Gone(LINK_REVOKED)
        raise Gone(gettext_lazy("Someone already decided this request."))
    person = request.user
    action = "join_request.approved" if approve else "join_request.declined"
    try:
        with audited(
            actor=actor,
            organization=access.organization,
            action=action,
            target_type="user",
            target_id=person.logto_id or "",
            target_label=request.email,
            after={"roles": role_names(role_ids)} if approve else None,
        ):
            if approve:
                if not (person.logto_id and person.email_verified):
                    raise NotAllowed(NOT_OFFERED)
                if not _is_member(organization_id, person.logto_id):
                    _add_member(organization_id, person.logto_id, role_ids)
    except (ApplicationError, LogtoError):
        # Back to waiting, unless someone decided it meanwhile (a revoke of its link).
        JoinRequest.objects.filter(pk=request.pk, state=new_state, decided_by=actor).update(
            state=JoinRequest.State.PENDING, decided_by=None, decided_at=None
        )
        raise
    request.refresh_from_db()
    join_decided_email_send(request)
    return request

"""People as the portal knows them: local users kept in step with Logto, and labels."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from orgportal import logto
from orgportal.logto.errors import LogtoError, NotFound
from orgportal.logto.models import Profile
from orgportal.logto.models import User as LogtoUser
from orgportal.models import User
from orgportal.services.errors import Gone
from orgportal.shared_locks import cached_or_filled

logger = logging.getLogger(__name__)

PROFILE_REFRESH_SECONDS = 300
USER_LABEL_TTL = 300  # seconds
STANDING_TTL = 30  # seconds; how long a suspension or a lost staff role may go unseen on writes


def _fresh_key(subject: str) -> str:
    return f"orgportal:user-fresh:{subject}"


def _standing_key(subject: str) -> str:
    return f"orgportal:standing:{subject}"


def user_state_forget(subject: str) -> None:
    """Drop what the portal cached of a person (label, standing, profile freshness) after
    Logto said it changed (webhook)."""
    cache.delete_many([_fresh_key(subject), _standing_key(subject), _label_key(subject)])


def user_profile_follow(profile: Profile, *, logto_id: str) -> bool:
    """Copy a profile Logto reported onto the local user, if there is one; whether it
    changed."""
    user = User.objects.filter(logto_id=logto_id).first()
    if user is None or not user.apply_profile(_verification_kept(user, profile)):
        return False
    user.save(update_fields=list(User.PROFILE_FIELDS))
    return True


def user_for_subject(subject: str) -> User:
    """The local user for a Logto user id (a token's `sub`), created or refreshed from the
    Management API at most every few minutes. Gone when Logto no longer has that user."""
    user = User.objects.filter(logto_id=subject).first()
    fresh_key = _fresh_key(subject)
    if user is not None and cache.get(fresh_key):
        return user
    try:
        profile = Profile.from_user(logto.get_client().get_user(subject))
    except NotFound:
        raise Gone(gettext_lazy("That user no longer exists.")) from None
    if user is None:
        user = User(username=subject, logto_id=subject)
        user.set_unusable_password()
    user.apply_profile(_verification_kept(user, profile))
    user.save()
    cache.set(fresh_key, True, PROFILE_REFRESH_SECONDS)
    return user


def _verification_kept(user: User, profile: Profile) -> Profile:
    """The Management API cannot say whether an address is verified; a sign-in's ID token
    can. So a refresh from it keeps the verdict already held for the same address (a JSON API
    call must not turn an address the sign-in called unverified into a verified one, and so
    pass the invitee rule the page refuses). A new address takes the Management API's reading:
    Logto makes an address primary only once it is verified (or an admin set it)."""
    if user.email and profile.email.lower() == user.email.lower():
        return replace(profile, email_verified=user.email_verified and profile.email_verified)
    return profile


FORMER_USER = gettext_noop("a former user")  # cached as it is, shown translated


def _label_key(user_id: str) -> str:
    return f"orgportal:user-label:{user_id}"


def _label_of(user: LogtoUser) -> str:
    return user.name or user.primary_email or user.id


def user_label(user_id: str) -> str:
    """A person's name or email for lists (cached); "a former user" once deleted."""
    return user_labels([user_id])[user_id]


def user_labels(user_ids: Iterable[str]) -> dict[str, str]:
    """Names or emails of several people, by id: from the cache, and what it lacks from one
    Management API call (per 100 people), never one call per person."""
    wanted = list(dict.fromkeys(user_ids))
    cached = cache.get_many([_label_key(uid) for uid in wanted])
    labels = {uid: cached[_label_key(uid)] for uid in wanted if _label_key(uid) in cached}
    missing = [uid for uid in wanted if uid not in labels]
    if missing:
        found = {user.id: user for user in logto.get_client().list_users_by_ids(missing)}
        fetched = {
            uid: (found[uid].name or found[uid].primary_email or uid)
            if uid in found
            else FORMER_USER
            for uid in missing
        }
        cache.set_many({_label_key(uid): label for uid, label in fetched.items()}, USER_LABEL_TTL)
        labels.update(fetched)
    return {uid: _(label) if label == FORMER_USER else label for uid, label in labels.items()}


@dataclass(frozen=True)
class Standing:
    """What Logto says of a signed-in person now: may they act, and as staff?"""

    active: bool  # exists and is not suspended
    staff: bool
    superuser: bool


def identity_standing(user: User) -> Standing:
    """Logto's current word on `user` (cached briefly across instances). LogtoError when Logto
    cannot say; a person Logto no longer has is not active."""

    def fetch() -> Standing:
        client = logto.get_client()
        try:
            logto_user = client.get_user(user.subject)
        except NotFound:
            return Standing(active=False, staff=False, superuser=False)
        roles = set(client.list_user_role_names(user.subject)) if user.is_staff else set()
        superuser = settings.ORGPORTAL_SUPERUSER_ROLE in roles
        return Standing(
            active=not logto_user.is_suspended,
            staff=superuser or settings.ORGPORTAL_STAFF_ROLE in roles,
            superuser=superuser,
        )

    return cached_or_filled(_standing_key(user.subject), fetch, ttl=STANDING_TTL)


def identity_standing_prefetch(user: User) -> None:
    """Read `identity_standing` into the cache ahead of a write the person is likely to make
    next (a page with one main action), so that the write's session check costs no call."""
    try:
        identity_standing(user)
    except LogtoError as error:
        logger.info("Could not prefetch the standing of %s: %s", user.subject, error)


def signed_out_since(user: User, started_at: float | None) -> bool:
    """Whether Logto signed `user` out (suspended or deleted them) after a session or token
    that began at `started_at` (epoch seconds; None: unknown, so before)."""
    if user.signed_out_at is None:
        return False
    return started_at is None or started_at <= user.signed_out_at.timestamp()


def staff_flags_follow(user: User, standing: Standing) -> bool:
    """Take staff rights away locally when Logto took the role away; whether they changed."""
    staff, superuser = user.is_staff and standing.staff, user.is_superuser and standing.superuser
    if (staff, superuser) == (user.is_staff, user.is_superuser):
        return False
    user.is_staff, user.is_superuser = staff, superuser
    user.save(update_fields=["is_staff", "is_superuser"])
    return True

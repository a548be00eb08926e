"""People as the portal knows them: local users kept in step with Logto, and labels."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache

from orgportal import logto
from orgportal.logto.errors import NotFound
from orgportal.logto.models import Profile
from orgportal.models import User
from orgportal.services.errors import Gone
from orgportal.shared_locks import cached_or_filled

PROFILE_REFRESH_SECONDS = 300
USER_LABEL_TTL = 300  # seconds
STANDING_TTL = 30  # seconds; how long a suspension or a lost staff role may go unseen on writes


def user_for_subject(subject: str) -> User:
    """The local user for a Logto user id (a token's `sub`), created or refreshed from the
    Management API at most every few minutes. Gone when Logto no longer has that user."""
    user = User.objects.filter(logto_id=subject).first()
    fresh_key = f"orgportal:user-fresh:{subject}"
    if user is not None and cache.get(fresh_key):
        return user
    try:
        profile = Profile.from_user(logto.get_client().get_user(subject))
    except NotFound:
        raise Gone("That user no longer exists.") from None
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


def user_label(user_id: str) -> str:
    """A person's name or email for lists (cached); "a former user" once deleted."""
    key = f"orgportal:user-label:{user_id}"
    label = cache.get(key)
    if label is None:
        try:
            user = logto.get_client().get_user(user_id)
            label = user.name or user.primary_email or user_id
        except NotFound:
            label = "a former user"
        cache.set(key, label, USER_LABEL_TTL)
    return label


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

    return cached_or_filled(f"orgportal:standing:{user.subject}", fetch, ttl=STANDING_TTL)


def staff_flags_follow(user: User, standing: Standing) -> bool:
    """Take staff rights away locally when Logto took the role away; whether they changed."""
    staff, superuser = user.is_staff and standing.staff, user.is_superuser and standing.superuser
    if (staff, superuser) == (user.is_staff, user.is_superuser):
        return False
    user.is_staff, user.is_superuser = staff, superuser
    user.save(update_fields=["is_staff", "is_superuser"])
    return True

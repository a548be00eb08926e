"""People as the portal knows them: local users kept in step with Logto, and labels."""

from __future__ import annotations

from django.core.cache import cache

from orgportal import logto
from orgportal.logto.errors import NotFound
from orgportal.logto.models import Profile
from orgportal.models import User
from orgportal.services.errors import Gone

PROFILE_REFRESH_SECONDS = 300
USER_LABEL_TTL = 300  # seconds


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
    user.apply_profile(profile)
    user.save()
    cache.set(fresh_key, True, PROFILE_REFRESH_SECONDS)
    return user


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

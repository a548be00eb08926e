"""Which language a person reads: the one saved on them, the one chosen for an email.

The request's language is Django's (`LocaleMiddleware`: the language cookie, else the
browser's Accept-Language), overridden by the language a signed-in person saved with the
header's language switch (`UserLanguageMiddleware`), so it follows them to every browser.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from orgportal.models import User
from orgportal.services.errors import ApplicationError


def language_codes() -> list[str]:
    """The languages the portal speaks (settings.LANGUAGES), English first."""
    return [code for code, _name in settings.LANGUAGES]


def supported_language(code: str | None) -> str | None:
    """`code` when the portal speaks it ("de-DE" counts as "de"), else None."""
    if not code or len(code) > 16:
        return None
    try:
        found = translation.get_supported_language_variant(code.strip())
    except LookupError:
        return None
    return found if found in language_codes() else None


def language_clean(code: str) -> str:
    """The language code as the portal keeps it; ApplicationError for one it does not speak."""
    found = supported_language(code)
    if found is None:
        raise ApplicationError(_("Choose one of the languages offered."))
    return found


def user_language(user: object) -> str | None:
    """The language a signed-in person saved, when the portal still speaks it."""
    if not getattr(user, "is_authenticated", False):
        return None
    return supported_language(getattr(user, "language", ""))


def user_language_set(*, user: object, language: str) -> str:
    """Save the language a person chose on them when signed in (nothing to save for
    visitors: the caller sets the language cookie for everybody). The code kept."""
    code = language_clean(language)
    if isinstance(user, User) and user.is_authenticated and user.language != code:
        user.language = code
        user.save(update_fields=["language"])
    return code


def email_language(*, chosen: str | None, sender: User | None) -> str:
    """The language of an email: the one chosen for it, else the sender's saved language,
    else English (the portal's default), never the language a worker happens to run in."""
    if chosen:
        return language_clean(chosen)
    return user_language(sender) or settings.LANGUAGE_CODE


def current_language() -> str:
    """The language of the request being served (a code the portal speaks)."""
    return supported_language(translation.get_language()) or settings.LANGUAGE_CODE

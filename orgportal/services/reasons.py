"""The short reasons shown beside an address of an invitation batch ("already a member").

A batch runs in a worker, with no request and so no reader's language, and its reasons are
stored (`InvitationBatchItem.reason`) and compared ("not set up"). So they are kept in English,
the source language, exactly as the code writes them, and translated when they are shown
(`reason_shown`), in the language of whoever looks, even if that is another person or the same
person after switching language. Fixed reasons are plain message ids (marked with
`gettext_noop` where they are written); the few that carry a value are recognised by their
English shape and rebuilt in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orgportal.services.errors import in_source_language, later


def too_long(limit: int) -> str:
    return ngettext(
        "longer than %(count)s character", "longer than %(count)s characters", limit
    ) % {"count": limit}


def hourly_limit(limit: int) -> str:
    return ngettext(
        "you reached the limit of %(count)s invitation an hour; try again later",
        "you reached the limit of %(count)s invitations an hour; try again later",
        limit,
    ) % {"count": limit}


def not_accepted(detail: str) -> str:
    """Logto refused the address with a sentence of its own (English, kept as it is)."""
    return _("it was not accepted (%(detail)s)") % {"detail": detail}


# A stored reason with a value, recognised by its English shape, and how to say it again.
_WITH_VALUES: tuple[tuple[re.Pattern[str], Callable[[str], str]], ...] = (
    (re.compile(r"longer than (\d+) characters?"), lambda n: too_long(int(n))),
    (
        re.compile(r"you reached the limit of (\d+) invitations? an hour; try again later"),
        lambda n: hourly_limit(int(n)),
    ),
    (re.compile(r"it was not accepted \((.*)\)", re.DOTALL), not_accepted),
)


def stored(render: Callable[[], str]) -> str:
    """A reason with a value, as it is stored: in English."""
    return in_source_language(later(render))


def reason_shown(reason: str) -> str:
    """A stored (English) reason in the reader's language; one this version has no
    translation for is shown as it was stored."""
    if not reason:
        return ""
    for pattern, say in _WITH_VALUES:
        found = pattern.fullmatch(reason)
        if found:
            return say(found.group(1))
    return _(reason)

"""Input rules Logto enforces, so the portal can check first and say clearly what is wrong."""

from __future__ import annotations

import re

# Logto guards an invitee with zod's `z.string().email()` (zod 3.22 and later): ASCII letters,
# digits and `_ ' + - .` before the `@` (no leading dot, no `..`), then dot-separated labels
# of letters, digits and hyphens that do not start with a hyphen, ending in a top-level
# domain of two letters or more. So no quoted local parts, IP literals, accents or IDN.
_EMAIL = re.compile(
    r"(?!\.)(?!.*\.\.)[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]"  # local part
    r"@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}"  # domain
)


def is_invitee_email(address: str) -> bool:
    """Whether Logto accepts `address` as an invitation's invitee (checked exactly as typed:
    Logto does not trim)."""
    return _EMAIL.fullmatch(address) is not None

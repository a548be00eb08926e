"""Dropping many cached entries at once, on every instance.

A cache key that includes a generation is left behind when the generation changes: the next
read misses and fills a new entry, while the old ones expire on their own. The generations
live in the shared cache, so one change reaches every process of every instance. Used where
the portal cannot name every key to drop: everyone's permissions after the role template
changed, every member's permissions in one organization, everyone's organization lists.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache

PERMISSIONS = "permissions"  # everyone's permissions in every organization
MEMBERSHIPS = "memberships"  # everyone's list of organizations (with roles and names)


def organization(organization_id: str) -> str:
    """The generation of every member's permissions in one organization."""
    return f"organization:{organization_id}"


def _key(name: str) -> str:
    return f"orgportal:generation:{name}"


def generations(*names: str) -> str:
    """The current generations of `names` (one cache round trip), to put into a key."""
    keys = [_key(name) for name in names]
    found = cache.get_many(keys)
    return ".".join(str(found.get(key, "0")) for key in keys)


def generation_bump(*names: str) -> None:
    """Start new generations: every entry keyed by the old ones is read again. A random
    value rather than a counter: no read-modify-write race between instances."""
    # No expiry: a generation that vanished would bring back entries of generation "0" only
    # if they were written in the last TTL before the first bump, and those expired long ago.
    cache.set_many({_key(name): uuid.uuid4().hex[:12] for name in names}, timeout=None)

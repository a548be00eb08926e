"""Changes started at the same moment on real threads (for the invariants' race tests)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from orgportal.services.errors import ApplicationError


def race(*changes):
    """Start the changes at the same moment; each ends in None or the refusal it raised."""
    barrier = Barrier(len(changes))

    def run(change):
        barrier.wait()
        try:
            change()
        except ApplicationError as error:
            return error
        return None

    with ThreadPoolExecutor(len(changes)) as pool:
        return list(pool.map(run, changes))


def admins(emulator, organization) -> list[str]:
    """Ids of the organization's members who hold the admin role, in the emulator."""
    admin = emulator.state.role_by_name("admin").id
    return [uid for uid, roles in organization.members.items() if admin in roles]

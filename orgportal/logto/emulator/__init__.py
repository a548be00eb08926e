"""A local stand-in for a Logto tenant (DESIGN.md §6): OIDC provider + Management API.

For development and tests only; it is never a production identity provider.
"""

from orgportal.logto import dev_defaults
from orgportal.logto.emulator.app import Emulator, Fault
from orgportal.logto.emulator.seed import SEEDS
from orgportal.logto.emulator.state import TenantState


def build_emulator(
    endpoint: str, *, seed: str = "demo", portal_urls: list[str] | None = None, **options
) -> Emulator:
    """An emulator at `endpoint`, filled with a named seed."""
    api_resources = options.pop("api_resources", None)
    emulator = Emulator(endpoint, **options)
    SEEDS[seed](emulator.state, portal_urls or [])
    emulator.api_resources.update(api_resources or [dev_defaults.API_RESOURCE])
    return emulator


__all__ = ["SEEDS", "Emulator", "Fault", "TenantState", "build_emulator"]
